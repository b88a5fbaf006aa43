package dev.ferry.registry;

/**
 * How to reach one registry for one caller's operation.
 *
 * @param registry  the registry as named in the reference (e.g. {@code docker.io}, {@code 127.0.0.1:5000});
 *                  used for policy, credentials and caches
 * @param endpoint  the host[:port] actually contacted (e.g. {@code registry-1.docker.io})
 * @param credentials what to present
 * @param tlsVerify skopeo's --tls-verify: when false, TLS is not verified and plain http is allowed
 * @param retries   retries after the first attempt for transient failures
 * @param retryDelay skopeo's --retry-delay: a fixed wait between retries instead of exponential backoff (null)
 */
public record RegistryAccess(String registry, String endpoint, Credentials credentials, boolean tlsVerify, int retries,
                             java.time.Duration retryDelay) {
    public RegistryAccess {
        if (retries < 0) {
            throw new IllegalArgumentException("retries must not be negative");
        }
    }

    /** With exponential backoff between retries (no fixed delay). */
    public RegistryAccess(String registry, String endpoint, Credentials credentials, boolean tlsVerify, int retries) {
        this(registry, endpoint, credentials, tlsVerify, retries, null);
    }
}
