package dev.ferry.transfer;

import java.util.List;

/**
 * Whether a copy carries the artifacts attached to the image (OCI 1.1 referrers, the {@code sha256-<hex>} fallback
 * index tag, cosign's {@code sha256-<hex>.sig/.att/.sbom} tags), and which of them.
 *
 * @param enabled       request field {@code referrers} (default true)
 * @param artifactTypes request field {@code referrerArtifactTypes}: only referrers of these artifact types travel;
 *                      empty means every type
 * @param sourceTags    every tag of the source repository, when the caller listed them already in this job (a sync
 *                      does, to enumerate its images): which fallback and cosign tags exist is then read from it
 *                      instead of listing the repository again for every image; null when not known
 */
public record ReferrerOptions(boolean enabled, List<String> artifactTypes, java.util.Set<String> sourceTags) {
    /** The default: every attached artifact travels. */
    public static final ReferrerOptions ALL = new ReferrerOptions(true, List.of());
    /** {@code referrers: false}. */
    public static final ReferrerOptions NONE = new ReferrerOptions(false, List.of());

    public ReferrerOptions {
        artifactTypes = artifactTypes == null ? List.of() : List.copyOf(artifactTypes);
        sourceTags = sourceTags == null ? null : java.util.Set.copyOf(sourceTags);
    }

    public ReferrerOptions(boolean enabled, List<String> artifactTypes) {
        this(enabled, artifactTypes, null);
    }

    /** The same options, knowing the source repository's tags (listed in this job already). */
    public ReferrerOptions withSourceTags(java.util.Set<String> tags) {
        return new ReferrerOptions(enabled, artifactTypes, tags);
    }

    /** Whether an artifact of {@code artifactType} (null when it has none) is wanted. */
    public boolean wants(String artifactType) {
        return enabled && (artifactTypes.isEmpty() || (artifactType != null && artifactTypes.contains(artifactType)));
    }
}
