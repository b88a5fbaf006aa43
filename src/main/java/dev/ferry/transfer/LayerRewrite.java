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
import dev.ferry.registry.ManifestResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * After recompressed layers are written: each image manifest gets the new layer descriptors (media type, digest,
 * size; annotations and URLs kept), and an index the new digests and sizes of its children. Every other field, and
 * the order of fields, stays as the source wrote it. The config blob is not touched: its {@code rootfs.diff_ids} name
 * the uncompressed layers, which recompression does not change (containers/image leaves them too).
 */
final class LayerRewrite {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(CopyPlan plan, List<CopyResult.DigestChange> changes) {
    }

    private LayerRewrite() {
    }

    /** The layer media type in the manifest's own family (Docker v2s2 has gzip only; zstd converted it to OCI first). */
    private static String layerType(ImageManifest image, LayerCompression compression) {
        return image.mediaType().isOci() ? compression.ociMediaType() : "application/vnd.docker.image.rootfs.diff.tar.gzip";
    }

    static Result apply(CopyPlan plan, Map<Digest, Descriptor> rewritten, LayerCompression compression, String where) {
        List<CopyResult.DigestChange> changes = new ArrayList<>();
        String family = plan.images().isEmpty() ? compression.ociMediaType() : layerType(plan.images().get(0), compression);
        rewritten.forEach((from, to) -> changes.add(new CopyResult.DigestChange("layer", from, to.digest(), family)));
        changes.sort(java.util.Comparator.comparing(c -> c.from().toString()));
        if (rewritten.isEmpty()) {
            return new Result(plan, changes);
        }
        List<ImageManifest> images = new ArrayList<>();
        Map<Digest, ImageManifest> byOld = new HashMap<>();
        for (ImageManifest image : plan.images()) {
            ImageManifest out = image;
            if (image.layers().stream().anyMatch(l -> rewritten.containsKey(l.digest()))) {
                ObjectNode tree = tree(image.raw(), where);
                for (JsonNode l : tree.path("layers")) {
                    Descriptor to = rewritten.get(Digest.parse(l.path("digest").asText()));
                    if (to != null) {
                        ObjectNode layer = (ObjectNode) l;
                        layer.put("mediaType", layerType(image, compression));
                        layer.put("digest", to.digest().toString());
                        layer.put("size", to.size());
                    }
                }
                out = (ImageManifest) Manifest.parse(bytes(tree), image.mediaType().value());
                changes.add(new CopyResult.DigestChange("manifest", image.digest(), out.digest(), out.mediaType().value()));
            }
            images.add(out);
            byOld.put(image.digest(), out);
        }
        if (plan.index() == null) {
            ImageManifest only = images.get(0);
            return new Result(new CopyPlan(new ManifestResult(only.raw(), only.mediaType().value(), only.digest()), null,
                    images, plan.blobs()), changes);
        }
        ObjectNode tree = tree(plan.index().raw(), where);
        for (JsonNode d : tree.path("manifests")) {
            ImageManifest child = byOld.get(Digest.parse(d.path("digest").asText()));
            if (child != null) {
                ((ObjectNode) d).put("digest", child.digest().toString());
                ((ObjectNode) d).put("size", child.raw().length);
            }
        }
        ImageIndex index = (ImageIndex) Manifest.parse(bytes(tree), plan.index().mediaType().value());
        changes.add(new CopyResult.DigestChange("index", plan.index().digest(), index.digest(), index.mediaType().value()));
        return new Result(new CopyPlan(new ManifestResult(index.raw(), index.mediaType().value(), index.digest()), index,
                images, plan.blobs()), changes);
    }

    private static ObjectNode tree(byte[] raw, String where) {
        try {
            return (ObjectNode) JSON.readTree(raw);
        } catch (IOException | ClassCastException e) {
            throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST, "rewriting the layers of " + where + ": not a JSON object");
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
