package dev.ferry.registry;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.oci.ImageReference;
import dev.ferry.security.AccessPolicy;
import dev.ferry.security.Action;
import jakarta.enterprise.context.ApplicationScoped;

/** Builds the {@link RegistryAccess} for one side of an operation: policy first, then credentials. */
@ApplicationScoped
public class RegistryAccessFactory {
    private final RegistryPolicy policy;
    private final CredentialResolver credentials;
    private final FerryConfig config;
    private final AccessPolicy access;

    public RegistryAccessFactory(RegistryPolicy policy, CredentialResolver credentials, FerryConfig config, AccessPolicy access) {
        this.policy = policy;
        this.access = access;
        this.credentials = credentials;
        this.config = config;
    }

    /**
     * Like {@link #forReference(ImageReference, AccessOptions, String, Action)}, with the action implied by the side:
     * {@code dest} writes, anything else reads.
     */
    public RegistryAccess forReference(ImageReference ref, AccessOptions options, String field) {
        return forReference(ref, options, field, "dest".equals(field) ? Action.WRITE : Action.READ);
    }

    /**
     * @param field prefix of the request fields these options came from ("" or "src"/"dest"), for error messages
     * @param action what the operation does to this repository, checked against the caller's roles and the
     *               repository policy (secured mode) before anything is sent
     */
    public RegistryAccess forReference(ImageReference ref, AccessOptions options, String field, Action action) {
        policy.check(ref.registry());
        access.check(ref, action);
        Credentials chosen = choose(ref.registry(), options, field);
        boolean tlsVerify = options.tlsVerify() == null || options.tlsVerify();
        int retries = options.retryTimes() == null ? config.http().retries() : options.retryTimes();
        if (retries < 0 || retries > 20) {
            throw FerryException.invalidField("retryTimes", "must be between 0 and 20");
        }
        return new RegistryAccess(ref.registry(), ref.endpointHost(), chosen, tlsVerify, retries,
                retryDelay(options.retryDelay(), "retryDelay"));
    }

    private Credentials choose(String registry, AccessOptions o, String field) {
        int given = (o.creds() != null ? 1 : 0) + (o.registryToken() != null ? 1 : 0) + (Boolean.TRUE.equals(o.noCreds()) ? 1 : 0);
        if (given > 1) {
            throw FerryException.invalidField(name(field, "creds"),
                    "give at most one of " + name(field, "creds") + ", " + name(field, "registryToken") + " and " + name(field, "noCreds"));
        }
        if (Boolean.TRUE.equals(o.noCreds())) {
            return Credentials.ANONYMOUS;
        }
        if (o.registryToken() != null) {
            if (o.registryToken().isBlank() || o.registryToken().chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                throw FerryException.invalidField(name(field, "registryToken"), "must be a non-empty token of visible ASCII characters");
            }
            return new Credentials.RegistryToken(o.registryToken());
        }
        if (o.creds() != null) {
            try {
                Credentials.Basic basic = Credentials.parseUserPassword(o.creds());
                if (basic.username().chars().anyMatch(c -> c < 0x20) || basic.password().chars().anyMatch(c -> c < 0x20)) {
                    throw new IllegalArgumentException("credentials must not contain control characters");
                }
                return basic;
            } catch (IllegalArgumentException e) {
                throw FerryException.invalidField(name(field, "creds"), e.getMessage());
            }
        }
        return credentials.configured(registry);
    }

    private static final java.util.regex.Pattern GO_DURATION =
            java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    /** A Go duration ({@code 1m30s}, {@code 500ms}), as skopeo's --retry-delay takes it; at most 5 minutes. */
    static java.time.Duration retryDelay(String value, String field) {
        if (value == null) {
            return null;
        }
        java.util.regex.Matcher m = GO_DURATION.matcher(value);
        double nanos = 0;
        int at = 0;
        while (m.find() && m.start() == at) {
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1d;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            at = m.end();
        }
        if (at == 0 || at != value.length() || nanos > 300e9) {
            throw FerryException.invalidField(field, "must be a duration such as 2s, 500ms or 1m30s, at most 5m");
        }
        return java.time.Duration.ofNanos((long) nanos);
    }

    private static String name(String prefix, String field) {
        if (prefix.isEmpty()) {
            return field;
        }
        return prefix + Character.toUpperCase(field.charAt(0)) + field.substring(1);
    }
}
