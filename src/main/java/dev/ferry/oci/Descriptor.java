package dev.ferry.oci;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An OCI content descriptor: what a manifest says about a blob or another manifest.
 * {@code platform} and {@code artifactType} are nullable; {@code annotations} and {@code urls} are never
 * null (empty when absent). Annotation order is preserved.
 */
public record Descriptor(MediaType mediaType, Digest digest, long size, Platform platform,
                         Map<String, String> annotations, List<String> urls, String artifactType) {

    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) {
            throw new OciFormatException("invalid descriptor for " + digest + ": size must not be negative, got " + size);
        }
        annotations = annotations == null || annotations.isEmpty()
                ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(annotations));
        urls = urls == null ? List.of() : List.copyOf(urls);
    }

    /** A descriptor with only the required fields. */
    public static Descriptor of(MediaType mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, null, Map.of(), List.of(), null);
    }
}
