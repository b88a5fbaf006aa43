package dev.ferry.storage;

/**
 * {@code POST /api/v1/import}'s query parameters (the body is the archive): skopeo's flags in camelCase, as for a
 * copy whose source is the archive in the body.
 *
 * @param destination         where to write the image ({@code docker://HOST/REPO:TAG}, or any transport a copy takes)
 * @param format              {@code oci-archive} or {@code docker-archive}: what the body is
 * @param ref                 which image of the archive: an {@code oci-archive}'s ref name, a {@code docker-archive}'s
 *                            {@code NAME:TAG} or {@code @N}; none: the only one
 * @param all                 every platform of an index and the index itself (oci-archive)
 * @param destTlsVerify       --dest-tls-verify (registry credentials come from Ferry's configuration)
 * @param preserveDigests     --preserve-digests
 * @param imageParallelCopies --image-parallel-copies, for what the second pass writes
 */
public record ImportRequest(String destination, String format, String ref, Boolean all, Boolean destTlsVerify,
                            Boolean preserveDigests, String overrideOs, String overrideArch, String overrideVariant,
                            Integer imageParallelCopies, Integer retryTimes, String retryDelay) {
}
