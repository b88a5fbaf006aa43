package dev.ferry.delete;

import dev.ferry.registry.AccessOptions;

/**
 * {@code skopeo delete} as JSON.
 *
 * @param image   {@code docker://HOST/REPO:TAG} or {@code @DIGEST}
 * @param force   delete even when other tags point at the same manifest (they disappear with it)
 * @param tagOnly remove only this tag (OCI 1.1 tag deletion), leaving the manifest and its other tags
 */
public record DeleteRequest(String image, Boolean tlsVerify, String creds, String registryToken, Boolean noCreds,
                            Integer retryTimes, String retryDelay, Boolean force, Boolean tagOnly) {

    public AccessOptions access() {
        return new AccessOptions(creds, registryToken, noCreds, tlsVerify, retryTimes, retryDelay);
    }

    @Override
    public String toString() {
        return "DeleteRequest[image=" + image + "]";
    }
}
