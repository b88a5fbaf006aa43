package dev.ferry.transfer;

import dev.ferry.oci.Digest;

/**
 * What a copy did.
 *
 * @param digest       the digest of the manifest the destination reference now points to
 * @param blobsCopied  blobs streamed from the source
 * @param blobsMounted blobs linked from another repository of the same registry
 * @param blobsSkipped blobs the destination already had (or non-distributable layers, never copied)
 * @param bytesCopied  bytes streamed
 * @param digestsChanged the destination holds other manifests than the source (converted to OCI, or a docker-archive,
 *                     which keeps no manifest): {@code digest} is then the destination's
 */
public record CopyResult(Digest digest, int blobsCopied, int blobsMounted, int blobsSkipped, long bytesCopied,
                         boolean digestsChanged) {
    public CopyResult(Digest digest, int blobsCopied, int blobsMounted, int blobsSkipped, long bytesCopied) {
        this(digest, blobsCopied, blobsMounted, blobsSkipped, bytesCopied, false);
    }

    CopyResult withDigestsChanged(boolean changed) {
        return new CopyResult(digest, blobsCopied, blobsMounted, blobsSkipped, bytesCopied, changed);
    }
}
