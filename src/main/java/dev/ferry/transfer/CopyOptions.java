package dev.ferry.transfer;

import dev.ferry.oci.Platform;

/**
 * How to copy one image.
 *
 * @param all           for a multi-platform source: copy every platform and the index (skopeo's --all);
 *                      otherwise only the image for {@code platform}, pushed under the destination tag
 * @param platform      the platform to choose from an index when {@code all} is false; null for the
 *                      configured default
 * @param parallelBlobs most blobs moved at the same time (at least 1)
 */
public record CopyOptions(boolean all, Platform platform, int parallelBlobs) {
    public static final int DEFAULT_PARALLEL_BLOBS = 6;

    public CopyOptions {
        if (parallelBlobs < 1) {
            throw new IllegalArgumentException("parallelBlobs must be at least 1");
        }
    }

    public CopyOptions(boolean all, Platform platform) {
        this(all, platform, DEFAULT_PARALLEL_BLOBS);
    }

    public static CopyOptions defaults() {
        return new CopyOptions(false, null, DEFAULT_PARALLEL_BLOBS);
    }
}
