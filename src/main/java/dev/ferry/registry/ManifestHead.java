package dev.ferry.registry;

import dev.ferry.oci.Digest;

/** What a manifest HEAD tells: the digest (Docker-Content-Digest) and the media type (Content-Type). */
public record ManifestHead(Digest digest, String mediaType) {
}
