package dev.ferry.signature;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * The "simple signing" payload both signature kinds carry (containers/image {@code signature/simple.go} and
 * {@code internal/signature/sigstore.go}): {@code {"critical":{"identity":{"docker-reference":R},"image":
 * {"docker-manifest-digest":D},"type":T},"optional":{"creator":C,"timestamp":S}}}. Parsed as strictly as
 * containers/image does: unknown fields in {@code critical} are refused, so a signature cannot smuggle a claim the
 * verifier would ignore.
 */
public final class SimpleSigning {
    public static final String GPG_TYPE = "atomic container signature";
    public static final String SIGSTORE_TYPE = "cosign container image signature";
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** What a verified payload claims. */
    public record Claims(String dockerReference, String manifestDigest) {
    }

    private SimpleSigning() {
    }

    /** The payload, with fields in the order containers/image writes them (Go sorts map keys). */
    public static byte[] payload(String type, String dockerReference, String manifestDigest, String creator, long timestamp) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode critical = root.putObject("critical");
        critical.putObject("identity").put("docker-reference", dockerReference);
        critical.putObject("image").put("docker-manifest-digest", manifestDigest);
        critical.put("type", type);
        ObjectNode optional = root.putObject("optional");
        optional.put("creator", creator);
        optional.put("timestamp", timestamp);
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The claims of a payload of {@code type}; fails (with why) for anything else. */
    public static Claims parse(byte[] payload, String type) throws OpenPgp.InvalidSignature {
        JsonNode root;
        try {
            root = JSON.readTree(payload);
        } catch (IOException e) {
            throw new OpenPgp.InvalidSignature("the signed payload is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new OpenPgp.InvalidSignature("the signed payload is not a JSON object");
        }
        exactly(root, Set.of("critical", "optional"), Set.of("critical"), "the payload");
        JsonNode critical = root.get("critical");
        exactly(critical, Set.of("type", "image", "identity"), Set.of("type", "image", "identity"), "critical");
        if (!type.equals(critical.get("type").asText())) {
            throw new OpenPgp.InvalidSignature("the payload's type is \"" + critical.get("type").asText() + "\", not \"" + type + "\"");
        }
        JsonNode image = critical.get("image");
        exactly(image, Set.of("docker-manifest-digest"), Set.of("docker-manifest-digest"), "critical.image");
        JsonNode identity = critical.get("identity");
        exactly(identity, Set.of("docker-reference"), Set.of("docker-reference"), "critical.identity");
        JsonNode optional = root.get("optional");
        if (optional != null && !optional.isObject()) {
            throw new OpenPgp.InvalidSignature("optional is not an object");
        }
        String digest = image.get("docker-manifest-digest").asText();
        String ref = identity.get("docker-reference").asText();
        if (!image.get("docker-manifest-digest").isTextual() || !identity.get("docker-reference").isTextual()) {
            throw new OpenPgp.InvalidSignature("the payload's digest and reference must be strings");
        }
        return new Claims(ref, digest);
    }

    private static void exactly(JsonNode node, Set<String> allowed, Set<String> required, String where)
            throws OpenPgp.InvalidSignature {
        if (node == null || !node.isObject()) {
            throw new OpenPgp.InvalidSignature(where + " is not an object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new OpenPgp.InvalidSignature(where + " has an unexpected field \"" + f + "\"");
            }
        }
        for (String r : required) {
            if (!node.has(r)) {
                throw new OpenPgp.InvalidSignature(where + " lacks \"" + r + "\"");
            }
        }
    }
}
