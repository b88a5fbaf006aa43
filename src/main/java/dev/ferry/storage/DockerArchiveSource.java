package dev.ferry.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageLocation;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.OciFormatException;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code docker save} archive as a source ({@code docker-archive:PATH[:NAME:TAG|:@N]}), read in place. It keeps
 * no manifest, so one is made the way containers/image makes it — a Docker v2s2 manifest whose layers are named by
 * the config's {@code diff_ids} (the uncompressed layer tars the archive holds) — byte for byte, so the digest is
 * the one {@code skopeo inspect docker-archive:...} reports and a copy to a registry keeps it. A layer stored
 * compressed (as Ferry's own export writes them) is named by its own digest instead.
 */
final class DockerArchiveSource implements ImageSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HEX_NAME = Pattern.compile("(?:.*/)?([a-f0-9]{64})(?:\\.tar|/layer\\.tar)?");
    static final String LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String CONFIG_TYPE = "application/vnd.docker.container.image.v1+json";

    private final Entries files;
    private final ImageReference name;
    private final Integer index;
    private final String describe;
    private final int limit;
    private final Map<Digest, String> entryOf = new ConcurrentHashMap<>();
    private Future<ManifestResult> manifest;

    DockerArchiveSource(Entries files, ImageReference name, Integer index, String describe, int limit) {
        this.files = files;
        this.name = name;
        this.index = index;
        this.describe = describe;
        this.limit = limit;
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public synchronized Future<ManifestResult> topManifest() {
        if (manifest == null) {
            manifest = files.read("manifest.json", limit, "manifest.json of " + describe).compose(this::build);
        }
        return manifest;
    }

    private Future<ManifestResult> build(byte[] raw) {
        JsonNode entry = choose(raw);
        String configName = entry.path("Config").asText("");
        JsonNode layers = entry.path("Layers");
        if (configName.isEmpty() || !layers.isArray()) {
            return Future.failedFuture(invalid("manifest.json has no Config or Layers"));
        }
        return files.read(configName, limit, "config of " + describe).compose(config -> {
            Digest configDigest = Digest.sha256Of(config);
            entryOf.put(configDigest, configName);
            JsonNode diffIds = read(config, "the config").path("rootfs").path("diff_ids");
            if (!diffIds.isArray() || diffIds.size() != layers.size()) {
                return Future.failedFuture(invalid("the config's rootfs.diff_ids do not match manifest.json's Layers"));
            }
            List<Future<Descriptor>> descriptors = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                String layer = layers.get(i).asText();
                Digest diffId;
                try {
                    diffId = Digest.parse(diffIds.get(i).asText());
                } catch (OciFormatException e) {
                    return Future.failedFuture(invalid("diff_ids[" + i + "] is not a digest"));
                }
                descriptors.add(files.size(layer).compose(size -> {
                    if (size < 0) {
                        return Future.failedFuture(invalid("layer " + layer + " is not in the archive"));
                    }
                    Matcher m = HEX_NAME.matcher(layer);
                    Digest digest = m.matches() && !m.group(1).equals(diffId.hex()) && m.group(0).endsWith(m.group(1) + ".tar")
                            ? new Digest(Digest.SHA256, m.group(1)) : diffId;
                    entryOf.put(digest, layer);
                    return Future.succeededFuture(Descriptor.of(dev.ferry.oci.MediaType.of(LAYER_TYPE), digest, size));
                }));
            }
            return Future.all(descriptors).map(v -> {
                byte[] bytes = manifestBytes(configDigest, config.length, descriptors.stream().map(Future::result).toList());
                return new ManifestResult(bytes, dev.ferry.oci.MediaType.DOCKER_MANIFEST.value(), Digest.sha256Of(bytes));
            });
        });
    }

    /** containers/image's {@code manifest.Schema2FromComponents(...).Serialize()}: compact, in Go's field order. */
    static byte[] manifestBytes(Digest config, long configSize, List<Descriptor> layers) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"schemaVersion\":2,\"mediaType\":\"").append(dev.ferry.oci.MediaType.DOCKER_MANIFEST.value())
                .append("\",\"config\":{\"mediaType\":\"").append(CONFIG_TYPE).append("\",\"size\":").append(configSize)
                .append(",\"digest\":\"").append(config).append("\"},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            Descriptor d = layers.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(d.mediaType().value()).append("\",\"size\":")
                    .append(d.size()).append(",\"digest\":\"").append(d.digest()).append("\"}");
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private JsonNode choose(byte[] raw) {
        JsonNode all = read(raw, "manifest.json");
        if (!all.isArray() || all.isEmpty()) {
            throw invalid("manifest.json lists no image");
        }
        if (index != null) {
            if (index >= all.size()) {
                throw new FerryException(ProblemType.IMAGE_NOT_FOUND, describe + ": the archive holds " + all.size() + " images");
            }
            return all.get(index);
        }
        if (name == null) {
            if (all.size() == 1) {
                return all.get(0);
            }
            throw new FerryException(ProblemType.IMAGE_NOT_FOUND, describe + ": the archive holds " + all.size()
                    + " images; name one as PATH:NAME:TAG or PATH:@N");
        }
        for (JsonNode e : all) {
            for (JsonNode tag : e.path("RepoTags")) {
                try {
                    if (ImageReference.parse(tag.asText()).equals(name)) {
                        return e;
                    }
                } catch (OciFormatException ignored) {
                    // not a name: not this one
                }
            }
        }
        throw new FerryException(ProblemType.IMAGE_NOT_FOUND, describe + ": no image tagged " + ImageLocation.shortName(name));
    }

    private JsonNode read(byte[] raw, String what) {
        try {
            return JSON.readTree(raw);
        } catch (IOException e) {
            throw invalid(what + " is not JSON");
        }
    }

    private FerryException invalid(String why) {
        return new FerryException(ProblemType.INVALID_ARCHIVE, describe + ": " + why);
    }

    @Override
    public Future<ManifestResult> manifest(Digest digest) {
        return Future.failedFuture(new FerryException(ProblemType.UNSUPPORTED_MANIFEST,
                describe + ": a docker-archive holds single images, not an index"));
    }

    @Override
    public Future<BlobStream> openBlob(Descriptor blob) {
        return topManifest().compose(m -> {
            String entry = entryOf.get(blob.digest());
            if (entry == null) {
                return Future.failedFuture(new FerryException(ProblemType.BLOB_NOT_FOUND, describe + ": no blob " + blob.digest()));
            }
            return files.open(entry, "blob " + blob.digest() + " of " + describe);
        });
    }
}
