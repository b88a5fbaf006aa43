package dev.ferry.transfer;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;

/**
 * What a copy reports while it runs, in order: the plan (totals), then per blob started / skipped /
 * retrying / done / failed with byte counts in between, then each manifest pushed. Called from event-loop
 * threads: implementations must not block.
 */
public interface CopyListener {

    /** The copy knows what it will move: distinct blobs and their total size. */
    default void planned(int blobs, long bytes) {
    }

    default void blobStarted(Descriptor blob) {
    }

    /** The blob needs no bytes moved; {@code reason} is {@code exists} or {@code mounted}. */
    default void blobSkipped(Descriptor blob, String reason) {
    }

    default void blobRetrying(Descriptor blob, int attempt, String why) {
    }

    /** {@code n} more bytes of {@code blob} have been written to the destination. */
    default void bytes(Descriptor blob, long n) {
    }

    /**
     * A chunked upload continued a session an earlier run left: {@code kept} bytes are at the destination already and
     * are not sent again; {@code recorded} is the offset that run recorded last; {@code sessionLost}: the session was
     * gone and the blob starts from zero.
     */
    default void blobUploadResumed(Descriptor blob, long kept, long recorded, boolean sessionLost) {
    }

    /** Where chunked uploads of this copy record their sessions (a job's store; none outside a job). */
    default dev.ferry.registry.UploadSessions uploadSessions() {
        return dev.ferry.registry.UploadSessions.NONE;
    }

    default void blobDone(Descriptor blob) {
    }

    default void blobFailed(Descriptor blob, String why) {
    }

    default void manifestPushed(Digest digest, String mediaType, String reference) {
    }

    /** An artifact attached to the image was copied, found already there, skipped or failed (after the manifests). */
    default void attachment(Attachment attachment) {
    }

    /**
     * A signature decision (dev.ferry.signature): {@code status} is {@code accepted} or {@code rejected} (the policy on
     * the source), {@code carried} (the source's lookaside signatures copied over) or {@code signed} (added at the
     * destination); {@code details} says by which rule and key.
     */
    default void signature(String status, java.util.Map<String, String> details) {
    }

    CopyListener NONE = new CopyListener() {
    };
}
