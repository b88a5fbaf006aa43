package dev.ferry.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.MediaType;
import dev.ferry.registry.ManifestResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * skopeo's {@code --format oci}: Docker v2s2 manifests (and manifest lists) rewritten as OCI manifests (and
 * indexes), as a destination that only holds OCI needs (an OCI layout: skopeo and containers/image ignore other
 * media types in {@code index.json}). Only manifests change — the config and layer blobs are the same bytes, so their
 * digests stay; each converted manifest, and so the digest the tag points at, is new. OCI manifests pass untouched.
 */
public final class ManifestConversion {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> BLOB_TYPES = Map.of(
            "application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar", "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.docker.image.rootfs.diff.tar.zstd", "application/vnd.oci.image.layer.v1.tar+zstd",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip");

    /** OCI blob media types as Docker v2s2 names them; anything else has no v2s2 form. */
    private static final Map<String, String> TO_DOCKER = Map.of(
            "application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/vnd.oci.image.layer.v1.tar", "application/vnd.docker.image.rootfs.diff.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
    private static final java.util.Set<String> DOCKER_BLOBS = java.util.Set.copyOf(TO_DOCKER.values());

    private ManifestConversion() {
    }

    /** Whether the plan holds a manifest that is not Docker v2s2 (so a v2s2 conversion would change digests). */
    public static boolean neededForV2s2(CopyPlan plan) {
        return plan.images().stream().anyMatch(i -> i.mediaType().isOci())
                || (plan.index() != null && plan.index().mediaType().isOci());
    }

    /**
     * skopeo's {@code --format v2s2}: OCI manifests (and indexes) rewritten as Docker v2s2 manifests (and manifest
     * lists), serialised as containers/image serialises them (compact, Go's field order), so the digests are the ones
     * skopeo gets. Blobs are unchanged. What v2s2 cannot say is refused, not dropped silently: a zstd or other
     * non-gzip layer type. Annotations have no place in v2s2 and are dropped, as containers/image drops them.
     */
    public static CopyPlan toV2s2(CopyPlan plan, String where) {
        if (!neededForV2s2(plan)) {
            return plan;
        }
        List<ImageManifest> images = new ArrayList<>();
        Map<Digest, ImageManifest> byOld = new HashMap<>();
        for (ImageManifest image : plan.images()) {
            ImageManifest converted = image.mediaType().isOci() ? schema2(image, where) : image;
            images.add(converted);
            byOld.put(image.digest(), converted);
        }
        if (plan.index() == null) {
            ImageManifest only = images.get(0);
            return new CopyPlan(new ManifestResult(only.raw(), only.mediaType().value(), only.digest()), null, images, plan.blobs());
        }
        ImageIndex list = plan.index().mediaType().isOci() ? schema2List(plan.index(), byOld, where) : plan.index();
        return new CopyPlan(new ManifestResult(list.raw(), list.mediaType().value(), list.digest()), list, images, plan.blobs());
    }

    private static ImageManifest schema2(ImageManifest oci, String where) {
        ObjectNode in = tree(oci.raw(), where);
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":")
                .append(str(MediaType.DOCKER_MANIFEST.value())).append(",\"config\":");
        docker(sb, in.path("config"), where);
        sb.append(",\"layers\":[");
        int i = 0;
        for (JsonNode l : in.path("layers")) {
            sb.append(i++ == 0 ? "" : ",");
            docker(sb, l, where);
        }
        byte[] raw = sb.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return (ImageManifest) Manifest.parse(raw, MediaType.DOCKER_MANIFEST.value());
    }

    /** One descriptor as Go's schema2Descriptor: mediaType, size, digest, urls (when any). */
    private static void docker(StringBuilder sb, JsonNode d, String where) {
        String type = d.path("mediaType").asText();
        String to = TO_DOCKER.getOrDefault(type, DOCKER_BLOBS.contains(type) ? type : null);
        if (to == null) {
            throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST, "converting " + where + " to v2s2: a blob of type "
                    + type + " has no Docker v2s2 form (v2s2 layers are gzip or plain tar); copy it as OCI instead");
        }
        sb.append("{\"mediaType\":").append(str(to)).append(",\"size\":").append(d.path("size").asLong())
                .append(",\"digest\":").append(str(d.path("digest").asText()));
        if (d.path("urls").isArray() && !d.path("urls").isEmpty()) {
            sb.append(",\"urls\":[");
            int i = 0;
            for (JsonNode u : d.path("urls")) {
                sb.append(i++ == 0 ? "" : ",").append(str(u.asText()));
            }
            sb.append("]");
        }
        sb.append("}");
    }

    private static ImageIndex schema2List(ImageIndex index, Map<Digest, ImageManifest> converted, String where) {
        ObjectNode in = tree(index.raw(), where);
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":")
                .append(str(MediaType.DOCKER_MANIFEST_LIST.value())).append(",\"manifests\":[");
        int i = 0;
        for (JsonNode d : in.path("manifests")) {
            ImageManifest child = converted.get(Digest.parse(d.path("digest").asText()));
            if (child == null) {
                throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST, "converting " + where + " to v2s2: the index"
                        + " names " + d.path("digest").asText() + ", which is not copied");
            }
            sb.append(i++ == 0 ? "" : ",").append("{\"mediaType\":").append(str(child.mediaType().value()))
                    .append(",\"size\":").append(child.raw().length).append(",\"digest\":").append(str(child.digest().toString()));
            JsonNode p = d.path("platform");
            // Go's Schema2PlatformSpec: architecture, os, os.version, os.features, variant, features
            sb.append(",\"platform\":{\"architecture\":").append(str(p.path("architecture").asText()))
                    .append(",\"os\":").append(str(p.path("os").asText()));
            if (p.hasNonNull("os.version") && !p.path("os.version").asText().isEmpty()) {
                sb.append(",\"os.version\":").append(str(p.path("os.version").asText()));
            }
            if (p.path("os.features").isArray() && !p.path("os.features").isEmpty()) {
                sb.append(",\"os.features\":").append(p.path("os.features").toString());
            }
            if (p.hasNonNull("variant") && !p.path("variant").asText().isEmpty()) {
                sb.append(",\"variant\":").append(str(p.path("variant").asText()));
            }
            sb.append("}}");
        }
        byte[] raw = sb.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return (ImageIndex) Manifest.parse(raw, MediaType.DOCKER_MANIFEST_LIST.value());
    }

    private static String str(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the plan holds a manifest that is not OCI (so a conversion would change digests). */
    public static boolean needed(CopyPlan plan) {
        return plan.images().stream().anyMatch(i -> !i.mediaType().isOci())
                || (plan.index() != null && !plan.index().mediaType().isOci());
    }

    /** The plan with every manifest as OCI; blobs unchanged. */
    public static CopyPlan toOci(CopyPlan plan, String where) {
        if (!needed(plan)) {
            return plan;
        }
        List<ImageManifest> images = new ArrayList<>();
        Map<Digest, ImageManifest> byOld = new HashMap<>();
        for (ImageManifest image : plan.images()) {
            ImageManifest converted = image.mediaType().isOci() ? image : image(image, where);
            images.add(converted);
            byOld.put(image.digest(), converted);
        }
        if (plan.index() == null) {
            ImageManifest only = images.get(0);
            return new CopyPlan(new ManifestResult(only.raw(), only.mediaType().value(), only.digest()), null, images, plan.blobs());
        }
        ImageIndex index = index(plan.index(), byOld, where);
        return new CopyPlan(new ManifestResult(index.raw(), index.mediaType().value(), index.digest()), index, images, plan.blobs());
    }

    private static ImageManifest image(ImageManifest docker, String where) {
        ObjectNode in = tree(docker.raw(), where);
        ObjectNode out = JSON.createObjectNode();
        out.put("schemaVersion", 2);
        out.put("mediaType", MediaType.OCI_MANIFEST.value());
        out.set("config", descriptor(in.get("config")));
        ArrayNode layers = out.putArray("layers");
        for (JsonNode l : in.path("layers")) {
            layers.add(descriptor(l));
        }
        if (in.has("annotations")) {
            out.set("annotations", in.get("annotations"));
        }
        return (ImageManifest) Manifest.parse(bytes(out), MediaType.OCI_MANIFEST.value());
    }

    private static ImageIndex index(ImageIndex list, Map<Digest, ImageManifest> converted, String where) {
        ObjectNode in = tree(list.raw(), where);
        ObjectNode out = JSON.createObjectNode();
        out.put("schemaVersion", 2);
        out.put("mediaType", MediaType.OCI_INDEX.value());
        ArrayNode manifests = out.putArray("manifests");
        for (JsonNode d : in.path("manifests")) {
            ObjectNode c = ((ObjectNode) d).deepCopy();
            ImageManifest child = converted.get(Digest.parse(d.path("digest").asText()));
            if (child != null) {
                c.put("mediaType", child.mediaType().value());
                c.put("digest", child.digest().toString());
                c.put("size", child.raw().length);
            }
            manifests.add(c);
        }
        if (in.has("annotations")) {
            out.set("annotations", in.get("annotations"));
        }
        return (ImageIndex) Manifest.parse(bytes(out), MediaType.OCI_INDEX.value());
    }

    private static ObjectNode descriptor(JsonNode d) {
        ObjectNode c = ((ObjectNode) d).deepCopy();
        String type = d.path("mediaType").asText();
        c.put("mediaType", BLOB_TYPES.getOrDefault(type, type));
        return c;
    }

    private static ObjectNode tree(byte[] raw, String where) {
        try {
            return (ObjectNode) JSON.readTree(raw);
        } catch (IOException | ClassCastException e) {
            throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST, "converting the manifest of " + where + ": not a JSON object");
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
