package dev.ferry.signature;

import dev.ferry.transfer.AfterImagePush;
import dev.ferry.transfer.Cancellation;
import dev.ferry.transfer.CopyListener;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The copy engine's last step for each image: after its manifests and attached artifacts are at the destination,
 * carry the source's lookaside signatures and add the signatures the request asks for ({@link SignatureGate#sign}).
 * Runs after the attached artifacts (order 100), so a sigstore signature is appended to the {@code .sig} manifest
 * they may just have copied.
 */
@ApplicationScoped
public class SigningStep implements AfterImagePush {
    static final int ORDER = 200;
    private final SignatureGate signatures;

    public SigningStep(SignatureGate signatures) {
        this.signatures = signatures;
    }

    @Override
    public int order() {
        return ORDER;
    }

    @Override
    public Future<Void> imagePushed(PushedImage image, CopyListener listener, Cancellation cancellation) {
        if (image.digestsChanged() && image.options().signing().none()) {
            return Future.succeededFuture();
        }
        return signatures.sign(image.source(), image.destination(), image.pushed().get(0), image.options().signing(), listener);
    }
}
