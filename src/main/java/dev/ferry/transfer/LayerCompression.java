package dev.ferry.transfer;

import dev.ferry.error.FerryException;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.MediaType;
import java.util.Map;

/**
 * skopeo's {@code --dest-compress-format} / {@code --dest-compress-level}: every layer is written compressed with
 * {@code algorithm}. As containers/image does it: a layer already compressed with that algorithm is kept byte for byte
 * (whatever its level), an uncompressed layer is compressed, a layer in the other algorithm is decompressed and
 * compressed again; the config and every non-layer blob (an artifact's files) are untouched, and so are the config's
 * {@code rootfs.diff_ids}, which name the uncompressed tars. Only OCI and Docker v2s2 layer media types are layers
 * here; an unknown type passes through unchanged.
 *
 * @param algorithm {@code gzip} or {@code zstd}
 * @param level     the compression level, or null for the algorithm's default (gzip 6, zstd 3, as zstd's CLI)
 */
public record LayerCompression(String algorithm, Integer level) {
    /** gzip levels java.util.zip knows (Go's compress/gzip accepts the same 1..9 range). */
    public static final int GZIP_MIN = 1, GZIP_MAX = 9;
    /**
     * zstd levels accepted: 1..19. Levels 20-22 are zstd's "ultra" levels, whose window (up to 128 MiB per stream,
     * for the decoder too) would break the bounded memory of a copy; they are refused.
     */
    public static final int ZSTD_MIN = 1, ZSTD_MAX = 19;

    private static final Map<String, String> OCI_TYPES = Map.of(
            "gzip", "application/vnd.oci.image.layer.v1.tar+gzip",
            "zstd", "application/vnd.oci.image.layer.v1.tar+zstd");

    /** The request fields as options; null when no format is asked for (a level alone is refused). */
    public static LayerCompression parse(String format, Integer level) {
        if (format == null) {
            if (level != null) {
                throw FerryException.invalidField("destCompressLevel", "needs destCompressFormat (gzip or zstd)");
            }
            return null;
        }
        if (!OCI_TYPES.containsKey(format)) {
            throw FerryException.invalidField("destCompressFormat", "must be gzip or zstd");
        }
        if (level != null) {
            int min = "gzip".equals(format) ? GZIP_MIN : ZSTD_MIN;
            int max = "gzip".equals(format) ? GZIP_MAX : ZSTD_MAX;
            if (level < min || level > max) {
                throw FerryException.invalidField("destCompressLevel", "must be between " + min + " and " + max + " for " + format);
            }
        }
        return new LayerCompression(format, level);
    }

    public int effectiveLevel() {
        return level != null ? level : "gzip".equals(algorithm) ? 6 : 3;
    }

    /** What a layer media type says about its compression: {@code gzip}, {@code zstd}, {@code none}, or null (not a layer). */
    static String compressionOf(MediaType type) {
        return switch (type.value()) {
            case "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip" -> "gzip";
            case "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.docker.image.rootfs.diff.tar.zstd" -> "zstd";
            case "application/vnd.oci.image.layer.v1.tar", "application/vnd.docker.image.rootfs.diff.tar" -> "none";
            default -> null;
        };
    }

    /** Whether {@code blob} is a layer that this compression rewrites. */
    public boolean rewrites(Descriptor blob) {
        String now = compressionOf(blob.mediaType());
        return now != null && !now.equals(algorithm) && !blob.mediaType().isForeignLayer();
    }

    /** The OCI layer media type of this compression. */
    String ociMediaType() {
        return OCI_TYPES.get(algorithm);
    }

    /**
     * The media type the rewritten blob is written with (the manifests say the final one: {@link LayerRewrite} picks
     * it by the manifest's family).
     */
    MediaType mediaTypeFor(Descriptor blob) {
        if (blob.mediaType().isDocker() && "gzip".equals(algorithm)) {
            return MediaType.of("application/vnd.docker.image.rootfs.diff.tar.gzip");
        }
        return MediaType.of(OCI_TYPES.get(algorithm));
    }

    /** Whether the plan's Docker manifests must become OCI first: v2s2 has no zstd layer type (containers/image does the same). */
    boolean needsOci() {
        return "zstd".equals(algorithm);
    }
}
