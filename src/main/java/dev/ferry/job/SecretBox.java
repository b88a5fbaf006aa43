package dev.ferry.job;

import dev.ferry.config.FerryConfig;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts the credentials of a job's request at rest (AES-GCM, a fresh 96-bit nonce per job, the job id as
 * associated data so a ciphertext cannot be moved to another job) with {@code ferry.store.secret-key}, so any
 * replica holding the same key can resume the job. Decrypts with the current key or one of
 * {@code previous-secret-keys} (rotation). Without a key nothing is stored and {@link #enabled()} is false.
 * Stored form: {@code KEYID:BASE64(nonce || ciphertext || tag)}, KEYID the first 8 hex digits of SHA-256(key).
 */
@Singleton
public class SecretBox {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final List<SecretKeySpec> keys = new ArrayList<>();

    public SecretBox(FerryConfig config) {
        FerryConfig.Store s = config.store();
        Optional<String> current = s.secretKeyFile().map(SecretBox::firstLine).or(s::secretKey);
        current.ifPresent(k -> keys.add(key(k, "ferry.store.secret-key")));
        s.previousSecretKeys().ifPresent(list -> list.forEach(k -> keys.add(key(k, "ferry.store.previous-secret-keys"))));
        if (current.isEmpty()) {
            keys.clear();
        }
    }

    private static String firstLine(String file) {
        try {
            return Files.readAllLines(Path.of(file)).stream().findFirst().orElse("").strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read ferry.store.secret-key-file " + file + ": " + e.getClass().getSimpleName());
        }
    }

    private static SecretKeySpec key(String base64, String property) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(property + " must be base64 (e.g. openssl rand -base64 32)");
        }
        if (raw.length != 16 && raw.length != 24 && raw.length != 32) {
            throw new IllegalStateException(property + " must be 16, 24 or 32 bytes (base64), not " + raw.length);
        }
        return new SecretKeySpec(raw, "AES");
    }

    public boolean enabled() {
        return !keys.isEmpty();
    }

    public String seal(String jobId, String plaintext) {
        SecretKeySpec k = keys.get(0);
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
            c.updateAAD(jobId.getBytes(StandardCharsets.UTF_8));
            byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[nonce.length + ct.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(ct, 0, out, nonce.length, ct.length);
            return id(k) + ":" + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("encrypting credentials failed", e);
        }
    }

    /** The plaintext, or empty when no configured key opens it (rotated away, or another key). */
    public Optional<String> open(String jobId, String sealed) {
        int colon = sealed.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        String keyId = sealed.substring(0, colon);
        byte[] all;
        try {
            all = Base64.getDecoder().decode(sealed.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        for (SecretKeySpec k : keys) {
            if (!id(k).equals(keyId) || all.length < 12 + 16) {
                continue;
            }
            try {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, all, 0, 12));
                c.updateAAD(jobId.getBytes(StandardCharsets.UTF_8));
                return Optional.of(new String(c.doFinal(all, 12, all.length - 12), StandardCharsets.UTF_8));
            } catch (GeneralSecurityException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static String id(SecretKeySpec k) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(k.getEncoded())).substring(0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
