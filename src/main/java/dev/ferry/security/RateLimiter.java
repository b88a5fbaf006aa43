package dev.ferry.security;

import dev.ferry.limit.TokenBucket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per caller: {@code burst} requests at once, refilled at {@code perSecond} (the same
 * {@link TokenBucket} that paces requests to registries, used here to refuse rather than to wait).
 */
final class RateLimiter {
    private static final int MAX_CALLERS = 10_000;

    private final double perSecond;
    private final double burst;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

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
        long wait = buckets.computeIfAbsent(caller, c -> new TokenBucket(perSecond, burst, nanoNow)).tryTake(nanoNow);
        return wait == 0 ? 0 : Math.max(1, (long) Math.ceil(wait / 1e9));
    }
}
