package dev.ferry.referrers;

import dev.ferry.oci.Digest;
import dev.ferry.registry.ManifestResult;

/**
 * One artifact attached to {@code subject} at a source.
 *
 * @param subject      the image it is attached to
 * @param digest       its manifest digest
 * @param mediaType    its manifest media type
 * @param artifactType its artifact type (see {@link FallbackTags#artifactType}), or null
 * @param size         its manifest size, or -1 when not known yet
 * @param via          {@code api} (the referrers API) or {@code tag} (the fallback index tag, or a cosign tag)
 * @param tag          the cosign tag it is stored under, or null for a referrer (which is stored by digest)
 * @param manifest     its bytes when already read (cosign tags), else null
 */
public record Found(Digest subject, Digest digest, String mediaType, String artifactType, long size, String via,
                    String tag, ManifestResult manifest) {

    /** Whether it is a cosign tag (copied as a tag) rather than a referrer (copied by digest, indexed). */
    public boolean cosignTag() {
        return tag != null;
    }
}
