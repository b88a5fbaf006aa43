package dev.ferry.transfer;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.StreamWatch;
import io.vertx.core.Future;

/**
 * Where a copy writes one image: a registry repository, an OCI layout, an archive file, an HTTP response carrying
 * a tar, a daemon. Modelled on containers/image's {@code types.ImageDestination}.
 * <p>
 * Call order: {@link #capabilities()} and {@link #pointsAt()} at any time; then every blob
 * ({@link #hasBlob}, {@link #mountBlob}, {@link #putBlob}) — concurrently only when
 * {@link Capabilities#parallelBlobs()} says so, else one at a time in the order given; then the child manifests
 * ({@link #putManifest} with {@code top} false), then the top manifest ({@code top} true), then {@link #commit()}.
 * On any failure, or when the copy is cancelled, {@link #abort()} instead of commit. Nothing a reader of the
 * destination can see may name the image before commit (registries: the tag arrives with the top manifest, which a
 * registry only accepts once it holds every blob).
 * <p>
 * MUSTs: {@link #putBlob} verifies size and digest as bytes pass and, when it fails, MUST leave nothing stored
 * that could be taken for the blob (the upload session cancelled, the temp file deleted, the tar stream aborted).
 * {@link #putManifest} stores the bytes exactly as given. Methods are called on an event loop and MUST NOT block.
 */
public interface ImageDestination {

    /**
     * What a destination can do.
     *
     * @param parallelBlobs blobs may be written concurrently (a registry, a directory); false when they must arrive
     *                      one at a time in a fixed order, as in a tar stream
     * @param mounts        {@link #mountBlob} can link a blob without moving its bytes
     * @param keepsDigests  manifests are stored byte for byte, so the digests of the source are kept (false for a
     *                      format that has to write its own manifest, as {@code docker-archive})
     * @param skipsPresent  {@link #hasBlob} can say a blob is already there (false for a stream that starts empty)
     */
    record Capabilities(boolean parallelBlobs, boolean mounts, boolean keepsDigests, boolean skipsPresent) {
    }

    /** The location as the user wrote it, for messages. */
    String describe();

    Capabilities capabilities();

    /** The digest the destination reference points at now, or null (absent, or unknown). Never fails. */
    default Future<Digest> pointsAt() {
        return Future.succeededFuture(null);
    }

    /** Whether the destination already holds the blob (then it is not written). */
    Future<Boolean> hasBlob(Descriptor blob);

    /** Links the blob from elsewhere in the same store without moving bytes; false when it cannot. */
    default Future<Boolean> mountBlob(Descriptor blob, ImageSource source) {
        return Future.succeededFuture(false);
    }

    /**
     * Copies one blob from {@code source}, verified while it streams; succeeds with the bytes moved. Bytes are
     * reported to {@code watch}; the watch's abort handle stops the stream.
     */
    Future<Long> putBlob(Descriptor blob, ImageSource source, StreamWatch watch);

    /**
     * Stores a manifest exactly as given: a child of an index by its digest ({@code top} false), or the top manifest
     * under the destination's own reference ({@code top} true). Succeeds with the digest it is stored under.
     */
    Future<Digest> putManifest(ManifestResult manifest, boolean top);

    /** Makes the image visible (writes index.json, ends the tar, renames the file). Called once, last. */
    default Future<Void> commit() {
        return Future.succeededFuture();
    }

    /** Drops what was written (temp files, a half-written tar). Best effort; never fails. */
    default Future<Void> abort() {
        return Future.succeededFuture();
    }

    /** Whether the destination holds OCI manifests only (an OCI layout): Docker manifests are then converted. */
    default boolean needsOci() {
        return false;
    }

    /** Where the top manifest went, for events ({@code 1}, a digest, or a path). */
    String reference(Digest digest);

    /**
     * A key naming the store blobs land in when several concurrent copies may share them (a registry host), so a
     * blob that several jobs need is moved once; null when nothing is shared.
     */
    default String sharedStore() {
        return null;
    }
}
