package dev.ferry.signature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.oci.Digest;
import dev.ferry.oci.OciFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * The digest skopeo computes for a manifest (containers/image {@code manifest.Digest}): sha256 of its bytes, except
 * for a signed Docker schema 1 manifest, whose digest is of the JWS payload, the manifest without its
 * {@code signatures} (the bytes up to {@code formatLength}, then {@code formatTail}, from the first signature's
 * protected header).
 */
public final class ManifestDigests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestDigests() {
    }

    public static Digest digest(byte[] manifest) {
        return Digest.sha256Of(payload(manifest));
    }

    /** Whether {@code expected} is the digest of {@code manifest} (containers/image {@code manifest.MatchesDigest}). */
    public static boolean matches(byte[] manifest, String expected) {
        try {
            Digest d = Digest.parse(expected);
            return d.matches(payload(manifest));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The bytes that are digested: the manifest itself, or a signed schema 1 manifest's JWS payload. */
    public static byte[] payload(byte[] manifest) {
        JsonNode root;
        try {
            root = JSON.readTree(manifest);
        } catch (IOException e) {
            return manifest;
        }
        if (root == null || !root.isObject() || root.path("schemaVersion").asInt() != 1 || !root.has("signatures")) {
            return manifest;
        }
        JsonNode first = root.get("signatures").path(0);
        String protectedHeader = first.path("protected").asText("");
        try {
            JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(pad(protectedHeader)));
            int formatLength = header.get("formatLength").asInt(-1);
            byte[] tail = Base64.getUrlDecoder().decode(pad(header.get("formatTail").asText()));
            if (formatLength < 0 || formatLength > manifest.length) {
                throw new OciFormatException("the schema 1 signature's formatLength is out of range");
            }
            byte[] out = Arrays.copyOf(manifest, formatLength + tail.length);
            System.arraycopy(tail, 0, out, formatLength, tail.length);
            return out;
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new OciFormatException("the schema 1 manifest's signature header is invalid");
        }
    }

    private static String pad(String b64url) {
        String s = b64url.trim();
        return switch (s.length() % 4) {
            case 2 -> s + "==";
            case 3 -> s + "=";
            default -> s;
        };
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
