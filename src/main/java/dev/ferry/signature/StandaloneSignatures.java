package dev.ferry.signature;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.security.AccessPolicy;
import dev.ferry.security.Action;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSecretKey;

/**
 * skopeo's {@code standalone-sign} and {@code standalone-verify} on bytes: a simple signing signature of a manifest
 * for a docker reference, made with a GPG key Ferry holds, and the check of one (containers/image
 * {@code signature.SignDockerManifest} / {@code VerifyDockerManifestSignature}). Blocking (crypto): call from a
 * worker thread.
 */
@ApplicationScoped
public class StandaloneSignatures {
    private final SigningKeys keys;
    private final AccessPolicy access;

    /** A signature made: its bytes, and what it vouches for. */
    public record Signed(byte[] signature, String fingerprint, String dockerReference, Digest digest) {
    }

    /** A signature verified: by whom, for what. */
    public record Verified(String fingerprint, String dockerReference, String digest) {
    }

    public StandaloneSignatures(SigningKeys keys, AccessPolicy access) {
        this.keys = keys;
        this.access = access;
    }

    public Signed sign(byte[] manifest, String dockerReference, String signBy) {
        ImageReference ref = reference(dockerReference);
        if (signBy == null || signBy.isBlank()) {
            throw FerryException.invalidField("signBy", "is required: the fingerprint of a GPG key Ferry holds");
        }
        access.check(ref, Action.SIGN);
        Digest digest = digest(manifest);
        PGPSecretKey key = keys.gpgKey(signBy);
        byte[] payload = SimpleSigning.payload(SimpleSigning.GPG_TYPE, dockerReference, digest.toString(),
                ImageSignatures.CREATOR, System.currentTimeMillis() / 1000);
        try {
            return new Signed(OpenPgp.sign(payload, key, keys.gpgPassphrase(), new Date()),
                    OpenPgp.fingerprint(key.getPublicKey()), dockerReference, digest);
        } catch (PGPException e) {
            throw new FerryException(ProblemType.SIGNING_KEY_UNAVAILABLE, "signBy: the key "
                    + OpenPgp.fingerprint(key.getPublicKey()) + " cannot sign (check ferry.signatures.gpg-passphrase-file)");
        }
    }

    /**
     * Verifies as skopeo standalone-verify: signed by the key {@code expectedFingerprint} names, for exactly
     * {@code dockerReference}, over this manifest. The trusted keys are {@code publicKey} (an exported public key) when
     * given, else the public half of Ferry's keyring.
     */
    public Verified verify(byte[] manifest, String dockerReference, String expectedFingerprint, byte[] signature,
                           String publicKey) {
        ImageReference expected = reference(dockerReference);
        if (expectedFingerprint == null || !expectedFingerprint.replace(" ", "").matches("[0-9A-Fa-f]{16,64}")) {
            throw FerryException.invalidField("expectedFingerprint", "must be the hex fingerprint of the key that signed");
        }
        PGPPublicKeyRingCollection trusted;
        try {
            trusted = publicKey != null ? OpenPgp.publicKeys(publicKey.getBytes(StandardCharsets.UTF_8), "publicKey")
                    : keys.gpgPublicKeys();
        } catch (PolicyParser.PolicyException e) {
            throw FerryException.invalidField("publicKey", "is not an OpenPGP public key (gpg --export --armor)");
        }
        OpenPgp.Verified v;
        SimpleSigning.Claims c;
        try {
            v = OpenPgp.verify(signature, trusted);
            c = SimpleSigning.parse(v.payload(), SimpleSigning.GPG_TYPE);
        } catch (OpenPgp.InvalidSignature e) {
            throw new FerryException(ProblemType.SIGNATURE_INVALID, "the signature does not verify: " + e.getMessage());
        }
        String want = expectedFingerprint.replace(" ", "").toUpperCase(java.util.Locale.ROOT);
        if (!v.fingerprint().equals(want) && !(want.length() == 16 && v.fingerprint().endsWith(want))) {
            throw new FerryException(ProblemType.SIGNATURE_INVALID, "the signature is by " + v.fingerprint() + ", not by "
                    + want);
        }
        ImageReference signed = SignedIdentity.exact(c.dockerReference());
        if (signed == null || !SignedIdentity.text(signed).equals(SignedIdentity.text(expected))) {
            throw new FerryException(ProblemType.SIGNATURE_INVALID, "the signature vouches for " + c.dockerReference()
                    + ", not " + dockerReference);
        }
        if (!ManifestDigests.matches(manifest, c.manifestDigest())) {
            throw new FerryException(ProblemType.SIGNATURE_INVALID, "the signature is for manifest " + c.manifestDigest()
                    + ", not this one (" + digest(manifest) + ")");
        }
        return new Verified(v.fingerprint(), c.dockerReference(), c.manifestDigest());
    }

    private static Digest digest(byte[] manifest) {
        try {
            return ManifestDigests.digest(manifest);
        } catch (dev.ferry.oci.OciFormatException e) {
            throw new FerryException(ProblemType.INVALID_MANIFEST, e.getMessage());
        }
    }

    private static ImageReference reference(String dockerReference) {
        ImageReference ref = dockerReference == null ? null : SignedIdentity.exact(dockerReference);
        if (ref == null) {
            throw FerryException.invalidField("dockerReference", "must be a docker reference with a tag or a digest, "
                    + "such as registry.example/app:1.0");
        }
        return ref;
    }
}
