package dev.ferry.transfer;

import dev.ferry.registry.AccessOptions;

/**
 * {@code skopeo copy} as JSON: each field mirrors a skopeo flag in camelCase.
 *
 * @param source              {@code docker://HOST/REPO[:TAG|@DIGEST]}
 * @param destination         {@code docker://HOST/REPO[:TAG|@DIGEST]}
 * @param all                 --all: every platform of a multi-platform image, and the index
 * @param multiArch           --multi-arch {@code system} (default) or {@code all}
 * @param preserveDigests     --preserve-digests: fail rather than change a digest (an OCI conversion, a docker-archive)
 * @param imageParallelCopies --image-parallel-copies (default 6)
 * @param retryTimes          --retry-times: retries of each registry request (default ferry.http.retries)
 * @param retryDelay          --retry-delay: fixed wait between retries, a Go duration such as {@code 2s}
 * @param format              --format: {@code oci} converts Docker manifests to OCI (digests change)
 * @param referrers           whether the artifacts attached to the image (referrers, cosign tags) travel too (default true)
 * @param referrerArtifactTypes only attached artifacts of these artifact types travel (default: all)
 * @param signBy              --sign-by: sign at the destination with this GPG key (fingerprint) of Ferry's keyring
 * @param signBySigstorePrivateKey --sign-by-sigstore-private-key, by NAME: a sigstore key configured in Ferry
 * @param signIdentity        --sign-identity: the reference the signature vouches for (default: the destination)
 * @param destCompressFormat  --dest-compress-format: {@code gzip} or {@code zstd}; layers are rewritten (digests change)
 * @param destCompressLevel   --dest-compress-level: gzip 1-9, zstd 1-19 (default 6 and 3)
 */
public record CopyRequest(String source, String destination,
                          Boolean srcTlsVerify, Boolean destTlsVerify,
                          String srcCreds, String destCreds,
                          String srcRegistryToken, String destRegistryToken,
                          Boolean srcNoCreds, Boolean destNoCreds,
                          Boolean all, String multiArch, Boolean preserveDigests, Boolean removeSignatures,
                          String overrideOs, String overrideArch, String overrideVariant,
                          Integer imageParallelCopies, Integer retryTimes, String retryDelay, String format,
                          Boolean referrers, java.util.List<String> referrerArtifactTypes,
                          String signBy, String signBySigstorePrivateKey, String signIdentity,
                          String destCompressFormat, Integer destCompressLevel) {

    /** Without the referrer and signing fields (they default to every attached artifact, and no new signature). */
    public CopyRequest(String source, String destination, Boolean srcTlsVerify, Boolean destTlsVerify, String srcCreds,
                       String destCreds, String srcRegistryToken, String destRegistryToken, Boolean srcNoCreds,
                       Boolean destNoCreds, Boolean all, String multiArch, Boolean preserveDigests, Boolean removeSignatures,
                       String overrideOs, String overrideArch, String overrideVariant, Integer imageParallelCopies,
                       Integer retryTimes, String retryDelay, String format) {
        this(source, destination, srcTlsVerify, destTlsVerify, srcCreds, destCreds, srcRegistryToken, destRegistryToken,
                srcNoCreds, destNoCreds, all, multiArch, preserveDigests, removeSignatures, overrideOs, overrideArch,
                overrideVariant, imageParallelCopies, retryTimes, retryDelay, format, null, null, null, null, null, null, null);
    }

    /** Without {@code format} (what webhook promotions build). */
    public CopyRequest(String source, String destination, Boolean srcTlsVerify, Boolean destTlsVerify, String srcCreds,
                       String destCreds, String srcRegistryToken, String destRegistryToken, Boolean srcNoCreds,
                       Boolean destNoCreds, Boolean all, String multiArch, Boolean preserveDigests, Boolean removeSignatures,
                       String overrideOs, String overrideArch, String overrideVariant, Integer imageParallelCopies,
                       Integer retryTimes, String retryDelay) {
        this(source, destination, srcTlsVerify, destTlsVerify, srcCreds, destCreds, srcRegistryToken, destRegistryToken,
                srcNoCreds, destNoCreds, all, multiArch, preserveDigests, removeSignatures, overrideOs, overrideArch,
                overrideVariant, imageParallelCopies, retryTimes, retryDelay, (String) null);
    }

    public AccessOptions sourceAccess() {
        return new AccessOptions(srcCreds, srcRegistryToken, srcNoCreds, srcTlsVerify, retryTimes, retryDelay);
    }

    public AccessOptions destinationAccess() {
        return new AccessOptions(destCreds, destRegistryToken, destNoCreds, destTlsVerify, retryTimes, retryDelay);
    }

    @Override
    public String toString() {
        return "CopyRequest[source=" + source + ", destination=" + destination + "]";
    }
}
