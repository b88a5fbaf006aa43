package dev.ferry.oci;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** An OCI image index or a Docker manifest list: a list of per-platform manifests. */
public final class ImageIndex implements Manifest {

    private final byte[] raw;
    private final MediaType mediaType;
    private final Digest digest;
    private final List<Descriptor> manifests;
    private final Map<String, String> annotations;

    ImageIndex(byte[] raw, MediaType mediaType, List<Descriptor> manifests, Map<String, String> annotations) {
        this.raw = raw.clone();
        this.mediaType = Objects.requireNonNull(mediaType, "mediaType");
        this.digest = Digest.sha256Of(this.raw);
        this.manifests = List.copyOf(manifests);
        this.annotations = annotations == null ? Map.of() : annotations;
    }

    /** Parses {@code raw} and requires it to be an index (not an image manifest). */
    public static ImageIndex parse(byte[] raw, String contentType) {
        Manifest m = Manifest.parse(raw, contentType);
        if (m instanceof ImageIndex ii) {
            return ii;
        }
        throw new OciFormatException("expected an image index but got an image manifest (" + m.mediaType() + ")");
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

    public List<Descriptor> manifests() {
        return manifests;
    }

    /** Never null; empty when absent. */
    public Map<String, String> annotations() {
        return annotations;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageIndex other && digest.equals(other.digest) && mediaType.equals(other.mediaType);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }

    @Override
    public String toString() {
        return "ImageIndex[" + mediaType + ", " + digest + ", " + manifests.size() + " manifests]";
    }
}
