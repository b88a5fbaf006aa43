package dev.ferry.transfer;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import io.vertx.core.Future;
import java.util.List;

/**
 * A source that is another one with some blobs read elsewhere (a spool file, memory): every call goes to
 * {@code delegate} unless the subclass overrides it, usually {@link #openBlob} only.
 */
public abstract class ForwardingImageSource implements ImageSource {
    protected final ImageSource delegate;

    protected ForwardingImageSource(ImageSource delegate) {
        this.delegate = delegate;
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
        return delegate.openBlob(blob);
    }

    @Override
    public Future<Void> close() {
        return delegate.close();
    }

    @Override
    public Future<List<String>> tags() {
        return delegate.tags();
    }

    @Override
    public String inspectName() {
        return delegate.inspectName();
    }
}
