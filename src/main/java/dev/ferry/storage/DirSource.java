package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import java.nio.file.Path;

/**
 * skopeo's {@code dir:PATH} as a source: {@code manifest.json} is the top manifest, {@code HEX.manifest.json} the
 * children of a multi-platform image, and every blob a file named by its hex digest.
 */
final class DirSource implements ImageSource {
    private final Path dir;
    private final String describe;
    private final LocalFiles files;
    private final StorageRoots roots;
    private final int manifestLimit;

    DirSource(Path dir, String describe, LocalFiles files, StorageRoots roots, int manifestLimit) {
        this.dir = dir;
        this.describe = describe;
        this.files = files;
        this.roots = roots;
        this.manifestLimit = manifestLimit;
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public Future<ManifestResult> topManifest() {
        return files.readBounded(dir.resolve("manifest.json"), manifestLimit, "manifest.json of " + describe)
                .map(raw -> new ManifestResult(raw, null, Digest.sha256Of(raw)));
    }

    @Override
    public Future<ManifestResult> manifest(Digest digest) {
        Path p = roots.within(dir, dir.resolve(digest.hex() + ".manifest.json"), "manifest " + digest);
        return files.readBounded(p, manifestLimit, "manifest " + digest + " of " + describe).compose(raw -> digest.matches(raw)
                ? Future.succeededFuture(new ManifestResult(raw, null, digest))
                : Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                        "reading manifest " + digest + " of " + describe + ": the file does not match its digest")));
    }

    @Override
    public Future<BlobStream> openBlob(Descriptor blob) {
        Path p = roots.within(dir, dir.resolve(blob.digest().hex()), "blob " + blob.digest());
        return files.openStream(p, "blob " + blob.digest() + " of " + describe);
    }
}
