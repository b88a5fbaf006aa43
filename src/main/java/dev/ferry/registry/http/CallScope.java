package dev.ferry.registry.http;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The registry calls of one operation (one synchronous request, one job), ended together.
 *
 * <p>{@link #abort} ends the scope: every request of it still in flight is reset at once (a registry that accepted
 * the connection and never answers is let go of), no request of it is started or retried afterwards, and every
 * future {@link #guard guarded} by it fails with the abort's cause, even one that waits on work shared with other
 * scopes (a token fetch, an endpoint discovery). Aborting is idempotent: the first cause wins. A scope with a
 * deadline ({@link #withDeadline}) aborts itself with a {@code registry-timeout} naming the registry and the step it
 * was waiting for.
 *
 * <p>{@link #NONE} is never aborted. Thread-safe; callbacks run on the thread that aborts.
 */
public final class CallScope {
    /** The scope of calls that nothing ends early (they are still bounded by the transport's timeouts). */
    public static final CallScope NONE = new CallScope();

    private final Set<Consumer<Throwable>> onAbort = ConcurrentHashMap.newKeySet();
    private volatile Throwable cause;
    private volatile String step;
    private volatile Runnable closer = () -> { };

    /** A scope that ends only when aborted. */
    public static CallScope open() {
        return new CallScope();
    }

    /**
     * A scope that aborts itself after {@code deadline} with {@code registry-timeout}: "{@code what}: no answer
     * within the N s deadline; it was waiting for STEP". {@link #close()} it when the operation has ended.
     */
    public static CallScope withDeadline(Vertx vertx, Duration deadline, String what, String configuredBy) {
        CallScope scope = new CallScope();
        long timer = vertx.setTimer(Math.max(1, deadline.toMillis()), id -> scope.abort(new FerryException(ProblemType.REGISTRY_TIMEOUT,
                what + ": no answer within the " + seconds(deadline) + " deadline for synchronous calls (" + configuredBy + "); "
                        + (scope.step == null ? "no registry was contacted yet" : "it was waiting for " + scope.step))));
        scope.closer = () -> vertx.cancelTimer(timer);
        return scope;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    public boolean isAborted() {
        return cause != null;
    }

    /** Why the scope was aborted, or null. */
    public Throwable cause() {
        return cause;
    }

    /** Ends the scope with {@code why} (first call wins); see the class comment. Not allowed on {@link #NONE}. */
    public void abort(Throwable why) {
        if (this == NONE) {
            throw new IllegalStateException("CallScope.NONE cannot be aborted");
        }
        synchronized (this) {
            if (cause != null) {
                return;
            }
            cause = why;
        }
        closer.run();
        for (Consumer<Throwable> c : onAbort) {
            try {
                c.accept(why);
            } catch (RuntimeException ignored) {
                // a request that already ended
            }
        }
        onAbort.clear();
    }

    /** Stops the deadline timer (if any); the scope is not aborted. */
    public void close() {
        closer.run();
    }

    /** The step in progress, e.g. "reading manifest 1 in 127.0.0.1:5000/lab/app (127.0.0.1:5000)", or null. */
    public String step() {
        return step;
    }

    void step(String action, String host) {
        if (this != NONE) {
            step = action + " at " + host;
        }
    }

    /** Runs {@code action} on abort (at once if already aborted); returns a handle that unregisters it. */
    public Runnable onAbort(Consumer<Throwable> action) {
        if (this == NONE) {
            return () -> { };
        }
        onAbort.add(action);
        Throwable already = cause;
        if (already != null && onAbort.remove(action)) {
            action.accept(already);
        }
        return () -> onAbort.remove(action);
    }

    /** Resets {@code request} when the scope aborts, until the returned handle is run. */
    Runnable track(HttpClientRequest request) {
        return onAbort(why -> request.reset(0, why));
    }

    /** {@code f}, or its abort cause as soon as the scope aborts, whichever comes first. */
    public <T> Future<T> guard(Future<T> f) {
        if (this == NONE || f.isComplete()) {
            return f;
        }
        Promise<T> p = Promise.promise();
        Runnable unregister = onAbort(p::tryFail);
        f.onComplete(ar -> {
            unregister.run();
            if (ar.succeeded()) {
                p.tryComplete(ar.result());
            } else {
                p.tryFail(ar.cause());
            }
        });
        return p.future();
    }

    /** A timer of {@code d} that fails with the abort cause if the scope aborts first. */
    Future<Void> delay(Vertx vertx, Duration d) {
        Promise<Void> p = Promise.promise();
        long timer = vertx.setTimer(Math.max(1, d.toMillis()), id -> p.tryComplete());
        Runnable unregister = onAbort(why -> {
            vertx.cancelTimer(timer);
            p.tryFail(why);
        });
        return p.future().onComplete(ar -> unregister.run());
    }
}
