package dev.ferry.oci;

import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A normalised Docker image reference, as skopeo's {@code docker://} transport understands it.
 *
 * <p>{@code registry} is the registry domain ({@code docker.io}, {@code quay.io},
 * {@code 127.0.0.1:5000}, {@code [::1]:5000}); {@code repository} is the path inside it
 * ({@code library/alpine}); {@code tag} and {@code digest} are each nullable.
 *
 * <p>The constructor validates every part and applies Docker's normalisation
 * ({@code index.docker.io} becomes {@code docker.io}, single-component Docker Hub repositories get
 * {@code library/}); it does not add a default tag. {@link #parse(String)} adds {@code latest}
 * when neither tag nor digest is given.
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {

    public static final String DOCKER_HUB = "docker.io";
    public static final String DOCKER_HUB_LEGACY = "index.docker.io";
    public static final String DOCKER_HUB_ENDPOINT = "registry-1.docker.io";
    public static final String DEFAULT_TAG = "latest";
    public static final int NAME_MAX_LENGTH = 255;

    private static final String DOCKER_TRANSPORT = "docker://";

    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final String DOMAIN_NAME = DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*";
    private static final String IPV6 = "\\[[a-fA-F0-9:]+\\]";
    private static final Pattern DOMAIN = Pattern.compile("(?:" + DOMAIN_NAME + "|" + IPV6 + ")(?::[0-9]+)?");
    private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
    private static final Pattern PATH = Pattern.compile(PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final String TAG_GRAMMAR = "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}";
    private static final Pattern IMAGE_ID = Pattern.compile("[a-f0-9]{64}");

    private static final Pattern URL_LIKE_TRANSPORT = Pattern.compile("^([a-z][a-z0-9-]*)://");
    private static final Pattern TRANSPORT_PREFIX = Pattern.compile("^([a-z][a-z0-9-]*):");
    private static final Set<String> OTHER_TRANSPORTS = Set.of(
            "oci", "oci-archive", "dir", "docker-archive", "docker-daemon",
            "containers-storage", "ostree", "sif", "tarball");

    public ImageReference {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(repository, "repository");
        if (!DOMAIN.matcher(registry).matches()) {
            throw new OciFormatException("invalid registry \"" + registry
                    + "\": expected a host name, IPv4 address or [IPv6] address, optionally followed by :port");
        }
        int portColon = registry.lastIndexOf(':');
        if (portColon > registry.lastIndexOf(']')) {
            String port = registry.substring(portColon + 1);
            if (port.length() > 5 || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new OciFormatException("invalid registry \"" + abbreviate(registry) + "\": the port must be between 1 and 65535");
            }
        }
        if (DOCKER_HUB_LEGACY.equals(registry)) {
            registry = DOCKER_HUB;
        }
        if (!repository.toLowerCase(java.util.Locale.ROOT).equals(repository)) {
            throw new OciFormatException("invalid repository \"" + repository + "\": repository name must be lowercase");
        }
        if (!PATH.matcher(repository).matches()) {
            throw new OciFormatException("invalid repository \"" + repository
                    + "\": path components must match " + PATH_COMPONENT + ", separated by /");
        }
        if (DOCKER_HUB.equals(registry) && repository.indexOf('/') < 0) {
            repository = "library/" + repository;
        }
        String name = registry + "/" + repository;
        if (name.length() > NAME_MAX_LENGTH) {
            throw new OciFormatException("invalid repository name \"" + abbreviate(name)
                    + "\": repository name must not be more than " + NAME_MAX_LENGTH + " characters (has "
                    + name.length() + ")");
        }
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw new OciFormatException("invalid tag \"" + tag + "\": tags must match " + TAG_GRAMMAR);
        }
    }

    /**
     * Parses an image reference such as {@code alpine}, {@code docker://quay.io/a/b:1} or
     * {@code 127.0.0.1:5000/lab/app@sha256:...}. Without a tag or digest the tag is {@code latest}.
     */
    public static ImageReference parse(String s) {
        String body = stripTransport(s);
        ImageReference ref = parseDockerReference(s, body);
        if (ref.tag() == null && ref.digest() == null) {
            return ref.withTag(DEFAULT_TAG);
        }
        return ref;
    }

    /**
     * Parses a repository (for listing tags): same grammar as {@link #parse(String)} but the input must
     * not carry a tag or digest, and the result has neither.
     */
    public static ImageReference parseRepository(String s) {
        String body = stripTransport(s);
        ImageReference ref = parseDockerReference(s, body);
        if (ref.tag() != null || ref.digest() != null) {
            throw new OciFormatException("invalid repository \"" + s
                    + "\": list-tags takes a repository without a tag or digest");
        }
        return ref;
    }

    /** {@code registry/repository}, e.g. {@code docker.io/library/alpine}. */
    public String name() {
        return registry + "/" + repository;
    }

    /** What to put in {@code /v2/<name>/manifests/<reference>}: the digest if present, else the tag. */
    public String reference() {
        return digest != null ? digest.toString() : tag;
    }

    /** The host[:port] to contact: {@code registry-1.docker.io} for Docker Hub, else the registry. */
    public String endpointHost() {
        return DOCKER_HUB.equals(registry) ? DOCKER_HUB_ENDPOINT : registry;
    }

    /** A copy with {@code tag} replaced (the digest, if any, is kept). {@code null} removes the tag. */
    public ImageReference withTag(String newTag) {
        return new ImageReference(registry, repository, newTag, digest);
    }

    /** A copy with {@code digest} replaced (the tag, if any, is kept). {@code null} removes the digest. */
    public ImageReference withDigest(Digest newDigest) {
        return new ImageReference(registry, repository, tag, newDigest);
    }

    /** {@code name[:tag][@digest]}, without a transport. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name());
        if (tag != null) {
            sb.append(':').append(tag);
        }
        if (digest != null) {
            sb.append('@').append(digest);
        }
        return sb.toString();
    }

    /** {@code docker://} followed by {@link #toString()}, as skopeo would print it. */
    public String transportName() {
        return DOCKER_TRANSPORT + this;
    }

    private static String stripTransport(String s) {
        if (s == null || s.isBlank()) {
            throw new OciFormatException("invalid image reference \"" + (s == null ? "" : s)
                    + "\": the reference is empty");
        }
        if (s.startsWith(DOCKER_TRANSPORT)) {
            String rest = s.substring(DOCKER_TRANSPORT.length());
            if (rest.isEmpty()) {
                throw new OciFormatException("invalid image reference \"" + s
                        + "\": nothing follows docker://");
            }
            return rest;
        }
        Matcher url = URL_LIKE_TRANSPORT.matcher(s);
        if (url.find()) {
            throw new UnsupportedTransportException(url.group(1), s);
        }
        Matcher prefix = TRANSPORT_PREFIX.matcher(s);
        if (prefix.find()) {
            String name = prefix.group(1);
            if (OTHER_TRANSPORTS.contains(name)) {
                throw new UnsupportedTransportException(name, s);
            }
            if ("docker".equals(name)) {
                throw new OciFormatException("invalid image reference \"" + s
                        + "\": docker references must be written docker://NAME, e.g. docker://"
                        + s.substring(prefix.end()));
            }
        }
        return s;
    }

    private static ImageReference parseDockerReference(String input, String body) {
        if (IMAGE_ID.matcher(body).matches()) {
            throw new OciFormatException("invalid image reference \"" + input
                    + "\": a 64-character hexadecimal string is an image ID, not a repository name");
        }
        String nameAndTag = body;
        Digest digest = null;
        int at = body.indexOf('@');
        if (at >= 0) {
            String digestText = body.substring(at + 1);
            try {
                digest = Digest.parse(digestText);
            } catch (OciFormatException e) {
                throw new OciFormatException("invalid image reference \"" + input + "\": " + e.getMessage(), e);
            }
            nameAndTag = body.substring(0, at);
        }
        String name = nameAndTag;
        String tag = null;
        int lastSlash = nameAndTag.lastIndexOf('/');
        int tagColon = nameAndTag.indexOf(':', lastSlash + 1);
        if (tagColon >= 0) {
            tag = nameAndTag.substring(tagColon + 1);
            name = nameAndTag.substring(0, tagColon);
            if (!TAG.matcher(tag).matches()) {
                throw new OciFormatException("invalid tag \"" + tag + "\" in \"" + input
                        + "\": tags must match " + TAG_GRAMMAR);
            }
        }
        if (name.isEmpty()) {
            throw new OciFormatException("invalid image reference \"" + input + "\": the repository name is empty");
        }
        String registry = DOCKER_HUB;
        String repository = name;
        int firstSlash = name.indexOf('/');
        if (firstSlash >= 0) {
            String first = name.substring(0, firstSlash);
            if (looksLikeDomain(first)) {
                registry = first;
                repository = name.substring(firstSlash + 1);
            }
        }
        if (!repository.toLowerCase(java.util.Locale.ROOT).equals(repository)) {
            throw new OciFormatException("invalid image reference \"" + input + "\": repository name must be lowercase");
        }
        if (!DOMAIN.matcher(registry).matches()) {
            throw new OciFormatException("invalid image reference \"" + input + "\": invalid registry \"" + registry
                    + "\" (expected a host name, IPv4 address or [IPv6] address, optionally followed by :port)");
        }
        if (repository.isEmpty() || !PATH.matcher(repository).matches()) {
            throw new OciFormatException("invalid image reference \"" + input + "\": invalid repository \""
                    + repository + "\" (path components must match " + PATH_COMPONENT + ", separated by /)");
        }
        try {
            return new ImageReference(registry, repository, tag, digest);
        } catch (OciFormatException e) {
            throw new OciFormatException("invalid image reference \"" + abbreviate(input) + "\": " + e.getMessage(), e);
        }
    }

    /** distribution/reference: the first component is a domain if it has '.', ':', is localhost, or has uppercase. */
    private static boolean looksLikeDomain(String first) {
        return first.indexOf('.') >= 0
                || first.indexOf(':') >= 0
                || "localhost".equals(first)
                || !first.toLowerCase(java.util.Locale.ROOT).equals(first);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 60) + "..." + s.substring(s.length() - 10);
    }
}
