package dev.ferry.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a hook checks that a delivery comes from its registry, before anything of the body is parsed.
 * Comparisons are constant-time; the outcome says only whether a signature was missing or invalid.
 */
public sealed interface DeliverySignature {

    enum Outcome { VALID, MISSING, INVALID }

    /** The kind shown in the hook listing: {@code hmac-sha256} or {@code bearer}. */
    String kind();

    /**
     * @param hubSignature  the {@code X-Hub-Signature-256} header, or null
     * @param authorization the {@code Authorization} header, or null
     * @param body          the raw body, exactly as received
     */
    Outcome check(String hubSignature, String authorization, byte[] body);

    /** GitHub-style {@code X-Hub-Signature-256: sha256=<hex of HMAC-SHA256(secret, raw body)>}. */
    record Hmac(byte[] secret) implements DeliverySignature {
        private static final String PREFIX = "sha256=";

        @Override
        public String kind() {
            return "hmac-sha256";
        }

        @Override
        public Outcome check(String hubSignature, String authorization, byte[] body) {
            if (hubSignature == null || hubSignature.isBlank()) {
                return Outcome.MISSING;
            }
            String given = hubSignature.strip();
            if (!given.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                return Outcome.INVALID;
            }
            byte[] expected = sign(secret, body).getBytes(StandardCharsets.US_ASCII);
            byte[] actual = given.substring(PREFIX.length()).toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
            return MessageDigest.isEqual(expected, actual) ? Outcome.VALID : Outcome.INVALID;
        }

        /** The lowercase hex HMAC-SHA256 of {@code body}. */
        public static String sign(byte[] secret, byte[] body) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                return HexFormat.of().formatHex(mac.doFinal(body));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return "Hmac[secret=***]";
        }
    }

    /** A static {@code Authorization: Bearer <secret>} (compared by hash, so neither content nor length leaks). */
    record Bearer(byte[] secret) implements DeliverySignature {
        private static final String SCHEME = "Bearer ";

        @Override
        public String kind() {
            return "bearer";
        }

        @Override
        public Outcome check(String hubSignature, String authorization, byte[] body) {
            if (authorization == null || authorization.isBlank()) {
                return Outcome.MISSING;
            }
            String given = authorization.strip();
            if (!given.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
                return Outcome.INVALID;
            }
            byte[] token = given.substring(SCHEME.length()).strip().getBytes(StandardCharsets.UTF_8);
            return MessageDigest.isEqual(sha256(secret), sha256(token)) ? Outcome.VALID : Outcome.INVALID;
        }

        private static byte[] sha256(byte[] b) {
            try {
                return MessageDigest.getInstance("SHA-256").digest(b);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return "Bearer[secret=***]";
        }
    }
}
