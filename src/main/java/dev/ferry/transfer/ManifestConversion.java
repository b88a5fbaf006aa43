package dev.ferry.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
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
 * media types in {@code index.json}). As containers/image converts: layers keep their bytes and digests, each
 * Docker config is rewritten as an OCI config ({@link OciConfigConversion}: a new blob), and each converted manifest,
 * so the digest the tag points at, is new: the one skopeo's {@code --format oci} gives. OCI manifests pass untouched.
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

    /**
     * The Docker configs of the plan's Docker images: what {@link #toOci(CopyPlan, String, Map)} needs converted
     * ({@link OciConfigConversion}) before it can write the OCI manifests that name them.
     */
    public static List<Descriptor> dockerConfigs(CopyPlan plan) {
        return plan.images().stream().filter(i -> !i.mediaType().isOci()).map(ImageManifest::config)
                .filter(c -> MediaType.DOCKER_CONFIG.equals(c.mediaType())).distinct().toList();
    }

    /**
     * The plan with every manifest as OCI, as containers/image converts it: each Docker config becomes the OCI
     * config in {@code configs} (keyed by the Docker config's digest; a new blob with a new digest, as skopeo
     * writes it), layers keep their bytes and digests, and manifests and indexes are written as Go writes them
     * (field order, compact), so a converted image has the digest skopeo's {@code --format oci} gives it.
     */
    public static CopyPlan toOci(CopyPlan plan, String where, Map<Digest, byte[]> configs) {
        if (!needed(plan)) {
            return plan;
        }
        List<ImageManifest> images = new ArrayList<>();
        Map<Digest, ImageManifest> byOld = new HashMap<>();
        for (ImageManifest image : plan.images()) {
            ImageManifest converted = image.mediaType().isOci() ? image : image(image, configs, where);
            images.add(converted);
            byOld.put(image.digest(), converted);
        }
        List<Descriptor> blobs = plan.blobs().stream().map(b -> {
            byte[] oci = configs.get(b.digest());
            return oci == null || !MediaType.DOCKER_CONFIG.equals(b.mediaType()) ? b
                    : Descriptor.of(MediaType.OCI_CONFIG, Digest.sha256Of(oci), oci.length);
        }).distinct().toList();
        if (plan.index() == null) {
            ImageManifest only = images.get(0);
            return new CopyPlan(new ManifestResult(only.raw(), only.mediaType().value(), only.digest()), null, images, blobs);
        }
        ImageIndex index = index(plan.index(), byOld, where);
        return new CopyPlan(new ManifestResult(index.raw(), index.mediaType().value(), index.digest()), index, images, blobs);
    }

    /** v2s2 → OCI: Go's v1.Manifest{schemaVersion, mediaType, config, layers}; Docker manifests carry no annotations. */
    private static ImageManifest image(ImageManifest docker, Map<Digest, byte[]> configs, String where) {
        ObjectNode in = tree(docker.raw(), where);
        OciConfigConversion.GoJson out = new OciConfigConversion.GoJson().begin();
        out.field("schemaVersion").raw("2").field("mediaType").string(MediaType.OCI_MANIFEST.value()).field("config");
        JsonNode config = in.path("config");
        byte[] oci = MediaType.DOCKER_CONFIG.value().equals(config.path("mediaType").asText())
                ? configs.get(Digest.parse(config.path("digest").asText())) : null;
        if (oci != null) {
            out.begin().field("mediaType").string(MediaType.OCI_CONFIG.value()).field("digest")
                    .string(Digest.sha256Of(oci).toString()).field("size").raw(Long.toString(oci.length)).end();
        } else {
            goDescriptor(out, config, true);
        }
        out.field("layers").raw("[");
        int i = 0;
        for (JsonNode l : in.path("layers")) {
            out.raw(i++ == 0 ? "" : ",");
            goDescriptor(out, l, true);
        }
        byte[] raw = out.raw("]").end().bytes();
        return (ImageManifest) Manifest.parse(raw, MediaType.OCI_MANIFEST.value());
    }

    /** An index as Go's v1.Index: schemaVersion, mediaType, manifests (converted children renamed), annotations. */
    private static ImageIndex index(ImageIndex list, Map<Digest, ImageManifest> converted, String where) {
        ObjectNode in = tree(list.raw(), where);
        OciConfigConversion.GoJson out = new OciConfigConversion.GoJson().begin();
        out.field("schemaVersion").raw("2").field("mediaType").string(MediaType.OCI_INDEX.value());
        if (list.mediaType().isOci() && in.hasNonNull("artifactType")) {
            out.field("artifactType").string(in.path("artifactType").asText());
        }
        out.field("manifests").raw("[");
        int i = 0;
        for (JsonNode d : in.path("manifests")) {
            ObjectNode c = ((ObjectNode) d).deepCopy();
            ImageManifest child = converted.get(Digest.parse(d.path("digest").asText()));
            if (child != null) {
                c.put("mediaType", child.mediaType().value());
                c.put("digest", child.digest().toString());
                c.put("size", child.raw().length);
            }
            out.raw(i++ == 0 ? "" : ",");
            goDescriptor(out, c, list.mediaType().isOci());
        }
        out.raw("]");
        if (list.mediaType().isOci()) {
            if (in.path("subject").isObject()) {
                out.field("subject");
                goDescriptor(out, in.path("subject"), true);
            }
            annotations(out, in.path("annotations"));
        }
        return (ImageIndex) Manifest.parse(out.end().bytes(), MediaType.OCI_INDEX.value());
    }

    /**
     * One descriptor as Go's v1.Descriptor: mediaType (a Docker blob type renamed to its OCI one), digest, size,
     * urls, annotations, data, platform, artifactType; annotations, data and artifactType only where the source
     * could say them (an OCI source: Docker descriptors have no such fields).
     */
    private static void goDescriptor(OciConfigConversion.GoJson out, JsonNode d, boolean oci) {
        String type = d.path("mediaType").asText();
        out.begin().field("mediaType").string(BLOB_TYPES.getOrDefault(type, type))
                .field("digest").string(d.path("digest").asText()).field("size").raw(Long.toString(d.path("size").asLong()));
        if (d.path("urls").isArray() && !d.path("urls").isEmpty()) {
            List<String> urls = new ArrayList<>();
            d.path("urls").forEach(u -> urls.add(u.asText()));
            out.field("urls").strings(urls);
        }
        if (oci) {
            annotations(out, d.path("annotations"));
            if (d.hasNonNull("data") && !d.path("data").asText().isEmpty()) {
                out.field("data").string(d.path("data").asText());
            }
        }
        JsonNode p = d.path("platform");
        if (p.isObject()) {
            // Go's v1.Platform: architecture, os, os.version, os.features, variant (a v2s2 list's "features" is dropped)
            out.field("platform").begin().field("architecture").string(p.path("architecture").asText())
                    .field("os").string(p.path("os").asText());
            if (!p.path("os.version").asText().isEmpty()) {
                out.field("os.version").string(p.path("os.version").asText());
            }
            if (p.path("os.features").isArray() && !p.path("os.features").isEmpty()) {
                List<String> f = new ArrayList<>();
                p.path("os.features").forEach(x -> f.add(x.asText()));
                out.field("os.features").strings(f);
            }
            if (!p.path("variant").asText().isEmpty()) {
                out.field("variant").string(p.path("variant").asText());
            }
            out.end();
        }
        if (oci && !d.path("artifactType").asText().isEmpty()) {
            out.field("artifactType").string(d.path("artifactType").asText());
        }
        out.end();
    }

    /** Go's map[string]string, omitempty: keys in byte order. */
    private static void annotations(OciConfigConversion.GoJson out, JsonNode a) {
        if (!a.isObject() || a.isEmpty()) {
            return;
        }
        java.util.TreeMap<String, String> sorted = new java.util.TreeMap<>(OciConfigConversion.GoJson.BYTE_ORDER);
        a.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().asText()));
        out.field("annotations").begin();
        sorted.forEach((k, v) -> out.field(k).string(v));
        out.end();
    }

    private static ObjectNode tree(byte[] raw, String where) {
        try {
            return (ObjectNode) JSON.readTree(raw);
        } catch (IOException | ClassCastException e) {
            throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST, "converting the manifest of " + where + ": not a JSON object");
        }
    }
}
