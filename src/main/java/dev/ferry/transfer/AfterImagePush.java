package dev.ferry.transfer;

import dev.ferry.oci.Digest;
import io.vertx.core.Future;
import java.util.List;

/**
 * A step the copy engine runs after an image's manifests are at the destination (issue 12: attached artifacts
 * travel; signing at the destination plugs in here too). Implementations are CDI beans; {@link ImageCopier} runs
 * every one, in ascending {@link #order()}, one after the other.
 * <p>
 * Call order: once per image copy (per image of a sync, per promotion), after every blob, every child manifest and
 * the top manifest are at the destination — or when the destination already pointed at the same digest, so nothing
 * was pushed — and before {@link ImageDestination#commit()}. Never called when the copy failed or was cancelled
 * before that point, nor for a dry run.
 * <p>
 * MUSTs: a step writes blobs before any manifest that names them, and manifests by their exact bytes (never
 * re-serialised, except a manifest it builds itself, such as a fallback index); it MUST NOT move the destination
 * reference the copy just pushed. It calls {@link CopyListener#attachment} (never the blob callbacks, which drive
 * the job's progress totals) for what it did, and checks {@link Cancellation} between requests. It runs on an event
 * loop and MUST NOT block.
 * <p>
 * Failure: a failed future fails the copy with that problem. The image itself is already at the destination (its
 * manifests are not rolled back); the job's error says what is missing, and running the copy again is cheap (every
 * blob and manifest already there is skipped). Missing support is not a failure: a step skips, with an
 * {@link Attachment} event that says why, what the source or destination cannot carry.
 */
public interface AfterImagePush {

    /** Lower runs first. Attached artifacts: 100; signing at the destination should run after them. */
    int order();

    /**
     * @param image       what was copied and where
     * @param listener    the copy's listener (events)
     * @param cancellation the copy's cancel signal
     */
    Future<Void> imagePushed(PushedImage image, CopyListener listener, Cancellation cancellation);

    /**
     * One image at its destination.
     *
     * @param source         where it came from (a {@link RegistrySource} for a registry, its calls in the copy's scope)
     * @param destination    where it went (a {@link RegistryDestination} for a registry)
     * @param plan           the plan that was copied
     * @param options        the copy's options (its {@link ReferrerOptions} among them)
     * @param pushed         the manifests now at the destination: the top one first, then each child of an index
     * @param digestsChanged the destination holds other digests than the source (a conversion): attachments naming
     *                       the source's digests would point nowhere
     */
    record PushedImage(ImageSource source, ImageDestination destination, CopyPlan plan, CopyOptions options,
                       List<Digest> pushed, boolean digestsChanged) {
        public PushedImage {
            pushed = List.copyOf(pushed);
        }
    }
}
