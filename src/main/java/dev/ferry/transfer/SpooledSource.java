package dev.ferry.transfer;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;

/** A source whose one rewritten layer is read from its spool file; everything else comes from {@code delegate}. */
final class SpooledSource implements ImageSource {
    private static final int READ_BUFFER = 256 * 1024;
    private final ImageSource delegate;
    private final LayerRecompressor.Spooled spooled;
    private final Vertx vertx;

    SpooledSource(ImageSource delegate, LayerRecompressor.Spooled spooled, Vertx vertx) {
        this.delegate = delegate;
        this.spooled = spooled;
        this.vertx = vertx;
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public Future<ManifestResult> topManifest() {
        return delegate.topManifest();
    }

    @Override
    public Future<ManifestResult> manifest(Digest digest) {
        return delegate.manifest(digest);
    }

    @Override
    public Future<BlobStream> openBlob(Descriptor blob) {
        if (!blob.digest().equals(spooled.descriptor().digest())) {
            return delegate.openBlob(blob);
        }
        return vertx.fileSystem().open(spooled.file().toString(), new OpenOptions().setRead(true).setWrite(false).setCreate(false))
                .recover(t -> Future.failedFuture(new FerryException(ProblemType.BLOB_NOT_FOUND,
                        "reading the recompressed layer " + blob.digest() + ": its spool file is gone")))
                .map(file -> {
                    file.pause();
                    file.setReadBufferSize(READ_BUFFER);
                    return BlobStream.of(file, () -> file.close());
                });
    }
}
