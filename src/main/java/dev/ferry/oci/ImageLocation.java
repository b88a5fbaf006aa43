package dev.ferry.oci;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where an image lives, in skopeo's transport syntax ({@code TRANSPORT:DETAILS}). A name without a transport
 * is a {@code docker://} reference, whose grammar is {@link ImageReference}'s. Paths are kept as written: they
 * are confined to the configured storage roots by the engine, not here (this package has no configuration).
 *
 * <ul>
 *   <li>{@code docker://HOST/REPO[:TAG|@DIGEST]} — a registry ({@link Docker});</li>
 *   <li>{@code oci:PATH[:REF]} — an OCI image layout directory; REF is the {@code org.opencontainers.image.ref.name}
 *       annotation in its {@code index.json} ({@link OciLayout});</li>
 *   <li>{@code oci-archive:PATH[:REF]} — the same layout as a tar file ({@link OciArchive});</li>
 *   <li>{@code dir:PATH} — skopeo's directory format: {@code manifest.json}, {@code version} and a file per blob
 *       named by its hex digest ({@link Dir});</li>
 *   <li>{@code docker-archive:PATH[:NAME:TAG|:@N]} — what {@code docker save} writes and {@code docker load}
 *       reads ({@link DockerArchive});</li>
 *   <li>{@code docker-daemon:NAME:TAG|sha256:ID} — an image in a Docker Engine API daemon ({@link DockerDaemon});</li>
 *   <li>{@code containers-storage:REF} — podman's local storage ({@link ContainersStorage}).</li>
 * </ul>
 * As in containers/image, the path of {@code oci:}, {@code oci-archive:} and {@code docker-archive:} ends at the
 * first {@code :}; a path containing {@code :} cannot be named.
 */
public sealed interface ImageLocation {

    /** The transport name without the colon, e.g. {@code oci-archive}. */
    String transport();

    /** The location as skopeo would print it, e.g. {@code oci:/srv/images/app:1}. */
    String transportName();

    /** Whether this location is a file or directory on the server (and so confined to the storage roots). */
    default boolean isLocalPath() {
        return false;
    }

    /** The transports {@link #parse} knows, as a user would type their prefix. */
    String KNOWN = "docker://, oci:, oci-archive:, dir:, docker-archive:, docker-daemon:, containers-storage:";

    /** An image in a registry. */
    record Docker(ImageReference reference) implements ImageLocation {
        public Docker {
            Objects.requireNonNull(reference, "reference");
        }

        @Override
        public String transport() {
            return "docker";
        }

        @Override
        public String transportName() {
            return reference.transportName();
        }
    }

    /** An OCI image layout directory; {@code reference} is null for "the only image in index.json". */
    record OciLayout(String path, String reference) implements ImageLocation {
        public OciLayout {
            checkPath("oci", path);
            checkRefName("oci", reference);
        }

        @Override
        public String transport() {
            return "oci";
        }

        @Override
        public String transportName() {
            return "oci:" + path + (reference == null ? "" : ":" + reference);
        }

        @Override
        public boolean isLocalPath() {
            return true;
        }
    }

    /** An OCI image layout in a tar file; {@code reference} as for {@link OciLayout}. */
    record OciArchive(String path, String reference) implements ImageLocation {
        public OciArchive {
            checkPath("oci-archive", path);
            checkRefName("oci-archive", reference);
        }

        @Override
        public String transport() {
            return "oci-archive";
        }

        @Override
        public String transportName() {
            return "oci-archive:" + path + (reference == null ? "" : ":" + reference);
        }

        @Override
        public boolean isLocalPath() {
            return true;
        }
    }

    /** skopeo's {@code dir:} format: one image, manifest.json plus one file per blob. */
    record Dir(String path) implements ImageLocation {
        public Dir {
            checkPath("dir", path);
        }

        @Override
        public String transport() {
            return "dir";
        }

        @Override
        public String transportName() {
            return "dir:" + path;
        }

        @Override
        public boolean isLocalPath() {
            return true;
        }
    }

    /**
     * A {@code docker save} tar. {@code name} (a tagged docker reference, for {@code RepoTags}) or {@code index}
     * ({@code @N}: the N-th image of the archive, when reading) may be given, not both; neither means "the only one".
     */
    record DockerArchive(String path, ImageReference name, Integer index) implements ImageLocation {
        public DockerArchive {
            checkPath("docker-archive", path);
            if (name != null && index != null) {
                throw new OciFormatException("invalid docker-archive reference: give a NAME:TAG or @N, not both");
            }
            if (name != null && name.digest() != null) {
                throw new OciFormatException("invalid docker-archive reference \"" + name
                        + "\": a docker-archive names images by NAME:TAG, not by digest");
            }
            if (index != null && index < 0) {
                throw new OciFormatException("invalid docker-archive reference: @N must not be negative");
            }
        }

        @Override
        public String transport() {
            return "docker-archive";
        }

        @Override
        public String transportName() {
            return "docker-archive:" + path + (name != null ? ":" + shortName(name) : index != null ? ":@" + index : "");
        }

        @Override
        public boolean isLocalPath() {
            return true;
        }
    }

    /** An image in a Docker Engine API daemon, by {@code NAME:TAG} or by image ID ({@code id}, a sha256 digest). */
    record DockerDaemon(ImageReference name, Digest id) implements ImageLocation {
        public DockerDaemon {
            if ((name == null) == (id == null)) {
                throw new OciFormatException("invalid docker-daemon reference: give NAME:TAG or sha256:ID");
            }
            if (name != null && name.digest() != null) {
                throw new OciFormatException("invalid docker-daemon reference \"" + name
                        + "\": a daemon names images by NAME:TAG or by image ID, not by manifest digest");
            }
        }

        @Override
        public String transport() {
            return "docker-daemon";
        }

        @Override
        public String transportName() {
            return "docker-daemon:" + (name != null ? shortName(name) : id.toString());
        }
    }

    /** podman's containers-storage; kept as written (Ferry refuses it with a problem naming docker-daemon:). */
    record ContainersStorage(String reference) implements ImageLocation {
        public ContainersStorage {
            if (reference == null || reference.isBlank()) {
                throw new OciFormatException("invalid containers-storage reference: it is empty");
            }
        }

        @Override
        public String transport() {
            return "containers-storage";
        }

        @Override
        public String transportName() {
            return "containers-storage:" + reference;
        }
    }

    /**
     * Parses skopeo's syntax. No transport means {@code docker://} (and {@link ImageReference#parse} adds
     * {@code latest}). An unknown transport is an {@link UnsupportedTransportException}.
     */
    static ImageLocation parse(String s) {
        if (s == null || s.isBlank()) {
            throw new OciFormatException("invalid image reference \"\": the reference is empty");
        }
        int colon = s.indexOf(':');
        String prefix = colon > 0 ? s.substring(0, colon) : "";
        String rest = colon > 0 ? s.substring(colon + 1) : "";
        switch (prefix) {
            case "oci": {
                String[] pr = splitPathAndRef(rest);
                return new OciLayout(pr[0], pr[1]);
            }
            case "oci-archive": {
                String[] pr = splitPathAndRef(rest);
                return new OciArchive(pr[0], pr[1]);
            }
            case "dir":
                return new Dir(rest);
            case "docker-archive": {
                String[] pr = splitPathAndRef(rest);
                if (pr[1] == null) {
                    return new DockerArchive(pr[0], null, null);
                }
                if (pr[1].startsWith("@")) {
                    try {
                        return new DockerArchive(pr[0], null, Integer.parseInt(pr[1].substring(1)));
                    } catch (NumberFormatException e) {
                        throw new OciFormatException("invalid docker-archive reference \"" + s + "\": @N needs a number");
                    }
                }
                return new DockerArchive(pr[0], taggedName(s, pr[1]), null);
            }
            case "docker-daemon": {
                if (rest.startsWith("sha256:")) {
                    return new DockerDaemon(null, Digest.parse(rest));
                }
                return new DockerDaemon(taggedName(s, rest), null);
            }
            case "containers-storage":
                return new ContainersStorage(rest);
            default:
                try {
                    return new Docker(ImageReference.parse(s));
                } catch (UnsupportedTransportException e) {
                    throw new UnsupportedTransportException(e.transport(), "unsupported transport \"" + e.transport() + "\" in \""
                            + s + "\": Ferry supports " + KNOWN, true);
                }
        }
    }

    /** What a docker archive or daemon calls the image: {@code name:tag} without {@code docker.io/library/}. */
    static String shortName(ImageReference ref) {
        String name = ref.toString();
        return name.startsWith("docker.io/library/") ? name.substring("docker.io/library/".length())
                : name.startsWith("docker.io/") ? name.substring("docker.io/".length()) : name;
    }

    private static ImageReference taggedName(String input, String name) {
        if (name.isEmpty()) {
            throw new OciFormatException("invalid image reference \"" + input + "\": the image name is empty");
        }
        try {
            return ImageReference.parse("docker://" + name);
        } catch (OciFormatException e) {
            throw new OciFormatException("invalid image reference \"" + input + "\": " + e.getMessage(), e);
        }
    }

    private static String[] splitPathAndRef(String rest) {
        int colon = rest.indexOf(':');
        if (colon < 0) {
            return new String[] {rest, null};
        }
        String ref = rest.substring(colon + 1);
        return new String[] {rest.substring(0, colon), ref.isEmpty() ? null : ref};
    }

    /** The OCI image-layout ref.name grammar (what containers/image accepts after {@code oci:PATH:}). */
    Pattern REF_NAME = Pattern.compile(
            "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*");

    private static void checkRefName(String transport, String ref) {
        if (ref != null && (ref.length() > 255 || !REF_NAME.matcher(ref).matches())) {
            throw new OciFormatException("invalid " + transport + " reference \"" + ref
                    + "\": it must match the OCI ref.name grammar, e.g. latest, v1.2 or app/v1");
        }
    }

    private static void checkPath(String transport, String path) {
        if (path == null || path.isEmpty()) {
            throw new OciFormatException("invalid " + transport + ": reference: the path is empty (" + transport + ":PATH)");
        }
        if (path.length() > 4096 || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new OciFormatException("invalid " + transport + ": path: too long or has control characters");
        }
    }
}
