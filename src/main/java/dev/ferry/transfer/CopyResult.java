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
 */
public record CopyResult(Digest digest, int blobsCopied, int blobsMounted, int blobsSkipped, long bytesCopied) {
}
