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
 * @param format        skopeo's --format: {@code oci} converts Docker manifests to OCI; null keeps them as they are,
 *                      except for a destination that only holds OCI (an OCI layout), which converts as skopeo does
 * @param preserveDigests skopeo's --preserve-digests: a copy that would change a digest fails instead
 * @param referrers     which attached artifacts travel with the image (default: all of them)
 * @param signing       what to sign the image with at the destination (skopeo's --sign-by and friends); never null
 * @param platforms     for a multi-platform source: copy these platforms' images only, and the index kept or rewritten
 *                      ({@link PlatformChoice}); null: {@code all} and {@code platform} decide
 * @param compression   skopeo's --dest-compress-format/--dest-compress-level: layers rewritten with this compression;
 *                      null keeps every layer as it is
 */
public record CopyOptions(boolean all, Platform platform, int parallelBlobs, String format, boolean preserveDigests,
                          ReferrerOptions referrers, dev.ferry.signature.SigningRequest signing, PlatformChoice platforms,
                          LayerCompression compression) {
    public static final int DEFAULT_PARALLEL_BLOBS = 6;

    public CopyOptions {
        if (parallelBlobs < 1) {
            throw new IllegalArgumentException("parallelBlobs must be at least 1");
        }
        if (referrers == null) {
            referrers = ReferrerOptions.ALL;
        }
        signing = signing == null ? dev.ferry.signature.SigningRequest.NONE : signing;
        if (all && platforms != null) {
            throw new IllegalArgumentException("all and platforms exclude each other");
        }
    }

    public CopyOptions(boolean all, Platform platform, int parallelBlobs, String format, boolean preserveDigests,
                       ReferrerOptions referrers, dev.ferry.signature.SigningRequest signing) {
        this(all, platform, parallelBlobs, format, preserveDigests, referrers, signing, null, null);
    }

    /** The same options copying only {@code choice}'s platforms of an index (null: as {@code all}/{@code platform} say). */
    public CopyOptions withPlatforms(PlatformChoice choice) {
        return new CopyOptions(all, platform, parallelBlobs, format, preserveDigests, referrers, signing, choice, compression);
    }

    public CopyOptions(boolean all, Platform platform, int parallelBlobs, String format, boolean preserveDigests) {
        this(all, platform, parallelBlobs, format, preserveDigests, ReferrerOptions.ALL, null, null, null);
    }

    public CopyOptions(boolean all, Platform platform, int parallelBlobs, String format, boolean preserveDigests,
                       ReferrerOptions referrers) {
        this(all, platform, parallelBlobs, format, preserveDigests, referrers, null, null, null);
    }

    /** The same options with {@code referrers} instead. */
    public CopyOptions withReferrers(ReferrerOptions referrers) {
        return new CopyOptions(all, platform, parallelBlobs, format, preserveDigests, referrers, signing, platforms, compression);
    }

    /** The same options, signing as {@code request} asks. */
    public CopyOptions withSigning(dev.ferry.signature.SigningRequest request) {
        return new CopyOptions(all, platform, parallelBlobs, format, preserveDigests, referrers, request, platforms, compression);
    }

    /** The same options, rewriting layers as {@code c} says (null: as they are). */
    public CopyOptions withCompression(LayerCompression c) {
        return new CopyOptions(all, platform, parallelBlobs, format, preserveDigests, referrers, signing, platforms, c);
    }

    public CopyOptions(boolean all, Platform platform, int parallelBlobs) {
        this(all, platform, parallelBlobs, null, false);
    }

    public CopyOptions(boolean all, Platform platform) {
        this(all, platform, DEFAULT_PARALLEL_BLOBS);
    }

    public static CopyOptions defaults() {
        return new CopyOptions(false, null, DEFAULT_PARALLEL_BLOBS);
    }
}
