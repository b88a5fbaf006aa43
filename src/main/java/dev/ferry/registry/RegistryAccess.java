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
 * @param scope     the operation these calls belong to: aborting it (a cancel, a deadline) resets its requests at once
 */
public record RegistryAccess(String registry, String endpoint, Credentials credentials, boolean tlsVerify, int retries,
                             java.time.Duration retryDelay, dev.ferry.registry.http.CallScope scope) {
    public RegistryAccess {
        if (retries < 0) {
            throw new IllegalArgumentException("retries must not be negative");
        }
        if (scope == null) {
            scope = dev.ferry.registry.http.CallScope.NONE;
        }
    }

    /** In no scope: only the transport's timeouts end its calls. */
    public RegistryAccess(String registry, String endpoint, Credentials credentials, boolean tlsVerify, int retries,
                          java.time.Duration retryDelay) {
        this(registry, endpoint, credentials, tlsVerify, retries, retryDelay, null);
    }

    /** The same access, its calls belonging to {@code scope}. */
    public RegistryAccess within(dev.ferry.registry.http.CallScope scope) {
        return new RegistryAccess(registry, endpoint, credentials, tlsVerify, retries, retryDelay, scope);
    }

    /** With exponential backoff between retries (no fixed delay). */
    public RegistryAccess(String registry, String endpoint, Credentials credentials, boolean tlsVerify, int retries) {
        this(registry, endpoint, credentials, tlsVerify, retries, null, null);
    }
}
