package dev.ferry.oci;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An image platform as found in an index's descriptors ({@code os}, {@code architecture},
 * {@code variant}, {@code os.version}, {@code os.features}). {@code variant} and {@code osVersion} are
 * nullable (blank becomes null); {@code osFeatures} is never null.
 */
public record Platform(String os, String architecture, String variant, String osVersion, List<String> osFeatures) {

    public Platform {
        if (os == null || os.isBlank()) {
            throw new OciFormatException("invalid platform: os is missing");
        }
        if (architecture == null || architecture.isBlank()) {
            throw new OciFormatException("invalid platform: architecture is missing (os \"" + os + "\")");
        }
        variant = blankToNull(variant);
        osVersion = blankToNull(osVersion);
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    public static Platform of(String os, String architecture, String variant) {
        return new Platform(os, architecture, variant, null, List.of());
    }

    /**
     * Parses {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8}.
     */
    public static Platform parse(String s) {
        if (s == null) {
            throw new OciFormatException("invalid platform: the value is missing");
        }
        String[] parts = s.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isBlank() || parts[1].isBlank()
                || (parts.length == 3 && parts[2].isBlank())) {
            throw new OciFormatException("invalid platform \"" + s + "\": expected os/architecture[/variant]");
        }
        return of(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    /**
     * Normalised like containerd's platforms package: lowercase; {@code macos}→{@code darwin};
     * {@code x86_64}/{@code x86-64}→{@code amd64}; {@code i386}→{@code 386}; {@code aarch64}→{@code arm64}
     * with variant {@code 8}/{@code v8}/{@code v8.0}→{@code v8}; {@code armhf}→{@code arm/v7};
     * {@code armel}→{@code arm/v6}; arm variants {@code 5}..{@code 8}→{@code v5}..{@code v8}.
     * Unlike containerd, a missing variant stays missing and arm64 {@code v8} is kept as {@code v8}
     * ({@link PlatformSelector} treats arm64 "no variant" and "v8" as compatible).
     */
    public Platform normalized() {
        String normOs = os.toLowerCase(Locale.ROOT);
        if ("macos".equals(normOs)) {
            normOs = "darwin";
        }
        String arch = architecture.toLowerCase(Locale.ROOT);
        String var = variant == null ? null : variant.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "i386":
                arch = "386";
                var = null;
                break;
            case "x86_64":
            case "x86-64":
            case "amd64":
                arch = "amd64";
                if ("v1".equals(var)) {
                    var = null;
                }
                break;
            case "aarch64":
            case "arm64":
                arch = "arm64";
                if ("8".equals(var) || "v8".equals(var) || "v8.0".equals(var)) {
                    var = "v8";
                } else if ("9".equals(var) || "9.0".equals(var) || "v9.0".equals(var)) {
                    var = "v9";
                }
                break;
            case "armhf":
                arch = "arm";
                var = "v7";
                break;
            case "armel":
                arch = "arm";
                var = "v6";
                break;
            case "arm":
                if ("5".equals(var) || "6".equals(var) || "7".equals(var) || "8".equals(var)) {
                    var = "v" + var;
                }
                break;
            default:
                break;
        }
        return new Platform(normOs, arch, var, osVersion, osFeatures);
    }

    /** Whether os, architecture and variant are equal after {@link #normalized()} on both sides. */
    public boolean sameAs(Platform other) {
        Platform a = normalized();
        Platform b = other.normalized();
        return a.os.equals(b.os) && a.architecture.equals(b.architecture) && Objects.equals(a.variant, b.variant);
    }

    /** {@code os/architecture[/variant]}, e.g. {@code linux/arm64/v8}. */
    @Override
    public String toString() {
        return variant == null ? os + "/" + architecture : os + "/" + architecture + "/" + variant;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
