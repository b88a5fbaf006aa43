package dev.ferry.transfer;

import java.util.List;

/**
 * Whether a copy carries the artifacts attached to the image (OCI 1.1 referrers, the {@code sha256-<hex>} fallback
 * index tag, cosign's {@code sha256-<hex>.sig/.att/.sbom} tags), and which of them.
 *
 * @param enabled       request field {@code referrers} (default true)
 * @param artifactTypes request field {@code referrerArtifactTypes}: only referrers of these artifact types travel;
 *                      empty means every type
 */
public record ReferrerOptions(boolean enabled, List<String> artifactTypes) {
    /** The default: every attached artifact travels. */
    public static final ReferrerOptions ALL = new ReferrerOptions(true, List.of());
    /** {@code referrers: false}. */
    public static final ReferrerOptions NONE = new ReferrerOptions(false, List.of());

    public ReferrerOptions {
        artifactTypes = artifactTypes == null ? List.of() : List.copyOf(artifactTypes);
    }

    /** Whether an artifact of {@code artifactType} (null when it has none) is wanted. */
    public boolean wants(String artifactType) {
        return enabled && (artifactTypes.isEmpty() || (artifactType != null && artifactTypes.contains(artifactType)));
    }
}
