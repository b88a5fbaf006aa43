package dev.ferry.oci;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** An OCI image manifest or a Docker schema 2 manifest: a config plus layers. */
public final class ImageManifest implements Manifest {

    private final byte[] raw;
    private final MediaType mediaType;
    private final Digest digest;
    private final Descriptor config;
    private final List<Descriptor> layers;
    private final Map<String, String> annotations;
    private final String artifactType;
    private final Descriptor subject;

    ImageManifest(byte[] raw, MediaType mediaType, Descriptor config, List<Descriptor> layers,
                  Map<String, String> annotations, String artifactType, Descriptor subject) {
        this.raw = raw.clone();
        this.mediaType = Objects.requireNonNull(mediaType, "mediaType");
        this.digest = Digest.sha256Of(this.raw);
        this.config = Objects.requireNonNull(config, "config");
        this.layers = List.copyOf(layers);
        this.annotations = annotations == null ? Map.of() : annotations;
        this.artifactType = artifactType;
        this.subject = subject;
    }

    /** Parses {@code raw} and requires it to be an image manifest (not an index). */
    public static ImageManifest parse(byte[] raw, String contentType) {
        Manifest m = Manifest.parse(raw, contentType);
        if (m instanceof ImageManifest im) {
            return im;
        }
        throw new OciFormatException("expected an image manifest but got an index (" + m.mediaType() + ")");
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public MediaType mediaType() {
        return mediaType;
    }

    @Override
    public Digest digest() {
        return digest;
    }

    @Override
    public int schemaVersion() {
        return 2;
    }

    @Override
    public long size() {
        return raw.length;
    }

    public Descriptor config() {
        return config;
    }

    public List<Descriptor> layers() {
        return layers;
    }

    /** Never null; empty when absent. */
    public Map<String, String> annotations() {
        return annotations;
    }

    /** Nullable. */
    public String artifactType() {
        return artifactType;
    }

    /** Nullable. */
    public Descriptor subject() {
        return subject;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageManifest other && digest.equals(other.digest) && mediaType.equals(other.mediaType);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "ImageManifest[" + mediaType + ", " + digest + ", " + layers.size() + " layers]";
    }
}
