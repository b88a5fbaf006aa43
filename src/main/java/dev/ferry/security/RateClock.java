package dev.ferry.security;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The time the per-caller rate limit refills by: {@link System#nanoTime()}. A bean of its own so that a test can put
 * a clock it controls in its place (the limit is then tested by configuration and that clock, not by how fast the
 * machine can send requests).
 */
@ApplicationScoped
public class RateClock {
    /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
    public long nanoTime() {
        return System.nanoTime();
    }
}
