package dev.ferry.transfer;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;

/** A source whose one rewritten layer is read from its spool file; everything else comes from {@code delegate}. */
final class SpooledSource extends ForwardingImageSource {
    private static final int READ_BUFFER = 256 * 1024;
    private final LayerRecompressor.Spooled spooled;
    private final Vertx vertx;

    SpooledSource(ImageSource delegate, LayerRecompressor.Spooled spooled, Vertx vertx) {
        super(delegate);
        this.spooled = spooled;
        this.vertx = vertx;
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
