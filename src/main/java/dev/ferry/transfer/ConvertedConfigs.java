package dev.ferry.transfer;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.BytesStream;
import dev.ferry.registry.ManifestResult;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * A source whose converted OCI configs ({@link OciConfigConversion}, by their new digests) are served from memory;
 * every other blob and manifest comes from {@code delegate}. Configs are small (bounded by the manifest size limit).
 */
final class ConvertedConfigs implements ImageSource {
    private final ImageSource delegate;
    private final Map<Digest, byte[]> configs;

    ConvertedConfigs(ImageSource delegate, Map<Digest, byte[]> configs) {
        this.delegate = delegate;
        this.configs = Map.copyOf(configs);
    }

    ImageSource delegate() {
        return delegate;
    }

    /** Whether {@code digest} is a converted config this source serves from memory. */
    boolean serves(Digest digest) {
        return configs.containsKey(digest);
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
        byte[] bytes = configs.get(blob.digest());
        return bytes == null ? delegate.openBlob(blob) : Future.succeededFuture(BytesStream.of(bytes));
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
