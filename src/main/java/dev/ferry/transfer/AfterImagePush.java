package dev.ferry.transfer;

import dev.ferry.oci.Digest;
import io.vertx.core.Future;
import java.util.List;

/**
 * A step the copy engine runs after an image's manifests are at the destination (issue 12: attached artifacts
 * travel; signing at the destination plugs in here too). Implementations are CDI beans; {@link ImageCopier} runs
 * every one, in ascending {@link #order()}, one after the other.
 * <p>
 * Call order, once per image copy (per image of a sync, per promotion):
 * <ol>
 * <li>{@link #start} — after the plan is made and the signature gate admitted the source (so a refused image writes
 * nothing), before the image's first blob, for every step in order. What it starts runs <em>while</em> the image's
 * blobs are copied: it MAY read the source and write blobs at the destination (a step that carries artifacts copies
 * their blobs here), and MUST NOT write any manifest or tag.</li>
 * <li>{@link Started#afterPush} — after every blob, every child manifest and the top manifest are at the destination
 * (or when the destination already pointed at the same digest, so nothing was pushed), one step after the other in
 * ascending order, and before {@link ImageDestination#commit()}. Only now a step writes manifests and tags. Never
 * called when the copy failed or was cancelled before that point, nor for a dry run.</li>
 * <li>The copy waits for every started step's {@link Started#settled} before it commits or aborts, whatever happened
 * (a failed copy first calls {@link Started#abandon}): nothing a step started is still running when the copy's future
 * completes.</li>
 * </ol>
 * A step without early work implements {@link #imagePushed} only (the default {@link #start} defers to it).
 * <p>
 * MUSTs: a step writes blobs before any manifest that names them, and manifests by their exact bytes (never
 * re-serialised, except a manifest it builds itself, such as a fallback index); it MUST NOT move the destination
 * reference the copy just pushed. It calls {@link CopyListener#attachment} (never the blob callbacks, which drive
 * the job's progress totals) for what it did, in {@link Started#afterPush} (so the events follow the image's), and
 * checks {@link Cancellation} between requests. It runs on an event loop and MUST NOT block.
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
     * Starts this step's early work for {@code image} (see the call order above); the default has none and runs
     * {@link #imagePushed} in {@link Started#afterPush}.
     */
    default Started start(PushedImage image, CopyListener listener, Cancellation cancellation) {
        return () -> imagePushed(image, listener, cancellation);
    }

    /** A step started for one image copy. */
    interface Started {
        /** The step's work once the image's manifests are at the destination; called at most once. */
        Future<Void> afterPush();

        /**
         * The copy failed before {@link #afterPush} (which will not be called): early work starts nothing new
         * (what is in flight ends; {@link #settled} says when).
         */
        default void abandon() {
        }

        /** Completes (never fails) once the early work has ended, however it ended. */
        default Future<Void> settled() {
            return Future.succeededFuture();
        }
    }

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
