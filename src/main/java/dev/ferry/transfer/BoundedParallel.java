package dev.ferry.transfer;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs asynchronous tasks with at most {@code limit} in flight. After the first failure no further task
 * starts; the result settles only when every started task has finished, so nothing is still running when
 * the caller moves on (e.g. pushes a manifest).
 */
public final class BoundedParallel {
    private BoundedParallel() {
    }

    public static Future<Void> run(List<Supplier<Future<?>>> tasks, int limit) {
        if (tasks.isEmpty()) {
            return Future.succeededFuture();
        }
        Promise<Void> all = Promise.promise();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger workers = new AtomicInteger(Math.min(limit, tasks.size()));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable[] worker = new Runnable[1];
        worker[0] = () -> {
            int i = failure.get() == null ? next.getAndIncrement() : tasks.size();
            if (i >= tasks.size()) {
                if (workers.decrementAndGet() == 0) {
                    Throwable t = failure.get();
                    if (t == null) {
                        all.complete();
                    } else {
                        all.fail(t);
                    }
                }
                return;
            }
            Future<?> task;
            try {
                task = tasks.get(i).get();
            } catch (RuntimeException e) {
                task = Future.failedFuture(e);
            }
            task.onComplete(ar -> {
                if (ar.failed()) {
                    failure.compareAndSet(null, ar.cause());
                }
                worker[0].run();
            });
        };
        int n = workers.get();
        for (int w = 0; w < n; w++) {
            worker[0].run();
        }
        return all.future();
    }
}
