package dev.ferry.signature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.registry.BytesStream;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.MediaType;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.registry.StreamWatch;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sigstore signatures stored as cosign does, and as containers/image reads and writes them with
 * {@code use-sigstore-attachments}: an OCI image manifest tagged {@code sha256-<hex>.sig} in the image's repository,
 * one layer per signature (the payload blob; the signature in the layer's annotations), its config listing the
 * payloads as diff IDs. Writing appends a layer to the manifest already there (nothing when an identical signature is
 * there) and pushes the payload and the new config before the manifest.
 */
final class SigstoreAttachments {
    /** One stored signature: the payload blob, its media type and the layer annotations (the signature). */
    record Attached(String mediaType, byte[] payload, Map<String, String> annotations) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LAYERS = 128;

    private final RegistryClient registry;

    SigstoreAttachments(RegistryClient registry) {
        this.registry = registry;
    }

    static String tag(Digest digest) {
        return digest.algorithm() + "-" + digest.hex() + ".sig";
    }

    /** The signatures attached to {@code digest} in {@code repo} (none when there is no such tag). */
    Future<List<Attached>> read(RegistryAccess access, ImageReference repo, Digest digest) {
        ImageReference sigRef = repo.withDigest(null).withTag(tag(digest));
        return existing(access, sigRef).compose(m -> {
            if (m == null) {
                return Future.succeededFuture(List.of());
            }
            JsonNode layers = m.path("layers");
            if (layers.size() > MAX_LAYERS) {
                return Future.failedFuture(new FerryException(ProblemType.SIGNATURE_REJECTED,
                        sigRef + " has more than " + MAX_LAYERS + " signatures"));
            }
            List<Future<Attached>> all = new ArrayList<>();
            for (JsonNode layer : layers) {
                Digest d;
                try {
                    d = Digest.parse(layer.path("digest").asText());
                } catch (RuntimeException e) {
                    continue;
                }
                if (layer.path("size").asLong(-1) > OpenPgp.MAX_SIGNATURE_BYTES) {
                    continue;
                }
                Map<String, String> annotations = new LinkedHashMap<>();
                layer.path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
                String mediaType = layer.path("mediaType").asText();
                all.add(registry.blobGetBounded(access, repo, d, OpenPgp.MAX_SIGNATURE_BYTES, "sigstore signature payload")
                        .map(bytes -> new Attached(mediaType, bytes, annotations)));
            }
            return Future.all(all).map(v -> all.stream().map(Future::result).toList());
        });
    }

    /** Appends {@code signature} to the {@code sha256-<hex>.sig} manifest of {@code digest} in {@code repo}. */
    Future<String> append(RegistryAccess access, ImageReference repo, Digest digest, Attached signature) {
        ImageReference sigRef = repo.withDigest(null).withTag(tag(digest));
        return existing(access, sigRef).compose(m -> {
            ObjectNode manifest;
            Future<ObjectNode> config;
            if (m == null) {
                manifest = JSON.createObjectNode();
                manifest.put("schemaVersion", 2);
                manifest.put("mediaType", MediaType.OCI_MANIFEST.value());
                manifest.putArray("layers");
                config = Future.succeededFuture(newConfig());
            } else {
                manifest = (ObjectNode) m;
                if (!manifest.path("layers").isArray()) {
                    manifest.putArray("layers");
                }
                config = existingConfig(access, repo, manifest);
            }
            Digest payloadDigest = Digest.sha256Of(signature.payload());
            for (JsonNode layer : manifest.get("layers")) {
                if (layer.path("digest").asText().equals(payloadDigest.toString())
                        && layer.path("mediaType").asText().equals(signature.mediaType())
                        && annotationsOf(layer).equals(signature.annotations())) {
                    return Future.succeededFuture(sigRef.toString());
                }
            }
            return config.compose(cfg -> {
                ObjectNode layer = ((ArrayNode) manifest.get("layers")).addObject();
                layer.put("mediaType", signature.mediaType());
                layer.put("digest", payloadDigest.toString());
                layer.put("size", signature.payload().length);
                ObjectNode ann = layer.putObject("annotations");
                signature.annotations().forEach(ann::put);
                ((ArrayNode) cfg.with("rootfs").withArray("diff_ids")).add(payloadDigest.toString());
                byte[] configBytes = cfg.toString().getBytes(StandardCharsets.UTF_8);
                Digest configDigest = Digest.sha256Of(configBytes);
                ObjectNode c = manifest.putObject("config");
                c.put("mediaType", MediaType.OCI_CONFIG.value());
                c.put("digest", configDigest.toString());
                c.put("size", configBytes.length);
                byte[] raw = reorder(manifest).toString().getBytes(StandardCharsets.UTF_8);
                return putBlob(access, repo, signature.mediaType(), signature.payload())
                        .compose(v -> putBlob(access, repo, MediaType.OCI_CONFIG.value(), configBytes))
                        .compose(v -> registry.manifestPut(access, sigRef, MediaType.OCI_MANIFEST.value(), raw))
                        .map(d -> sigRef.toString());
            });
        });
    }

    private static Map<String, String> annotationsOf(JsonNode layer) {
        Map<String, String> out = new LinkedHashMap<>();
        layer.path("annotations").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** schemaVersion, mediaType, config, layers first (as OCI writers order them), then whatever else was there. */
    private static ObjectNode reorder(ObjectNode m) {
        ObjectNode out = JSON.createObjectNode();
        for (String k : List.of("schemaVersion", "mediaType", "config", "layers")) {
            if (m.has(k)) {
                out.set(k, m.get(k));
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!out.has(e.getKey())) {
                out.set(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private static ObjectNode newConfig() {
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("architecture", "");
        cfg.put("os", "");
        cfg.putObject("config");
        cfg.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        return cfg;
    }

    private Future<ObjectNode> existingConfig(RegistryAccess access, ImageReference repo, ObjectNode manifest) {
        String d = manifest.path("config").path("digest").asText("");
        if (d.isEmpty()) {
            return Future.succeededFuture(newConfig());
        }
        return registry.blobGetBounded(access, repo, Digest.parse(d), OpenPgp.MAX_SIGNATURE_BYTES, "sigstore attachment config")
                .map(bytes -> {
                    try {
                        JsonNode n = JSON.readTree(bytes);
                        return n instanceof ObjectNode o ? o : newConfig();
                    } catch (IOException e) {
                        return newConfig();
                    }
                });
    }

    /** The {@code .sig} manifest as JSON, or null when the tag does not exist. */
    private Future<JsonNode> existing(RegistryAccess access, ImageReference sigRef) {
        return registry.manifestHead(access, sigRef).compose(head -> {
            if (head == null) {
                return Future.succeededFuture(null);
            }
            return registry.manifestGet(access, sigRef).map(SigstoreAttachments::json);
        });
    }

    private static JsonNode json(ManifestResult m) {
        try {
            JsonNode n = JSON.readTree(m.raw());
            if (n == null || !n.isObject()) {
                throw new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, "the sigstore attachment manifest is not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, "the sigstore attachment manifest is not JSON");
        }
    }

    private Future<Void> putBlob(RegistryAccess access, ImageReference repo, String mediaType, byte[] bytes) {
        Descriptor d = Descriptor.of(MediaType.of(mediaType), Digest.sha256Of(bytes), bytes.length);
        return registry.blobHead(access, repo, d.digest()).compose(present -> present ? Future.succeededFuture()
                : registry.blobPut(access, repo, d, BytesStream.of(bytes), StreamWatch.NONE).mapEmpty());
    }
}
