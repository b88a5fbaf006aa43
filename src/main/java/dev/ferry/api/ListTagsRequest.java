package dev.ferry.api;

import dev.ferry.registry.AccessOptions;

/**
 * {@code skopeo list-tags} as JSON.
 *
 * @param repository {@code docker://HOST/REPO} without tag or digest
 */
public record ListTagsRequest(String repository, Boolean tlsVerify, String creds, String registryToken, Boolean noCreds,
                              Integer retryTimes, String retryDelay) {

    AccessOptions access() {
        return new AccessOptions(creds, registryToken, noCreds, tlsVerify, retryTimes, retryDelay);
    }

    @Override
    public String toString() {
        return "ListTagsRequest[repository=" + repository + ", " + access() + "]";
    }
}
