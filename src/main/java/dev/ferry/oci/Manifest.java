package dev.ferry.oci;

/**
 * A read-only view over the exact bytes of a manifest as the registry served them. Manifests are never
 * re-serialised: {@link #raw()} is what gets pushed and what {@link #digest()} is computed from.
 */
public sealed interface Manifest permits ImageManifest, ImageIndex {

    /** The exact bytes given to {@link #parse(byte[], String)} (a copy). */
    byte[] raw();

    /** The resolved media type (JSON {@code mediaType}, else Content-Type, else inferred). */
    MediaType mediaType();

    /** sha256 of {@link #raw()}, computed once. */
    Digest digest();

    /** Always 2 for the supported types. */
    int schemaVersion();

    /** Size of {@link #raw()} in bytes. */
    default long size() {
        return raw().length;
    }

    /** A descriptor pointing at this manifest (no platform). */
    default Descriptor toDescriptor() {
        return Descriptor.of(mediaType(), digest(), size());
    }

    /**
     * Parses {@code raw} (read only; never re-serialised) into an {@link ImageManifest} or an
     * {@link ImageIndex}.
     *
     * @param contentType the HTTP Content-Type the registry sent, or null
     * @throws OciFormatException if the bytes are not a supported, well-formed manifest
     */
    static Manifest parse(byte[] raw, String contentType) {
        return ManifestReader.read(raw, contentType);
    }
}
