package dev.ferry.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A token bucket per caller: {@code burst} requests at once, refilled at {@code perSecond}. */
final class RateLimiter {
    private static final int MAX_CALLERS = 10_000;

    private final double perSecond;
    private final double burst;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimiter(double perSecond, int burst) {
        this.perSecond = perSecond;
        this.burst = Math.max(1, burst);
    }

    boolean enabled() {
        return perSecond > 0;
    }

    /** 0 when the request may go ahead, else the whole seconds to wait before trying again. */
    long acquire(String caller, long nanoNow) {
        if (!enabled()) {
            return 0;
        }
        if (buckets.size() > MAX_CALLERS) {
            buckets.values().removeIf(b -> b.isFull(nanoNow));
        }
        return buckets.computeIfAbsent(caller, c -> new Bucket(nanoNow)).take(nanoNow);
    }

    private final class Bucket {
        private double tokens = burst;
        private long updated;

        Bucket(long now) {
            this.updated = now;
        }

        private void refill(long now) {
            tokens = Math.min(burst, tokens + (now - updated) / 1e9 * perSecond);
            updated = now;
        }

        synchronized long take(long now) {
            refill(now);
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / perSecond));
        }

        synchronized boolean isFull(long now) {
            refill(now);
            return tokens >= burst;
        }
    }
}
