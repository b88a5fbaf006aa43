package dev.ferry.storage;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.StreamWatch;
import dev.ferry.registry.VerifyingPump;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * skopeo's {@code dir:PATH} as a destination (format version 1.1): blobs as files named by hex digest, children of
 * an index as {@code HEX.manifest.json}, the top manifest as {@code manifest.json}, written last, with
 * {@code version}. Each file goes through a temp file renamed when complete and verified.
 */
final class DirDestination implements ImageDestination {
    static final String VERSION = "Directory Transport Version: 1.1\n";
    private static final Capabilities CAPABILITIES = new Capabilities(true, false, true, true);

    private final Path dir;
    private final String describe;
    private final LocalFiles files;
    private final StorageRoots roots;

    DirDestination(Path dir, String describe, LocalFiles files, StorageRoots roots) {
        this.dir = dir;
        this.describe = describe;
        this.files = files;
        this.roots = roots;
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
        return files.fs().props(file(blob.digest().hex()).toString())
                .map(p -> p.isRegularFile() && p.size() == blob.size()).otherwise(false);
    }

    @Override
    public Future<Long> putBlob(Descriptor blob, ImageSource source, StreamWatch watch) {
        String action = "writing blob " + blob.digest() + " to " + describe;
        return files.createAtomically(file(blob.digest().hex())).compose(sink -> source.openBlob(blob)
                .onFailure(t -> sink.reset())
                .compose(stream -> VerifyingPump.pump(stream, sink, blob, action, watch))
                .map(v -> blob.size()));
    }

    @Override
    public Future<Digest> putManifest(ManifestResult manifest, boolean top) {
        Path target = top ? dir.resolve("manifest.json") : file(manifest.digest().hex() + ".manifest.json");
        Future<Void> version = top ? files.writeAtomically(dir.resolve("version"), VERSION.getBytes(StandardCharsets.UTF_8))
                : Future.succeededFuture();
        return version.compose(v -> files.writeAtomically(target, manifest.raw())).map(manifest.digest());
    }

    @Override
    public String reference(Digest digest) {
        return describe;
    }

    private Path file(String name) {
        return roots.within(dir, dir.resolve(name), name);
    }
}
