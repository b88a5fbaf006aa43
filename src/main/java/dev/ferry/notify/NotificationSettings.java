package dev.ferry.notify;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Outbound notifications ({@code ferry.notifications.*}): where Ferry POSTs a CloudEvents JSON document when a job
 * ends. Targets configured here apply to every job (one-off jobs and policy runs alike); a policy's own targets are
 * added to them by the policy. No target is configured by default.
 */
@ConfigMapping(prefix = "ferry.notifications")
public interface NotificationSettings {

    /** Which job ends a configured target hears of unless it says otherwise: {@code all}, {@code failures}, {@code changes}. */
    @WithDefault("all")
    String on();

    /** Global targets, keyed by any name (letters, digits, '.', '_' or '-'). */
    Map<String, Target> targets();

    interface Target {
        /** http(s) URL to POST to; it must pass the same outbound rules as a registry (registry policy, SSRF guard). */
        String url();

        /** {@code all}, {@code failures} (failed or cancelled) or {@code changes} (changed the destination, or failed); default {@code ferry.notifications.on}. */
        Optional<String> on();

        /** HMAC-SHA256 key for {@code X-Ferry-Signature-256: sha256=<hex>}; prefer {@code secret-file} or {@code ${ENV}}. Unset: unsigned. */
        Optional<String> secret();

        /** File whose first line is the HMAC key. */
        Optional<String> secretFile();
    }

    /** Attempts per notification (the first included); then it is given up ({@code failed}) and stays in the log. */
    @WithDefault("8")
    int maxAttempts();

    /** Delay before the first retry; doubles per retry, with jitter (a receiver's {@code Retry-After} wins, capped). */
    @WithDefault("2s")
    Duration retryDelay();

    /** Longest wait between attempts. */
    @WithDefault("5m")
    Duration maxRetryDelay();

    /** A delivery attempt fails if the receiver has not answered within this time. */
    @WithDefault("10s")
    Duration timeout();

    /** How often a replica looks for notifications due (new ones are sent at once by the replica that recorded them). */
    @WithDefault("1s")
    Duration pollInterval();

    /** The CloudEvents {@code source} attribute of every notification (a URI reference naming this Ferry). */
    @WithDefault("urn:ferry")
    String source();
}
