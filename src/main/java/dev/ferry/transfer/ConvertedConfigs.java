package dev.ferry.transfer;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.BytesStream;
import io.vertx.core.Future;
import java.util.Map;

/**
 * A source whose converted OCI configs ({@link OciConfigConversion}, by their new digests) are served from memory;
 * every other blob and manifest comes from {@code delegate}. Configs are small (bounded by the manifest size limit).
 */
final class ConvertedConfigs extends ForwardingImageSource {
    private final Map<Digest, byte[]> configs;

    ConvertedConfigs(ImageSource delegate, Map<Digest, byte[]> configs) {
        super(delegate);
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
    public Future<BlobStream> openBlob(Descriptor blob) {
        byte[] bytes = configs.get(blob.digest());
        return bytes == null ? delegate.openBlob(blob) : Future.succeededFuture(BytesStream.of(bytes));
    }
}
