package dev.ferry.api;

/**
 * {@code skopeo standalone-sign MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT} as JSON.
 *
 * @param manifest        the manifest, as a JSON string holding its exact text (or use {@code manifestBase64})
 * @param manifestBase64  the manifest's bytes, base64
 * @param dockerReference the reference the signature vouches for, with a tag or a digest
 * @param signBy          the fingerprint (or long key ID) of a GPG key Ferry holds
 */
public record StandaloneSignRequest(String manifest, String manifestBase64, String dockerReference, String signBy) {
}
