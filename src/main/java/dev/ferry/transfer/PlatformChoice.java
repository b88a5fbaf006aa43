package dev.ferry.transfer;

import dev.ferry.oci.Platform;
import java.util.List;

/**
 * Some platforms of a multi-platform image ({@code platforms} of a sync or policy).
 *
 * @param platforms the platforms wanted, each matched as {@link dev.ferry.oci.PlatformSelector} matches one; at least one
 * @param rewrite   false ({@code platformsIndex: keep}, the default): the source's index is pushed unchanged, so the
 *                  digest is kept and the index names images the destination does not hold (containers/image's
 *                  KeepSparseManifestList); true ({@code platformsIndex: rewrite}): a new index listing only the chosen
 *                  images is pushed, with a new digest (containers/image's StripSparseManifestList)
 */
public record PlatformChoice(List<Platform> platforms, boolean rewrite) {
    public PlatformChoice {
        platforms = List.copyOf(platforms);
        if (platforms.isEmpty()) {
            throw new IllegalArgumentException("at least one platform");
        }
    }

    /** {@code linux/amd64,linux/arm64/v8 (keep)}: stable, a cache key. */
    @Override
    public String toString() {
        return String.join(",", platforms.stream().map(Platform::toString).toList()) + (rewrite ? " (rewrite)" : " (keep)");
    }
}
