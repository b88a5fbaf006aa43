package dev.ferry.transfer;

import dev.ferry.oci.Digest;

/**
 * What happened to one artifact attached to a pushed image, for events ({@link CopyListener#attachment}).
 *
 * @param subject      the image (or platform image) the artifact is attached to
 * @param digest       the artifact's manifest digest; null for an event about the subject as a whole
 * @param mediaType    the artifact manifest's media type, or null
 * @param artifactType its artifact type, or null
 * @param via          how it was found at the source: {@code api} (OCI 1.1 referrers API) or {@code tag} (the
 *                     {@code sha256-<hex>} fallback index tag or a cosign tag)
 * @param tag          the cosign tag it lives under ({@code sha256-<hex>.sig}), or null for a referrer
 * @param status       {@code copied}, {@code exists} (already at the destination), {@code skipped} or {@code failed}
 * @param detail       how it was written ({@code subject}: the destination indexes it itself; {@code index-tag}: the
 *                     fallback tag was updated; {@code tag}), or why it was skipped or failed
 */
public record Attachment(Digest subject, Digest digest, String mediaType, String artifactType, String via, String tag,
                         String status, String detail) {
}
