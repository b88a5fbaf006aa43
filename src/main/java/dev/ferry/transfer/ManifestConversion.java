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

    private ManifestConversion() {
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
