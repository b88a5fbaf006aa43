package dev.ferry.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.Platform;
import dev.ferry.transfer.CopyPlanner;
import dev.ferry.transfer.ImageSource;
import dev.ferry.transfer.RegistrySource;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * skopeo inspect, over the registry client: the manifest the reference names, for an index the
 * manifest of the selected platform, its config and the repository's tags, assembled into skopeo's
 * output with the same field names and values.
 */
@ApplicationScoped
public class InspectService {
    private final RegistryClient registry;
    private final FerryConfig config;
    private final ObjectMapper json;
    private final OciConfigProjection projection;
    private final ConfigCache configs = new ConfigCache(32L * 1024 * 1024);

    public InspectService(RegistryClient registry, FerryConfig config, ObjectMapper json) {
        this.registry = registry;
        this.config = config;
        this.json = json;
        this.projection = new OciConfigProjection(json);
    }

    public Future<InspectResult> inspect(InspectOptions o) {
        boolean wantsTags = !o.raw() && !o.config() && !o.noTags();
        Future<List<String>> tags = wantsTags ? repoTags(o) : Future.succeededFuture(List.of());
        return registry.requireTagMatchesDigest(o.access(), o.image()).compose(ref -> registry.manifestGet(o.access(), ref))
                .recover(t -> whyMissing(o, t)).compose(top -> {
            if (o.raw() && !o.config()) {
                return Future.succeededFuture(new InspectResult.Raw(top.raw(), rawContentType(top)));
            }
            Manifest parsed = top.parse(o.image());
            return imageFor(o, parsed).compose(image -> configOf(o, image).compose(configBytes -> {
                if (o.config()) {
                    if (o.raw()) {
                        return Future.succeededFuture(new InspectResult.Raw(configBytes, image.config().mediaType().value()));
                    }
                    return Future.succeededFuture(new InspectResult.Json(projection.project(readJson(configBytes, o.image().name()))));
                }
                return tags.map(t -> new InspectResult.Json(output(o.image().name(), top.digest(), image,
                        readJson(configBytes, o.image().name()), t)));
            }));
        });
    }

    /**
     * skopeo inspect of any other transport ({@code oci:}, {@code oci-archive:}, {@code dir:}, {@code docker-archive:})
     * through the engine's source: the same output, without Name and with no RepoTags (as skopeo prints them).
     */
    public Future<InspectResult> inspect(ImageSource source, boolean raw, boolean wantConfig, Platform platform) {
        String where = source.describe();
        return source.topManifest().compose(top -> {
            if (raw && !wantConfig) {
                return Future.<InspectResult>succeededFuture(new InspectResult.Raw(top.raw(), top.contentType() != null ? top.contentType()
                        : top.parse(where).mediaType().value()));
            }
            Manifest parsed = top.parse(where);
            Future<ImageManifest> image = parsed instanceof ImageManifest m ? Future.succeededFuture(m)
                    : CopyPlanner.child(source, CopyPlanner.pick((ImageIndex) parsed, platform, where).digest());
            return image.compose(img -> source.openBlob(img.config()).compose(stream ->
                    dev.ferry.registry.BlobStreams.readVerified(stream, img.config(), config.limits().configBytes(),
                            "image config of " + where)).<InspectResult>map(bytes -> {
                if (wantConfig) {
                    return raw ? new InspectResult.Raw(bytes, img.config().mediaType().value())
                            : new InspectResult.Json(projection.project(readJson(bytes, where)));
                }
                return new InspectResult.Json(output(source.inspectName(), top.digest(), img, readJson(bytes, where), List.of()));
            })).onComplete(ar -> source.close());
        });
    }

    /** After a manifest 404, tells a missing repository from a missing tag (distribution answers MANIFEST_UNKNOWN for both). */
    private <T> Future<T> whyMissing(InspectOptions o, Throwable t) {
        if (!(t instanceof FerryException fe) || fe.type() != ProblemType.IMAGE_NOT_FOUND) {
            return Future.failedFuture(t);
        }
        return registry.repositoryExists(o.access(), o.image()).transform(ar -> {
            if (ar.succeeded() && !ar.result()) {
                return Future.failedFuture(new FerryException(ProblemType.REPOSITORY_NOT_FOUND,
                        "reading manifest " + o.image().reference() + " in " + o.image().name()
                        + ": the repository " + o.image().name() + " does not exist", fe));
            }
            return Future.failedFuture(fe);
        });
    }

    private Future<List<String>> repoTags(InspectOptions o) {
        // skopeo carries on without tags when the registry refuses to list them (some block the endpoint).
        return registry.tagList(o.access(), o.image()).recover(t -> {
            if (t instanceof FerryException fe && (fe.type() == ProblemType.REGISTRY_UNAUTHORIZED
                    || fe.type() == ProblemType.REGISTRY_FORBIDDEN)) {
                return Future.succeededFuture(List.of());
            }
            return Future.failedFuture(t);
        });
    }

    private static String rawContentType(ManifestResult m) {
        if (m.contentType() != null && !m.contentType().isBlank()) {
            return m.contentType();
        }
        return "application/octet-stream";
    }


    private Future<ImageManifest> imageFor(InspectOptions o, Manifest top) {
        if (top instanceof ImageManifest image) {
            return Future.succeededFuture(image);
        }
        Descriptor chosen = CopyPlanner.pick((ImageIndex) top, o.platform(), o.image().name());
        return CopyPlanner.child(new RegistrySource(registry, o.access(), o.image()), chosen.digest());
    }

    private Future<byte[]> configOf(InspectOptions o, ImageManifest image) {
        Digest digest = image.config().digest();
        byte[] cached = configs.get(digest);
        if (cached != null) {
            return Future.succeededFuture(cached);
        }
        return registry.blobGetBounded(o.access(), o.image(), digest, config.limits().configBytes(), "image config")
                .onSuccess(bytes -> configs.put(digest, bytes));
    }

    private JsonNode readJson(byte[] configBytes, String where) {
        try {
            JsonNode node = json.readTree(configBytes);
            if (node == null || !node.isObject()) {
                throw new IOException("not an object");
            }
            return node;
        } catch (IOException e) {
            throw new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE,
                    "reading image config of " + where + ": it is not a JSON object");
        }
    }

    /** @param name the repository name, or null where the transport has none (skopeo then prints no Name) */
    private ObjectNode output(String name, Digest topDigest, ImageManifest image, JsonNode cfg, List<String> tags) {
        ObjectNode out = json.createObjectNode();
        if (name != null) {
            out.put("Name", name);
        }
        out.put("Digest", topDigest.toString());
        ArrayNode repoTags = out.putArray("RepoTags");
        tags.forEach(repoTags::add);
        String created = GoTime.format(cfg.path("created").asText(null));
        if (created == null) {
            out.putNull("Created");
        } else {
            out.put("Created", created);
        }
        out.put("DockerVersion", cfg.path("docker_version").asText(""));
        JsonNode labels = cfg.path("config").get("Labels");
        out.set("Labels", labels != null && labels.isObject() && !labels.isEmpty() ? labels : json.nullNode());
        out.put("Architecture", cfg.path("architecture").asText(""));
        String variant = cfg.path("variant").asText("");
        if (!variant.isEmpty()) {
            out.put("Variant", variant);
        }
        out.put("Os", cfg.path("os").asText(""));
        ArrayNode layers = out.putArray("Layers");
        ArrayNode layersData = out.putArray("LayersData");
        for (Descriptor layer : image.layers()) {
            layers.add(layer.digest().toString());
            ObjectNode d = layersData.addObject();
            d.put("MIMEType", layer.mediaType().value());
            d.put("Digest", layer.digest().toString());
            d.put("Size", layer.size());
            Map<String, String> annotations = layer.annotations();
            if (annotations == null || annotations.isEmpty()) {
                d.putNull("Annotations");
            } else {
                ObjectNode a = d.putObject("Annotations");
                annotations.forEach(a::put);
            }
        }
        JsonNode env = cfg.path("config").get("Env");
        out.set("Env", env != null && env.isArray() && !env.isEmpty() ? env : json.nullNode());
        return out;
    }
}
