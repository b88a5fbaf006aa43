package dev.ferry.signature;

import dev.ferry.oci.Digest;
import dev.ferry.registry.ManifestResult;
import dev.ferry.transfer.CopyListener;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;

/**
 * The copy engine's signature seam: what a copy (a copy job, each image of a sync, a webhook promotion) asks of
 * signatures, modelled on containers/image's {@code PolicyContext.IsRunningImageAllowed} and its signing step.
 * <p>
 * Call order, once per image a copy writes:
 * <ol>
 *   <li>{@link #admit} with the source's top manifest (the bytes the source reference names, already verified
 *       against their digest), BEFORE any blob or manifest is written to the destination;</li>
 *   <li>the engine moves blobs, child manifests, the top manifest, then attached artifacts (the
 *       {@link dev.ferry.transfer.AfterImagePush} steps: {@link SigningStep} is the last of them);</li>
 *   <li>{@link #sign} with the digest the destination reference now points at, last: it carries the source's
 *       lookaside (GPG) signatures to the destination's lookaside staging store, when the manifest is unchanged and the
 *       request does not remove signatures, and adds the signatures the request asks for.</li>
 * </ol>
 * MUSTs: {@code admit} never writes anything anywhere and fails with {@code signature-rejected} (a
 * {@link dev.ferry.error.FerryException} naming the policy scope that decided and the keys it tried) when the policy
 * refuses the image; the engine MUST then write nothing. {@code admit} succeeds at once when no policy is configured.
 * {@code sign} only adds signatures (never removes one); with nothing to carry and nothing to sign it writes nothing. Both
 * report what they decided to the listener ({@link CopyListener#signature}). Both are called on an event loop and
 * MUST NOT block: key and file work runs on worker threads. Both are safe to repeat (a resumed job calls them again).
 */
public interface SignatureGate {

    /** Evaluates the policy on the source image; fails with signature-rejected when it is refused. */
    Future<Void> admit(ImageSource source, ManifestResult top, CopyListener listener);

    /**
     * Carries the source's simple signatures over, then signs the image now at the destination: a GPG simple
     * signature to the destination's lookaside staging store, a
     * sigstore signature as a layer of the destination's {@code sha256-<hex>.sig} manifest (appended to one already
     * there).
     *
     * @param pushed the digest the destination reference points at
     */
    Future<Void> sign(ImageSource source, ImageDestination destination, Digest pushed, SigningRequest request,
                      CopyListener listener);

    /** No policy, no signing: the engine's behaviour without signatures (what unit tests of the engine use). */
    SignatureGate NONE = new SignatureGate() {
        @Override
        public Future<Void> admit(ImageSource source, ManifestResult top, CopyListener listener) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> sign(ImageSource source, ImageDestination destination, Digest pushed, SigningRequest request,
                                 CopyListener listener) {
            return request == null || request.none() ? Future.succeededFuture()
                    : Future.failedFuture(new IllegalStateException("signing is not available here"));
        }
    };
}
