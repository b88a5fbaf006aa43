package dev.ferry.transfer;

import dev.ferry.oci.Digest;
import java.util.List;

/**
 * What a copy did.
 *
 * @param digest       the digest of the manifest the destination reference now points to
 * @param blobsCopied  blobs streamed from the source
 * @param blobsMounted blobs linked from another repository of the same registry
 * @param blobsSkipped blobs the destination already had (or non-distributable layers, never copied)
 * @param bytesCopied  bytes streamed
 * @param digestsChanged the destination holds other manifests than the source (converted to OCI, or a docker-archive,
 *                     which keeps no manifest, or layers recompressed): {@code digest} is then the destination's
 * @param digestChanges with {@code destCompressFormat}: each layer and manifest whose digest changed, source digest →
 *                     destination digest (empty otherwise, and for a layer already in the asked compression)
 */
public record CopyResult(Digest digest, int blobsCopied, int blobsMounted, int blobsSkipped, long bytesCopied,
                         boolean digestsChanged, List<DigestChange> digestChanges) {

    /**
     * One digest that a recompression changed.
     *
     * @param kind      {@code layer}, {@code manifest} or {@code index}
     * @param from      the digest at the source
     * @param to        the digest at the destination
     * @param mediaType the destination's media type
     */
    public record DigestChange(String kind, Digest from, Digest to, String mediaType) {
    }

    public CopyResult {
        digestChanges = digestChanges == null ? List.of() : List.copyOf(digestChanges);
    }

    public CopyResult(Digest digest, int blobsCopied, int blobsMounted, int blobsSkipped, long bytesCopied) {
        this(digest, blobsCopied, blobsMounted, blobsSkipped, bytesCopied, false, List.of());
    }

    CopyResult withDigestsChanged(boolean changed) {
        return new CopyResult(digest, blobsCopied, blobsMounted, blobsSkipped, bytesCopied, changed, digestChanges);
    }

    CopyResult withDigestChanges(List<DigestChange> changes) {
        return new CopyResult(digest, blobsCopied, blobsMounted, blobsSkipped, bytesCopied,
                digestsChanged || !changes.isEmpty(), changes);
    }
}
