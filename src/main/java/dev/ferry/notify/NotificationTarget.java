package dev.ferry.notify;

import java.util.Optional;

/**
 * One place to tell when a run ends: an HTTP(S) URL that receives a CloudEvents JSON POST, signed with HMAC-SHA256
 * when a secret is set.
 *
 * @param url    where to POST; subject to the same outbound rules as registries
 * @param on     which runs to tell about
 * @param secret the HMAC key for {@code X-Ferry-Signature-256}; write-only, never shown back
 */
public record NotificationTarget(String url, When on, Optional<String> secret) {
    public enum When {
        /** Every run that ends. */
        ALL,
        /** Runs that failed (or were cancelled). */
        FAILURES,
        /** Runs that changed the destination, and failed runs. */
        CHANGES
    }
}
