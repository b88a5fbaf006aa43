package dev.ferry.oci;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A media type such as {@code application/vnd.oci.image.manifest.v1+json}. An open value, not an enum:
 * unknown types pass through unchanged (apart from normalisation).
 *
 * <p>The value is always normalised: lowercase, parameters ({@code ; charset=utf-8}) and surrounding
 * whitespace removed.
 */
public record MediaType(String value) {

    // declared before the constants below: static initialisers run in textual order
    private static final String OCI_NONDISTRIBUTABLE_PREFIX = "application/vnd.oci.image.layer.nondistributable.";
    private static final String TOKEN = "[a-z0-9!#$&^_.+*-]+";
    private static final Pattern TYPE_SUBTYPE = Pattern.compile(TOKEN + "/" + TOKEN);

    public static final MediaType OCI_MANIFEST = new MediaType("application/vnd.oci.image.manifest.v1+json");
    public static final MediaType OCI_INDEX = new MediaType("application/vnd.oci.image.index.v1+json");
    public static final MediaType OCI_CONFIG = new MediaType("application/vnd.oci.image.config.v1+json");
    public static final MediaType DOCKER_MANIFEST =
            new MediaType("application/vnd.docker.distribution.manifest.v2+json");
    public static final MediaType DOCKER_MANIFEST_LIST =
            new MediaType("application/vnd.docker.distribution.manifest.list.v2+json");
    public static final MediaType DOCKER_SCHEMA1 =
            new MediaType("application/vnd.docker.distribution.manifest.v1+json");
    public static final MediaType DOCKER_SCHEMA1_SIGNED =
            new MediaType("application/vnd.docker.distribution.manifest.v1+prettyjws");
    public static final MediaType DOCKER_CONFIG = new MediaType("application/vnd.docker.container.image.v1+json");
    public static final MediaType DOCKER_FOREIGN_LAYER =
            new MediaType("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");

    public MediaType {
        Objects.requireNonNull(value, "value");
        String original = value;
        int semicolon = value.indexOf(';');
        if (semicolon >= 0) {
            value = value.substring(0, semicolon);
        }
        value = value.strip().toLowerCase(Locale.ROOT);
        if (!TYPE_SUBTYPE.matcher(value).matches()) {
            throw new OciFormatException("invalid media type \"" + original + "\": expected type/subtype");
        }
    }

    /** Normalises and wraps {@code s}: lowercases it and strips parameters and whitespace. */
    public static MediaType of(String s) {
        if (s == null) {
            throw new OciFormatException("invalid media type: the value is missing");
        }
        return new MediaType(s);
    }

    /** An OCI image index or a Docker manifest list. */
    public boolean isIndex() {
        return equals(OCI_INDEX) || equals(DOCKER_MANIFEST_LIST);
    }

    /** An OCI image manifest or a Docker schema 2 manifest. */
    public boolean isImageManifest() {
        return equals(OCI_MANIFEST) || equals(DOCKER_MANIFEST);
    }

    /** One of the four supported manifest types (index or image manifest). Schema 1 is not included. */
    public boolean isManifest() {
        return isIndex() || isImageManifest();
    }

    /** A Docker schema 1 manifest type (signed or not); these are refused. */
    public boolean isSchema1() {
        return equals(DOCKER_SCHEMA1) || equals(DOCKER_SCHEMA1_SIGNED);
    }

    public boolean isDocker() {
        return value.startsWith("application/vnd.docker.");
    }

    public boolean isOci() {
        return value.startsWith("application/vnd.oci.");
    }

    /** A Docker foreign layer or an OCI non-distributable layer: blobs that registries may not serve. */
    public boolean isForeignLayer() {
        return equals(DOCKER_FOREIGN_LAYER) || value.startsWith(OCI_NONDISTRIBUTABLE_PREFIX);
    }

    /**
     * The {@code Accept} header for manifest requests: the four supported types, then the two schema 1
     * types last so that old registries still answer (and we can refuse with a clear message).
     */
    public static String acceptHeader() {
        return String.join(", ",
                OCI_MANIFEST.value, OCI_INDEX.value, DOCKER_MANIFEST.value, DOCKER_MANIFEST_LIST.value,
                DOCKER_SCHEMA1_SIGNED.value, DOCKER_SCHEMA1.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
