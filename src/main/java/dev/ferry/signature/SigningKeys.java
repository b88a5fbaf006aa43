package dev.ferry.signature;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import jakarta.enterprise.context.ApplicationScoped;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;

/**
 * The keys Ferry holds (configured by admins, never sent in a request): an OpenPGP secret keyring and named sigstore
 * private keys with their passphrase files. Read on first use; a sigstore key is decrypted once (scrypt is slow on
 * purpose) and kept in memory. Key material and passphrases never appear in a message.
 */
@ApplicationScoped
public class SigningKeys {
    private final SignaturesConfig config;
    private volatile PGPSecretKeyRingCollection gpg;
    private final Map<String, PrivateKey> sigstore = new ConcurrentHashMap<>();

    public SigningKeys(SignaturesConfig config) {
        this.config = config;
    }

    /** Fails with signing-key-unknown unless {@code id} names a signing key of Ferry's keyring. */
    public PGPSecretKey gpgKey(String id) {
        PGPSecretKey key = OpenPgp.signingKey(gpgKeyring(), id);
        if (key == null) {
            throw new FerryException(ProblemType.SIGNING_KEY_UNKNOWN, "signBy: Ferry holds no GPG signing key " + safe(id)
                    + " (keys come from ferry.signatures.gpg-keyring)");
        }
        return key;
    }

    public char[] gpgPassphrase() {
        return config.gpgPassphraseFile().map(f -> firstLine(f, "ferry.signatures.gpg-passphrase-file")).orElse("").toCharArray();
    }

    /** The public half of Ferry's keyring (what standalone-verify trusts unless given a key). */
    public PGPPublicKeyRingCollection gpgPublicKeys() {
        PGPSecretKeyRingCollection secret = gpg == null && config.gpgKeyring().isEmpty() ? null : gpgKeyring();
        java.util.List<org.bouncycastle.openpgp.PGPPublicKeyRing> rings = new java.util.ArrayList<>();
        if (secret != null) {
            secret.getKeyRings().forEachRemaining(r -> {
                java.util.List<org.bouncycastle.openpgp.PGPPublicKey> keys = new java.util.ArrayList<>();
                r.getPublicKeys().forEachRemaining(keys::add);
                rings.add(new org.bouncycastle.openpgp.PGPPublicKeyRing(keys));
            });
        }
        return new PGPPublicKeyRingCollection(rings);
    }

    /** Whether a sigstore key of that name is configured (checked when a request is accepted). */
    public void requireSigstoreKey(String name) {
        if (!config.sigstoreKeys().containsKey(name)) {
            throw new FerryException(ProblemType.SIGNING_KEY_UNKNOWN, "signBySigstorePrivateKey: no sigstore key named "
                    + safe(name) + " is configured (ferry.signatures.sigstore-keys.\"NAME\".path)");
        }
    }

    /** The decrypted private key named {@code name}. Blocking (scrypt, file reads) the first time. */
    public PrivateKey sigstoreKey(String name) {
        requireSigstoreKey(name);
        return sigstore.computeIfAbsent(name, n -> {
            SignaturesConfig.SigstoreKey k = config.sigstoreKeys().get(n);
            String where = "ferry.signatures.sigstore-keys.\"" + n + "\"";
            byte[] pem;
            try {
                pem = Files.readAllBytes(Path.of(k.path()));
            } catch (IOException e) {
                throw new FerryException(ProblemType.SIGNING_KEY_UNAVAILABLE, where + ".path cannot be read");
            }
            String pass = k.passphraseFile().map(f -> firstLine(f, where + ".passphrase-file")).orElse("");
            try {
                return Sigstore.decryptPrivateKey(pem, pass.getBytes(StandardCharsets.UTF_8), where);
            } catch (PolicyParser.PolicyException e) {
                throw new FerryException(ProblemType.SIGNING_KEY_UNAVAILABLE, e.getMessage());
            }
        });
    }

    private PGPSecretKeyRingCollection gpgKeyring() {
        PGPSecretKeyRingCollection k = gpg;
        if (k != null) {
            return k;
        }
        Optional<String> file = config.gpgKeyring();
        if (file.isEmpty()) {
            throw new FerryException(ProblemType.SIGNING_KEY_UNKNOWN, "signBy: Ferry holds no GPG keys (ferry.signatures.gpg-keyring is not set)");
        }
        try {
            k = OpenPgp.secretKeys(Files.readAllBytes(Path.of(file.get())), "ferry.signatures.gpg-keyring");
        } catch (IOException | PolicyParser.PolicyException e) {
            throw new FerryException(ProblemType.SIGNING_KEY_UNAVAILABLE, "ferry.signatures.gpg-keyring cannot be read as an OpenPGP secret keyring");
        }
        gpg = k;
        return k;
    }

    private static String firstLine(String file, String what) {
        try {
            String s = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            String line = nl < 0 ? s : s.substring(0, nl);
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        } catch (IOException e) {
            throw new FerryException(ProblemType.SIGNING_KEY_UNAVAILABLE, what + " cannot be read");
        }
    }

    /** A key id or name as it may be echoed: short and plain. */
    static String safe(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return "\"" + t.replaceAll("[^A-Za-z0-9._:@/ -]", "?") + "\"";
    }
}
