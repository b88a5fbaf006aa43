package dev.ferry.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.StreamWatch;
import dev.ferry.registry.VerifyingPump;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * An OCI image layout directory as a destination ({@code oci:PATH[:REF]}), as containers/image writes it: the
 * directory and {@code oci-layout} are created when missing, blobs and manifests go to {@code blobs/ALG/HEX}
 * (each through a temp file renamed when complete and verified), and on commit {@code index.json} gains an entry
 * for the top manifest annotated with REF, replacing an earlier entry with the same REF. Blobs already present are
 * skipped; blobs may be written in parallel.
 */
final class OciLayoutDestination implements ImageDestination {
    private static final Capabilities CAPABILITIES = new Capabilities(true, false, true, true);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final String ref;
    private final String describe;
    private final LocalFiles files;
    private final StorageRoots roots;
    private final int indexLimit;
    private volatile ManifestResult top;
    private volatile String topMediaType;

    OciLayoutDestination(Path dir, String ref, String describe, LocalFiles files, StorageRoots roots, int indexLimit) {
        this.dir = dir;
        this.ref = ref;
        this.describe = describe;
        this.files = files;
        this.roots = roots;
        this.indexLimit = indexLimit;
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Future<Boolean> hasBlob(Descriptor blob) {
        Path p = blobPath(blob.digest());
        return files.fs().props(p.toString()).map(props -> props.isRegularFile() && props.size() == blob.size())
                .otherwise(false);
    }

    @Override
    public Future<Long> putBlob(Descriptor blob, ImageSource source, StreamWatch watch) {
        String action = "writing blob " + blob.digest() + " to " + describe;
        return files.createAtomically(blobPath(blob.digest())).compose(sink -> source.openBlob(blob)
                .onFailure(t -> sink.reset())
                .compose(stream -> VerifyingPump.pump(stream, sink, blob, action, watch))
                .map(v -> blob.size()));
    }

    @Override
    public Future<Digest> putManifest(ManifestResult manifest, boolean isTop) {
        if (isTop) {
            top = manifest;
            topMediaType = manifest.parse(describe).mediaType().value();
        }
        return files.writeAtomically(blobPath(manifest.digest()), manifest.raw()).map(manifest.digest());
    }

    @Override
    public Future<Void> commit() {
        if (top == null) {
            return Future.failedFuture(new IllegalStateException("commit before the top manifest"));
        }
        Path ociLayout = dir.resolve("oci-layout");
        Path index = dir.resolve("index.json");
        Future<Void> layout = files.exists(ociLayout).compose(there -> there ? Future.succeededFuture()
                : files.writeAtomically(ociLayout, "{\"imageLayoutVersion\": \"1.0.0\"}".getBytes(StandardCharsets.UTF_8)));
        return layout.compose(v -> files.exists(index)).compose(there -> there
                        ? files.readBounded(index, indexLimit, "index.json of " + describe)
                        : Future.succeededFuture((byte[]) null))
                .compose(existing -> files.writeAtomically(index, updatedIndex(existing)));
    }

    private byte[] updatedIndex(byte[] existing) {
        ObjectNode root;
        try {
            JsonNode parsed = existing == null ? null : JSON.readTree(existing);
            root = parsed instanceof ObjectNode o ? o : JSON.createObjectNode();
        } catch (IOException e) {
            throw new FerryException(ProblemType.INVALID_ARCHIVE, "reading index.json of " + describe + ": it is not JSON");
        }
        root.put("schemaVersion", 2);
        JsonNode old = root.get("manifests");
        ArrayNode manifests = JSON.createArrayNode();
        if (old != null && old.isArray()) {
            for (JsonNode d : old) {
                JsonNode name = d.path("annotations").get(OciLayoutSource.REF_NAME);
                boolean sameRef = ref != null ? name != null && ref.equals(name.asText())
                        : name == null && top.digest().toString().equals(d.path("digest").asText());
                if (!sameRef) {
                    manifests.add(d);
                }
            }
        }
        ObjectNode entry = manifests.addObject();
        entry.put("mediaType", topMediaType);
        entry.put("digest", top.digest().toString());
        entry.put("size", top.raw().length);
        if (ref != null) {
            entry.putObject("annotations").put(OciLayoutSource.REF_NAME, ref);
        }
        root.set("manifests", manifests);
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean needsOci() {
        return true;
    }

    @Override
    public String reference(Digest digest) {
        return ref != null ? ref : digest.toString();
    }

    private Path blobPath(Digest digest) {
        return roots.within(dir, dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex()), "blob " + digest);
    }
}
