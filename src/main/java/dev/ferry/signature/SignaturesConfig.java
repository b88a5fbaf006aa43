package dev.ferry.signature;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.util.Map;
import java.util.Optional;

/**
 * Image signatures, skopeo's way: a containers-policy.json decides which images a copy may read, registries.d says
 * where signatures live, and keys held by Ferry sign on the way. Nothing is configured by default: then every copy
 * behaves as before (no verification, no signing), which Ferry says once at startup.
 */
@ConfigMapping(prefix = "ferry.signatures")
public interface SignaturesConfig {

    /**
     * A containers-policy.json ({@code FERRY_SIGNATURES_POLICY}): evaluated on the source of every copy, sync image
     * and webhook promotion before anything is pushed. Re-read when the file changes. None: no verification.
     */
    Optional<String> policy();

    /**
     * A registries.d directory ({@code FERRY_SIGNATURES_REGISTRIES_D}) of YAML files with {@code docker:} /
     * {@code default-docker:} entries: {@code lookaside}, {@code lookaside-staging}, {@code use-sigstore-attachments}.
     * None: no lookaside store and no sigstore attachments (as skopeo without registries.d entries).
     */
    @WithName("registries-d")
    Optional<String> registriesD();

    /**
     * OpenPGP secret keys Ferry may sign with ({@code signBy}): a file as {@code gpg --export-secret-keys [--armor]}
     * writes it. Its public keys also serve {@code standalone-verify}.
     */
    Optional<String> gpgKeyring();

    /** The passphrase of those secret keys: the file's first line. None: the keys have no passphrase. */
    Optional<String> gpgPassphraseFile();

    /**
     * Sigstore private keys Ferry may sign with ({@code signBySigstorePrivateKey: NAME}), keyed by name: cosign's
     * {@code ENCRYPTED SIGSTORE PRIVATE KEY} PEM files, as skopeo's --sign-by-sigstore-private-key reads them.
     */
    Map<String, SigstoreKey> sigstoreKeys();

    interface SigstoreKey {
        /** The encrypted private key (PEM). */
        String path();

        /** Its passphrase: the file's first line. None: an empty passphrase. */
        Optional<String> passphraseFile();
    }
}
