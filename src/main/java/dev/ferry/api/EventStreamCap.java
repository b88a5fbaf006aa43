package dev.ferry.api;

import dev.ferry.config.FerryConfig;
import jakarta.inject.Singleton;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many job event streams each caller holds open on this replica ({@code ferry.jobs.max-event-streams-per-caller}).
 * A place is taken before the stream is answered and given back exactly once when it ends, however it ends (the job
 * finished, the client went away, the server stops). Counts are per replica: a caller spread over replicas by a load
 * balancer can hold the cap on each.
 */
@Singleton
public class EventStreamCap {
    private final int max;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

    public EventStreamCap(FerryConfig config) {
        this.max = config.jobs().maxEventStreamsPerCaller();
    }

    /** A taken place; {@link #close()} gives it back (more calls do nothing). */
    public final class Place implements AutoCloseable {
        private final String caller;
        private final AtomicInteger released = new AtomicInteger();

        private Place(String caller) {
            this.caller = caller;
        }

        @Override
        public void close() {
            if (released.compareAndSet(0, 1)) {
                open.computeIfPresent(caller, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
            }
        }
    }

    /** A place for one more stream of this caller's, or null when the caller already holds the most allowed. */
    public Place tryTake(String caller) {
        boolean[] taken = {false};
        open.compute(caller, (k, n) -> {
            AtomicInteger c = n == null ? new AtomicInteger() : n;
            if (c.get() < max) {
                c.incrementAndGet();
                taken[0] = true;
            }
            return c.get() == 0 ? null : c;
        });
        return taken[0] ? new Place(caller) : null;
    }

    public int max() {
        return max;
    }

    /** Streams the caller holds open now (for tests and metrics). */
    public int openBy(String caller) {
        AtomicInteger n = open.get(caller);
        return n == null ? 0 : n.get();
    }
}
