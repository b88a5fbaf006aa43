package dev.ferry.limit;

/**
 * A token bucket on a caller's clock (monotonic nanoseconds, passed in, so a test controls time): {@code capacity}
 * tokens at most, refilled at {@code perSecond}. {@link #tryTake} takes a token or says how long until one is there:
 * the per-caller API rate limit answers 429 then, the registry traffic rules wait and try again (in order). In any
 * interval of length T at most {@code capacity + perSecond * T} tokens are taken. Thread-safe.
 */
public final class TokenBucket {
    private double perSecond;
    private double capacity;
    private double tokens;
    private long updated;

    public TokenBucket(double perSecond, double capacity, long nanoNow) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("perSecond must be positive");
        }
        this.perSecond = perSecond;
        this.capacity = Math.max(1, capacity);
        this.tokens = this.capacity;
        this.updated = nanoNow;
    }

    private void refill(long now) {
        if (now > updated) {
            tokens = Math.min(capacity, tokens + (now - updated) / 1e9 * perSecond);
            updated = now;
        }
    }

    /**
     * Changes rate and size (a replica's share of a cluster-wide rate). Tokens above the new size are dropped, so the
     * bound {@code capacity + perSecond * T} holds with the new values from now on.
     */
    public synchronized void setRate(double newPerSecond, double newCapacity, long now) {
        if (!(newPerSecond > 0)) {
            throw new IllegalArgumentException("perSecond must be positive");
        }
        refill(now);
        perSecond = newPerSecond;
        capacity = Math.max(1, newCapacity);
        tokens = Math.min(tokens, capacity);
    }

    /** Takes a token if there is one: 0. Otherwise takes nothing and returns the nanoseconds until one is there. */
    public synchronized long tryTake(long now) {
        refill(now);
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / perSecond * 1e9));
    }

    /** Whether the bucket is full (nothing taken recently): such a bucket may be forgotten. */
    public synchronized boolean isFull(long now) {
        refill(now);
        return tokens >= capacity;
    }
}
