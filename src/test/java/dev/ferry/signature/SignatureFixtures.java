package dev.ferry.signature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keys and configuration files for the signature tests, made once per JVM in a temp directory: a GnuPG home (made by
 * the real {@code gpg}) with three keys — "A" (trusted by the test policies), "B" (another key) and "Ferry" (Ferry's
 * own signing key, exported as its keyring) — two cosign key pairs, a registries.d with a file:// lookaside store
 * and sigstore attachments on, and the policy file Ferry reads (rewritten by tests, atomically).
 */
public final class SignatureFixtures {
    public static final String COSIGN_PASSPHRASE = "correct horse battery staple";
    private static SignatureFixtures instance;

    public final Path dir;
    public final Path gnupg;
    public final String fprA;
    public final String fprB;
    public final String fprFerry;
    public final Path pubA;
    public final Path pubB;
    public final Path pubFerry;
    public final Path ferryKeyring;
    public final Path cosignKey;
    public final Path cosignPassphrase;
    public final Path cosignPub;
    public final Path otherCosignPub;
    public final Path registriesD;
    public final Path lookaside;
    public final Path policy;

    public static synchronized SignatureFixtures get() {
        if (instance == null) {
            instance = new SignatureFixtures();
        }
        return instance;
    }

    private SignatureFixtures() {
        try {
            dir = Files.createTempDirectory("ferry-signatures-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                gpg("--kill", "gpg-agent");
                try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
                    all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // best effort
                }
            }));
            gnupg = Files.createDirectory(dir.resolve("gnupg"));
            gnupg.toFile().setReadable(false, false);
            gnupg.toFile().setReadable(true, true);
            gnupg.toFile().setExecutable(false, false);
            gnupg.toFile().setExecutable(true, true);
            fprA = generate("Signer A <a@ferry.test>", "ed25519");
            fprB = generate("Signer B <b@ferry.test>", "ed25519");
            fprFerry = generate("Ferry <ferry@ferry.test>", "rsa2048");
            pubA = export(fprA, "a.pub", "--export");
            pubB = export(fprB, "b.pub", "--export");
            pubFerry = export(fprFerry, "ferry.pub", "--export");
            ferryKeyring = export(fprFerry, "ferry-secret.gpg", "--export-secret-keys");

            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair ferry = g.generateKeyPair();
            cosignKey = Files.writeString(dir.resolve("ferry-cosign.key"),
                    Sigstore.encryptPrivateKey(ferry.getPrivate(), COSIGN_PASSPHRASE.getBytes(StandardCharsets.UTF_8)));
            cosignPassphrase = Files.writeString(dir.resolve("ferry-cosign.pass"), COSIGN_PASSPHRASE + "\n");
            cosignPub = Files.writeString(dir.resolve("ferry-cosign.pub"), Sigstore.publicPem(ferry.getPublic()));
            otherCosignPub = Files.writeString(dir.resolve("other-cosign.pub"), Sigstore.publicPem(g.generateKeyPair().getPublic()));

            lookaside = Files.createDirectory(dir.resolve("lookaside"));
            registriesD = Files.createDirectory(dir.resolve("registries.d"));
            Files.writeString(registriesD.resolve("default.yaml"), "default-docker:\n"
                    + "  lookaside: file://" + lookaside + "\n"
                    + "  lookaside-staging: file://" + lookaside + "\n"
                    + "  use-sigstore-attachments: true\n");
            policy = dir.resolve("policy.json");
            writePolicy("{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the signature fixtures: " + e.getMessage(), e);
        }
    }

    /** The environment skopeo (gpgme) needs to sign and verify with the test keyring. */
    public Map<String, String> env() {
        return Map.of("GNUPGHOME", gnupg.toString());
    }

    /** Replaces the policy file (a new file, so Ferry sees the change at once). */
    public void writePolicy(String json) {
        try {
            Path tmp = Files.writeString(dir.resolve("policy.json.tmp"), json);
            Files.move(tmp, policy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String generate(String uid, String algorithm) {
        gpg("--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", uid, algorithm, "sign", "never");
        String colons = gpg("--batch", "--with-colons", "--list-keys", uid);
        for (String line : colons.split("\n")) {
            if (line.startsWith("fpr:")) {
                return line.split(":")[9];
            }
        }
        throw new IllegalStateException("gpg made no key for " + uid + ": " + colons);
    }

    private Path export(String fpr, String name, String how) {
        Path out = dir.resolve(name);
        gpg("--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--armor", "--output", out.toString(), how, fpr);
        return out;
    }

    /** Runs gpg with the test home; fails with its stderr. */
    public String gpg(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(args.length > 0 && args[0].equals("--kill") ? "gpgconf" : "gpg");
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(dir, "gpg-", ".out");
            Path err = Files.createTempFile(dir, "gpg-", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("GNUPGHOME", gnupg.toString());
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("gpg timed out: " + cmd);
            }
            String stdout = Files.readString(out);
            if (p.exitValue() != 0 && !cmd.get(0).equals("gpgconf")) {
                throw new IllegalStateException("gpg " + String.join(" ", args) + " failed: " + Files.readString(err));
            }
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return stdout;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
