package dev.ferry.oci;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Picks the manifest for a platform out of an index, in the spirit of containers/image's platform matcher.
 *
 * <p>Candidates must match os and architecture after {@link Platform#normalized()} on both sides. Then:
 * <ul>
 *   <li>wanted variant given: exact variant first; for {@code arm} lower variants down to {@code v5}
 *       ({@code v7} accepts v7, v6, v5 in that order); for {@code arm64} also {@code v8} and no variant;
 *       for {@code amd64} lower micro-architecture levels down to {@code v2}, then no variant;</li>
 *   <li>no wanted variant: a candidate without variant, else for {@code arm64} {@code v8}, else the first
 *       candidate.</li>
 * </ul>
 * Ties go to the first descriptor in index order.
 */
public final class PlatformSelector {

    private PlatformSelector() {
    }

    public static Optional<Descriptor> select(ImageIndex index, Platform wanted) {
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(wanted, "wanted");
        Platform want = wanted.normalized();
        List<Descriptor> candidates = new ArrayList<>();
        List<String> candidateVariants = new ArrayList<>();
        for (Descriptor d : index.manifests()) {
            if (d.platform() == null) {
                continue;
            }
            Platform have = d.platform().normalized();
            if (have.os().equals(want.os()) && have.architecture().equals(want.architecture())) {
                candidates.add(d);
                candidateVariants.add(have.variant());
            }
        }
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        for (String variant : acceptableVariants(want)) {
            for (int i = 0; i < candidates.size(); i++) {
                if (Objects.equals(variant, candidateVariants.get(i))) {
                    return Optional.of(candidates.get(i));
                }
            }
        }
        if (want.variant() == null) {
            return Optional.of(candidates.get(0));
        }
        return Optional.empty();
    }

    /** Convenience: a normalised platform, e.g. from {@code os.name}/{@code os.arch}-style values. */
    public static Platform defaultPlatform(String os, String arch, String variant) {
        return Platform.of(os, arch, variant).normalized();
    }

    /** Acceptable variants in order of preference; {@code null} stands for "no variant". */
    private static List<String> acceptableVariants(Platform want) {
        String arch = want.architecture();
        String variant = want.variant();
        List<String> order = new ArrayList<>();
        if (variant == null) {
            order.add(null);
            if ("arm64".equals(arch)) {
                order.add("v8");
            }
            return order;
        }
        order.add(variant);
        int level = levelOf(variant);
        if ("arm".equals(arch) && level > 0) {
            for (int v = level - 1; v >= 5; v--) {
                order.add("v" + v);
            }
        } else if ("arm64".equals(arch)) {
            if (!"v8".equals(variant)) {
                order.add("v8");
            }
            order.add(null);
        } else if ("amd64".equals(arch) && level > 0) {
            for (int v = level - 1; v >= 2; v--) {
                order.add("v" + v);
            }
            order.add(null);
        }
        return order;
    }

    /** 7 for "v7", 0 if the variant is not of the form v&lt;digits&gt;. */
    private static int levelOf(String variant) {
        if (variant.length() < 2 || variant.charAt(0) != 'v') {
            return 0;
        }
        try {
            return Integer.parseInt(variant.substring(1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
