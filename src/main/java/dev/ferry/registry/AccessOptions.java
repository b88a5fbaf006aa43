package dev.ferry.registry;

/**
 * The per-request knobs that decide how one registry is reached, mirroring skopeo's flags
 * ({@code --creds}, {@code --registry-token}, {@code --no-creds}, {@code --tls-verify}, {@code --retry-times},
 * {@code --retry-delay} as a Go duration such as {@code 2s} or {@code 500ms}).
 * Any of them may be null (not given).
 */
public record AccessOptions(String creds, String registryToken, Boolean noCreds, Boolean tlsVerify, Integer retryTimes,
                            String retryDelay) {

    @Override
    public String toString() {
        return "AccessOptions[creds=" + (creds == null ? "none" : "***") + ", registryToken="
                + (registryToken == null ? "none" : "***") + ", noCreds=" + noCreds + ", tlsVerify=" + tlsVerify
                + ", retryTimes=" + retryTimes + ", retryDelay=" + retryDelay + "]";
    }
}
