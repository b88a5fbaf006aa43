package dev.ferry.registry;

import dev.ferry.oci.Digest;

/**
 * A manifest exactly as the registry served it.
 *
 * @param raw         the bytes, never re-serialised
 * @param contentType the Content-Type the registry sent (may be null)
 * @param digest      the digest of {@code raw} (verified against the requested digest, if any)
 */
public record ManifestResult(byte[] raw, String contentType, Digest digest) {
}
