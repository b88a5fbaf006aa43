package dev.ferry.referrers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.MediaType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The tag schema of registries without a referrers API. Pure: no I/O.
 * <ul>
 * <li>The OCI 1.1 fallback: the referrers of {@code sha256:<hex>} are the {@code manifests} of the image index tagged
 * {@code sha256-<hex>} (one descriptor per referrer, with its {@code artifactType} and annotations).</li>
 * <li>cosign: signatures, attestations and SBOMs of {@code sha256:<hex>} are manifests tagged
 * {@code sha256-<hex>.sig}, {@code .att} and {@code .sbom}.</li>
 * </ul>
 */
public final class FallbackTags {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** cosign's tag suffixes, in the order they are copied. */
    public static final List<String> COSIGN_SUFFIXES = List.of(".sig", ".att", ".sbom");

    private FallbackTags() {
    }

    private static final java.util.regex.Pattern ATTACHMENT_TAG =
            java.util.regex.Pattern.compile("sha256-[0-9a-f]{64}(\\.sig|\\.att|\\.sbom)?");

    /**
     * Whether {@code tag} is one of the schema's tags ({@code sha256-<hex>}, {@code .sig}, {@code .att}, {@code .sbom}):
     * a sync leaves them out of the tags it enumerates, since they travel with the image they are attached to.
     */
    public static boolean isAttachmentTag(String tag) {
        return ATTACHMENT_TAG.matcher(tag).matches();
    }

    /** The fallback index tag of {@code subject}: {@code sha256-<hex>}. */
    public static String indexTag(Digest subject) {
        return subject.toString().replace(':', '-');
    }

    /** The cosign tags of {@code subject}. */
    public static List<String> cosignTags(Digest subject) {
        return COSIGN_SUFFIXES.stream().map(s -> indexTag(subject) + s).toList();
    }

    /**
     * The artifact type of an attached manifest: its {@code artifactType}; else its config's media type unless that is
     * an ordinary image config (the OCI 1.1 rule); else, for cosign's manifests (which carry an image config), the
     * media type of its first layer ({@code application/vnd.dev.cosign.simplesigning.v1+json} for a signature,
     * {@code application/vnd.dsse.envelope.v1+json} for an attestation, the SBOM's own type for an SBOM). Null for an
     * index without one.
     */
    public static String artifactType(Manifest m) {
        if (!(m instanceof ImageManifest image)) {
            return readArtifactType(m.raw());
        }
        if (image.artifactType() != null) {
            return image.artifactType();
        }
        MediaType config = image.config().mediaType();
        if (!config.equals(MediaType.OCI_CONFIG) && !config.equals(MediaType.DOCKER_CONFIG)) {
            return config.value();
        }
        return image.layers().isEmpty() ? config.value() : image.layers().get(0).mediaType().value();
    }

    private static String readArtifactType(byte[] raw) {
        try {
            JsonNode n = JSON.readTree(raw).get("artifactType");
            return n != null && n.isTextual() ? n.asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The descriptor of an attached manifest as the fallback index lists it (OCI 1.1 image-spec, referrers). */
    public static ObjectNode descriptor(Manifest m, String artifactType) {
        ObjectNode d = JSON.createObjectNode();
        d.put("mediaType", m.mediaType().value());
        d.put("digest", m.digest().toString());
        d.put("size", m.size());
        if (artifactType != null) {
            d.put("artifactType", artifactType);
        }
        java.util.Map<String, String> annotations = m instanceof ImageManifest i ? i.annotations()
                : ((dev.ferry.oci.ImageIndex) m).annotations();
        if (!annotations.isEmpty()) {
            ObjectNode a = d.putObject("annotations");
            annotations.forEach(a::put);
        }
        return d;
    }

    /**
     * The fallback index with {@code added} merged in: {@code existing} (the index now at the destination's tag, or
     * null) keeps every descriptor it has, in order, exactly as written; a descriptor whose digest it does not list is
     * appended. Null when nothing is missing (no write needed). An existing tag that is not an image index is replaced.
     */
    public static byte[] merge(byte[] existing, List<ObjectNode> added) {
        ObjectNode index = null;
        if (existing != null) {
            try {
                JsonNode root = JSON.readTree(existing);
                if (root instanceof ObjectNode o && o.get("manifests") instanceof ArrayNode) {
                    index = o;
                }
            } catch (IOException e) {
                index = null;
            }
        }
        boolean changed = index == null;
        if (index == null) {
            index = JSON.createObjectNode();
            index.put("schemaVersion", 2);
            index.put("mediaType", MediaType.OCI_INDEX.value());
            index.putArray("manifests");
        }
        ArrayNode manifests = (ArrayNode) index.get("manifests");
        Set<String> listed = new HashSet<>();
        manifests.forEach(d -> listed.add(d.path("digest").asText()));
        for (ObjectNode d : added) {
            if (listed.add(d.path("digest").asText())) {
                manifests.add(d);
                changed = true;
            }
        }
        if (!changed) {
            return null;
        }
        try {
            return JSON.writeValueAsString(index).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
