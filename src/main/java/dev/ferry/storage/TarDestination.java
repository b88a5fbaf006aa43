package dev.ferry.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.Manifest;
import dev.ferry.registry.BlobSink;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.StreamWatch;
import dev.ferry.registry.VerifyingPump;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * An image written as one tar stream, blob after blob in a fixed order, into a file or an HTTP response:
 * <ul>
 *   <li>{@code oci-archive}: an OCI image layout — {@code blobs/ALG/HEX} for every blob and manifest, then
 *       {@code oci-layout} and {@code index.json} (an entry for the top manifest, annotated with REF); a multi-platform
 *       image keeps its index, so its digest survives;</li>
 *   <li>{@code docker-archive}: what {@code docker load} / {@code podman load} read — {@code HEX.tar} per layer (stored
 *       as the registry had it; loaders decompress and check each against the config's {@code diff_ids}),
 *       {@code HEX.json} for the config, then {@code manifest.json} with the image's RepoTags. One image only, and no
 *       manifest is kept: the digests of the config and layers survive, the manifest's does not.</li>
 * </ul>
 * Every blob is verified while it streams; a failed blob aborts the whole stream (the tar never ends cleanly).
 */
final class TarDestination implements ImageDestination {
    enum Format { OCI, DOCKER }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Format format;
    private final TarWriter tar;
    private final String ref;
    private final List<String> repoTags;
    private final String describe;
    private final Supplier<Future<Void>> afterFinish;
    private ManifestResult top;

    /**
     * @param ref         the OCI ref.name annotation (oci-archive), or null
     * @param repoTags    the RepoTags of manifest.json (docker-archive)
     * @param afterFinish run after the tar has been ended (renames the temp file into place); an abort runs the
     *                    writer's own abort action (deletes the temp file, resets the response)
     */
    TarDestination(Format format, TarWriter tar, String ref, List<String> repoTags, String describe,
                   Supplier<Future<Void>> afterFinish) {
        this.format = format;
        this.tar = tar;
        this.ref = ref;
        this.repoTags = repoTags;
        this.describe = describe;
        this.afterFinish = afterFinish;
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(false, false, format == Format.OCI, false);
    }

    @Override
    public Future<Boolean> hasBlob(Descriptor blob) {
        return Future.succeededFuture(false);
    }

    @Override
    public Future<Long> putBlob(Descriptor blob, ImageSource source, StreamWatch watch) {
        String action = "writing blob " + blob.digest() + " to " + describe;
        return source.openBlob(blob).compose(stream -> {
            BlobSink entry = tar.blobEntry(entryName(blob), blob.size());
            return VerifyingPump.pump(stream, entry, blob, action, watch).map(v -> blob.size());
        }).onFailure(t -> tar.abort());
    }

    private String entryName(Descriptor blob) {
        Digest d = blob.digest();
        if (format == Format.OCI) {
            return OciLayoutSource.blobPath(d);
        }
        return d.hex() + (isConfig(blob) ? ".json" : ".tar");
    }

    private static boolean isConfig(Descriptor blob) {
        String t = blob.mediaType().value();
        return t.endsWith("container.image.v1+json") || t.equals("application/vnd.oci.image.config.v1+json");
    }

    @Override
    public Future<Digest> putManifest(ManifestResult manifest, boolean isTop) {
        if (isTop) {
            top = manifest;
        }
        if (format == Format.DOCKER) {
            return Future.succeededFuture(manifest.digest()); // a docker archive keeps no manifest, only manifest.json
        }
        return tar.entry(OciLayoutSource.blobPath(manifest.digest()), manifest.raw()).map(manifest.digest());
    }

    @Override
    public Future<Void> commit() {
        if (top == null) {
            return Future.failedFuture(new IllegalStateException("commit before the top manifest"));
        }
        Future<Void> last = format == Format.OCI
                ? tar.entry("oci-layout", "{\"imageLayoutVersion\": \"1.0.0\"}".getBytes(StandardCharsets.UTF_8))
                        .compose(v -> tar.entry("index.json", ociIndex()))
                : tar.entry("manifest.json", dockerManifest());
        return last.compose(v -> tar.finish()).compose(v -> afterFinish.get()).onFailure(t -> abort());
    }

    @Override
    public Future<Void> abort() {
        tar.abort();
        return Future.succeededFuture();
    }

    private byte[] ociIndex() {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        ArrayNode manifests = root.putArray("manifests");
        ObjectNode entry = manifests.addObject();
        entry.put("mediaType", top.parse(describe).mediaType().value());
        entry.put("digest", top.digest().toString());
        entry.put("size", top.raw().length);
        if (ref != null) {
            entry.putObject("annotations").put(OciLayoutSource.REF_NAME, ref);
        }
        return bytes(root);
    }

    private byte[] dockerManifest() {
        Manifest parsed = top.parse(describe);
        if (!(parsed instanceof ImageManifest image)) {
            throw new FerryException(ProblemType.INVALID_REQUEST, describe + ": a docker-archive holds one image, not an index");
        }
        ArrayNode root = JSON.createArrayNode();
        ObjectNode m = root.addObject();
        m.put("Config", image.config().digest().hex() + ".json");
        ArrayNode tags = m.putArray("RepoTags");
        repoTags.forEach(tags::add);
        ArrayNode layers = m.putArray("Layers");
        List<String> names = new ArrayList<>();
        for (Descriptor layer : image.layers()) {
            names.add(layer.digest().hex() + ".tar");
        }
        names.forEach(layers::add);
        return bytes(root);
    }

    private static byte[] bytes(Object node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean needsOci() {
        return format == Format.OCI;
    }

    @Override
    public String reference(Digest digest) {
        return ref != null ? ref : repoTags.isEmpty() ? digest.toString() : repoTags.get(0);
    }
}
