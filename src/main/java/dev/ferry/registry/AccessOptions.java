package dev.ferry.registry;

/**
 * The per-request knobs that decide how one registry is reached, mirroring skopeo's flags
 * ({@code --creds}, {@code --registry-token}, {@code --no-creds}, {@code --tls-verify}, {@code --retry-times}).
 * Any of them may be null (not given).
 */
public record AccessOptions(String creds, String registryToken, Boolean noCreds, Boolean tlsVerify, Integer retryTimes) {

    @Override
    public String toString() {
        return "AccessOptions[creds=" + (creds == null ? "none" : "***") + ", registryToken="
                + (registryToken == null ? "none" : "***") + ", noCreds=" + noCreds + ", tlsVerify=" + tlsVerify
                + ", retryTimes=" + retryTimes + "]";
    }
}
