package dev.ferry.api;

/**
 * {@code skopeo standalone-verify MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT SIGNATURE} as JSON.
 *
 * @param manifest            the manifest as a JSON string (or {@code manifestBase64})
 * @param manifestBase64      the manifest's bytes, base64
 * @param dockerReference     the reference the signature must vouch for
 * @param expectedFingerprint the fingerprint of the key that must have signed
 * @param signature           the signature file's bytes, base64
 * @param publicKey           optional: the signer's public key (gpg --export --armor); default Ferry's own keys
 */
public record StandaloneVerifyRequest(String manifest, String manifestBase64, String dockerReference,
                                      String expectedFingerprint, String signature, String publicKey) {
}
