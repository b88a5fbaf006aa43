package dev.ferry.signature;

import java.security.PublicKey;
import java.util.List;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/** One policy requirement (containers-policy.json's {@code PolicyRequirement}); every one of a scope's must hold. */
public sealed interface Requirement {

    /** {@code insecureAcceptAnything}: any image, signed or not. */
    record InsecureAcceptAnything() implements Requirement {
    }

    /** {@code reject}: no image. */
    record Reject() implements Requirement {
    }

    /**
     * {@code signedBy} with {@code keyType: GPGKeys}: at least one simple signing signature by one of {@code keys} whose
     * claims match the image.
     *
     * @param keys     the trusted public keys
     * @param keyNames where they came from (key paths, or "keyData"), for messages
     */
    record SignedBy(PGPPublicKeyRingCollection keys, List<String> keyNames, SignedIdentity identity) implements Requirement {
    }

    /** {@code sigstoreSigned} with a public key: at least one sigstore signature by {@code key} matching the image. */
    record SigstoreSigned(PublicKey key, String keyName, SignedIdentity identity) implements Requirement {
    }
}
