package dev.ferry.registry.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which failures are worth another attempt and how long to wait: exponential backoff with jitter (half to full step),
 * or the registry's own {@code Retry-After} (delta-seconds or HTTP-date), capped. Registry requests and outbound
 * notifications ({@code dev.ferry.notify}) share it: one retry policy.
 */
public final class RetryPolicy {
    private static final Set<Integer> RETRYABLE = Set.of(408, 429, 500, 502, 503, 504);

    private final Duration baseDelay;
    private final Duration maxDelay;

    public RetryPolicy(Duration baseDelay, Duration maxDelay) {
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
    }

    static boolean isRetryableStatus(int status) {
        return RETRYABLE.contains(status);
    }

    /** Delay before retry number {@code retry} (1-based). */
    public Duration delay(int retry, String retryAfter, Instant now) {
        Duration fromHeader = parseRetryAfter(retryAfter, now);
        if (fromHeader != null) {
            return fromHeader.compareTo(maxDelay) > 0 ? maxDelay : fromHeader;
        }
        long cap = Math.min(maxDelay.toMillis(), baseDelay.toMillis() << Math.min(retry - 1, 20));
        long jittered = cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
        return Duration.ofMillis(jittered);
    }

    static Duration parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(now, at);
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }
}
