package dev.ferry.api;

import dev.ferry.registry.AccessOptions;

/**
 * {@code skopeo inspect} as JSON: each field mirrors a skopeo flag in camelCase.
 *
 * @param image           {@code docker://HOST/REPO[:TAG|@DIGEST]} (no transport means docker)
 * @param tlsVerify       --tls-verify (default true; false also permits plain http)
 * @param creds           --creds {@code user:password}
 * @param registryToken   --registry-token
 * @param noCreds         --no-creds
 * @param raw             --raw: the manifest bytes as served
 * @param config          --config: the image config
 * @param noTags          --no-tags
 * @param overrideOs      --override-os
 * @param overrideArch    --override-arch
 * @param overrideVariant --override-variant
 * @param retryTimes      --retry-times
 * @param retryDelay      --retry-delay (a Go duration, e.g. {@code 2s}; default exponential backoff)
 * @param referrers       list what is attached to the image (referrers, cosign tags) as {@code Referrers} (default false)
 * @param referrerArtifactTypes only those of these artifact types
 */
public record InspectRequest(String image, Boolean tlsVerify, String creds, String registryToken, Boolean noCreds,
                             Boolean raw, Boolean config, Boolean noTags, String overrideOs, String overrideArch,
                             String overrideVariant, Integer retryTimes, String retryDelay, Boolean referrers,
                             java.util.List<String> referrerArtifactTypes) {

    AccessOptions access() {
        return new AccessOptions(creds, registryToken, noCreds, tlsVerify, retryTimes, retryDelay);
    }

    @Override
    public String toString() {
        return "InspectRequest[image=" + image + ", " + access() + "]";
    }
}
