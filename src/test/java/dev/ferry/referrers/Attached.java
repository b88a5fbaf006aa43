package dev.ferry.referrers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Artifacts attached to an image the way cosign and OCI 1.1 clients write them, as exact bytes: cosign's signature,
 * attestation and SBOM manifests (pushed under {@code sha256-<hex>.sig/.att/.sbom}), and OCI 1.1 referrers (a manifest
 * with {@code subject} and {@code artifactType}, listed in the {@code sha256-<hex>} fallback index).
 */
final class Attached {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
    static final String DSSE = "application/vnd.dsse.envelope.v1+json";
    static final String SPDX = "text/spdx+json";
    static final String EXAMPLE_SBOM = "application/vnd.example.sbom.v1+json";
    static final String EMPTY = "application/vnd.oci.empty.v1+json";

    /** A manifest and its blobs. */
    record Artifact(String mediaType, byte[] manifest, String digest, List<TestImages.Blob> blobs) {
        TestImages.Image asImage() {
            return new TestImages.Image(mediaType, manifest, digest, blobs, List.of());
        }
    }

    private Attached() {
    }

    static String tag(String digest, String suffix) {
        return digest.replace(':', '-') + suffix;
    }

    /** A cosign simple-signing signature of {@code subject} (what {@code cosign sign} pushes as {@code .sig}). */
    static Artifact cosignSignature(String reference, String subject, String salt) {
        String payload = "{\"critical\":{\"identity\":{\"docker-reference\":\"" + reference + "\"},\"image\":{\"docker-manifest-digest\":\""
                + subject + "\"},\"type\":\"cosign container image signature\"},\"optional\":{\"salt\":\"" + salt + "\"}}";
        return cosign(SIMPLESIGNING, payload.getBytes(StandardCharsets.UTF_8),
                Map.of("dev.cosignproject.cosign/signature", Base64.getEncoder().encodeToString(("sig-" + salt).getBytes())));
    }

    /** A cosign in-toto attestation in a DSSE envelope ({@code .att}). */
    static Artifact cosignAttestation(String subject) {
        String statement = "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":\"https://slsa.dev/provenance/v0.2\","
                + "\"subject\":[{\"name\":\"app\",\"digest\":{\"sha256\":\"" + subject.substring(7) + "\"}}],\"predicate\":{}}";
        String envelope = "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\""
                + Base64.getEncoder().encodeToString(statement.getBytes(StandardCharsets.UTF_8)) + "\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"MEUC\"}]}";
        return cosign(DSSE, envelope.getBytes(StandardCharsets.UTF_8),
                Map.of("dev.cosignproject.cosign/signature", "", "predicateType", "https://slsa.dev/provenance/v0.2"));
    }

    /** An SBOM attached with {@code cosign attach sbom} ({@code .sbom}). */
    static Artifact cosignSbom(String subject) {
        String sbom = "{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"app@" + subject + "\",\"packages\":[]}";
        return cosign(SPDX, sbom.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private static Artifact cosign(String layerType, byte[] layerBytes, Map<String, String> annotations) {
        TestImages.Blob layer = TestImages.blob(layerBytes, layerType);
        String config = "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{\"created\":\"0001-01-01T00:00:00Z\"}],"
                + "\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layer.digest() + "\"]},\"config\":{}}";
        TestImages.Blob cfg = TestImages.blob(config.getBytes(StandardCharsets.UTF_8), TestImages.OCI_CONFIG);
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", TestImages.OCI_MANIFEST);
        m.set("config", descriptor(cfg));
        ObjectNode l = descriptor(layer);
        if (!annotations.isEmpty()) {
            ObjectNode a = l.putObject("annotations");
            annotations.forEach(a::put);
        }
        m.putArray("layers").add(l);
        byte[] bytes = bytes(m);
        return new Artifact(TestImages.OCI_MANIFEST, bytes, TestImages.sha256(bytes), List.of(cfg, layer));
    }

    /** An OCI 1.1 referrer of {@code subject}: {@code artifactType}, the empty config, one layer. */
    static Artifact referrer(TestImages.Image subject, String artifactType, String content) {
        TestImages.Blob empty = TestImages.blob("{}".getBytes(StandardCharsets.UTF_8), EMPTY);
        TestImages.Blob layer = TestImages.blob(content.getBytes(StandardCharsets.UTF_8), artifactType);
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", TestImages.OCI_MANIFEST);
        m.put("artifactType", artifactType);
        m.set("config", descriptor(empty));
        m.putArray("layers").add(descriptor(layer));
        ObjectNode s = m.putObject("subject");
        s.put("mediaType", subject.mediaType());
        s.put("digest", subject.digest());
        s.put("size", subject.manifest().length);
        m.putObject("annotations").put("org.opencontainers.image.created", "2024-03-01T12:34:56Z");
        byte[] bytes = bytes(m);
        return new Artifact(TestImages.OCI_MANIFEST, bytes, TestImages.sha256(bytes), List.of(empty, layer));
    }

    /** The fallback index listing {@code referrers} (what an OCI 1.1 client writes under {@code sha256-<hex>}). */
    static byte[] fallbackIndex(List<Artifact> referrers, String artifactType) {
        ObjectNode idx = JSON.createObjectNode();
        idx.put("schemaVersion", 2);
        idx.put("mediaType", TestImages.OCI_INDEX);
        ArrayNode ms = idx.putArray("manifests");
        for (Artifact a : referrers) {
            ObjectNode d = ms.addObject();
            d.put("mediaType", a.mediaType());
            d.put("digest", a.digest());
            d.put("size", a.manifest().length);
            d.put("artifactType", artifactType);
        }
        return bytes(idx);
    }

    /** Blobs, then the manifest under {@code reference} (a tag, or its digest). */
    static void push(RegistryPusher pusher, String repo, String reference, Artifact a) {
        a.blobs().forEach(b -> pusher.pushBlob(repo, b));
        pusher.pushManifest(repo, reference, a.mediaType(), a.manifest());
    }

    static ObjectNode descriptor(TestImages.Blob b) {
        ObjectNode d = JSON.createObjectNode();
        d.put("mediaType", b.mediaType());
        d.put("digest", b.digest());
        d.put("size", b.size());
        return d;
    }

    static byte[] bytes(Object tree) {
        try {
            return JSON.writeValueAsBytes(tree);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
