package dev.ferry.limit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;

/**
 * At most {@code limit} permits out at once; others wait in the order they asked. Asynchronous: {@link #acquire}
 * never blocks, it completes when a permit is free. The holder MUST run the returned release exactly once (running it
 * again does nothing). Thread-safe; a released permit is handed to the next waiter on the releasing thread.
 */
public final class AsyncPermits {
    private int limit;
    private int out;
    private final ArrayDeque<Promise<Runnable>> waiting = new ArrayDeque<>();

    public AsyncPermits(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        this.limit = limit;
    }

    /** Completes with the permit's release once one is free. */
    public Future<Runnable> acquire() {
        Promise<Runnable> p = Promise.promise();
        boolean now;
        synchronized (this) {
            now = out < limit;
            if (now) {
                out++;
            } else {
                waiting.add(p);
            }
        }
        if (now) {
            p.complete(release());
        }
        return p.future();
    }

    private Runnable release() {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            Promise<Runnable> next;
            synchronized (this) {
                next = out <= limit ? waiting.poll() : null; // over a lowered limit: the permit is not passed on
                if (next == null) {
                    out--;
                }
            }
            if (next != null) {
                next.complete(release());
            }
        };
    }

    /**
     * Changes the limit (a replica's share of a cluster-wide limit, recomputed when replicas come and go). A higher
     * limit hands permits to waiters at once; a lower one takes effect as permits come back (none is revoked).
     */
    public void setLimit(int newLimit) {
        if (newLimit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        java.util.List<Promise<Runnable>> go = new java.util.ArrayList<>();
        synchronized (this) {
            limit = newLimit;
            while (out < limit && !waiting.isEmpty()) {
                out++;
                go.add(waiting.poll());
            }
        }
        go.forEach(p -> p.complete(release()));
    }

    /** The limit now. */
    public synchronized int limit() {
        return limit;
    }

    /** Permits out now. */
    public synchronized int inUse() {
        return out;
    }

    /** Callers waiting for a permit now. */
    public synchronized int queued() {
        return waiting.size();
    }
}
