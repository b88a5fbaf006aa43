package dev.ferry.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:e3b0c442...}. Only sha256 and sha512 are supported; the hex
 * part is always lowercase and of the algorithm's exact length.
 */
public record Digest(String algorithm, String hex) {

    public static final String SHA256 = "sha256";
    public static final String SHA512 = "sha512";

    /** The general OCI digest grammar, used to tell "unsupported" from "invalid". */
    private static final Pattern OCI_DIGEST_GRAMMAR =
            Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
    private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern SHA512_HEX = Pattern.compile("[a-f0-9]{128}");
    private static final String EXPECTED =
            "expected sha256:<64 lowercase hex characters> or sha512:<128 lowercase hex characters>";

    public Digest {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(hex, "hex");
        String text = algorithm + ":" + hex;
        if (SHA256.equals(algorithm)) {
            if (!SHA256_HEX.matcher(hex).matches()) {
                throw invalid(text);
            }
        } else if (SHA512.equals(algorithm)) {
            if (!SHA512_HEX.matcher(hex).matches()) {
                throw invalid(text);
            }
        } else if (OCI_DIGEST_GRAMMAR.matcher(text).matches()) {
            throw new OciFormatException("unsupported digest algorithm \"" + algorithm + "\" in \""
                    + text + "\": only sha256 and sha512 are supported");
        } else {
            throw invalid(text);
        }
    }

    /** Parses {@code algorithm:hex}; throws {@link OciFormatException} for anything else. */
    public static Digest parse(String s) {
        if (s == null || s.isEmpty()) {
            throw new OciFormatException("invalid digest \"" + (s == null ? "" : s) + "\": digest is empty; " + EXPECTED);
        }
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw invalid(s);
        }
        return new Digest(s.substring(0, colon), s.substring(colon + 1));
    }

    /** The sha256 digest of {@code data}. */
    public static Digest sha256Of(byte[] data) {
        Objects.requireNonNull(data, "data");
        MessageDigest md = messageDigestFor(SHA256);
        return new Digest(SHA256, HexFormat.of().formatHex(md.digest(data)));
    }

    /** A fresh {@link MessageDigest} for this digest's algorithm, e.g. for streaming verification. */
    public MessageDigest newMessageDigest() {
        return messageDigestFor(algorithm);
    }

    /** Whether {@code data} hashes to this digest. */
    public boolean matches(byte[] data) {
        Objects.requireNonNull(data, "data");
        byte[] actual = newMessageDigest().digest(data);
        return MessageDigest.isEqual(actual, HexFormat.of().parseHex(hex));
    }

    /** Whether a finished {@link MessageDigest} result (from {@link #newMessageDigest()}) equals this digest. */
    public boolean matchesDigestBytes(byte[] digestBytes) {
        Objects.requireNonNull(digestBytes, "digestBytes");
        return MessageDigest.isEqual(digestBytes, HexFormat.of().parseHex(hex));
    }

    @Override
    @com.fasterxml.jackson.annotation.JsonValue
    public String toString() {
        return algorithm + ":" + hex;
    }

    private static MessageDigest messageDigestFor(String algorithm) {
        String jca = SHA256.equals(algorithm) ? "SHA-256" : "SHA-512";
        try {
            return MessageDigest.getInstance(jca);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(jca + " is not available in this JVM", e);
        }
    }

    private static OciFormatException invalid(String text) {
        return new OciFormatException("invalid digest \"" + text + "\": " + EXPECTED);
    }
}
