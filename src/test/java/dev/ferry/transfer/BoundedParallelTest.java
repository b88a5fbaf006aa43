package dev.ferry.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class BoundedParallelTest {

    @Test
    void shouldKeepAtMostTheLimitInFlightAndRunEveryTask() {
        List<Promise<Void>> started = new ArrayList<>();
        List<Supplier<Future<?>>> tasks = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tasks.add(() -> {
                Promise<Void> p = Promise.promise();
                started.add(p);
                return p.future();
            });
        }
        Future<Void> all = BoundedParallel.run(tasks, 3);
        assertEquals(3, started.size());
        for (int i = 0; i < 10; i++) {
            started.get(i).complete();
            assertTrue(started.size() <= Math.min(10, i + 4));
        }
        assertEquals(10, started.size());
        assertTrue(all.succeeded());
    }

    @Test
    void shouldStartNoMoreTasksAfterAFailureAndSettleWhenInFlightOnesEnd() {
        List<Promise<Void>> started = new ArrayList<>();
        AtomicInteger count = new AtomicInteger();
        List<Supplier<Future<?>>> tasks = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tasks.add(() -> {
                count.incrementAndGet();
                Promise<Void> p = Promise.promise();
                started.add(p);
                return p.future();
            });
        }
        Future<Void> all = BoundedParallel.run(tasks, 2);
        started.get(0).fail(new IllegalStateException("boom"));
        assertFalse(all.isComplete(), "the second task is still running");
        started.get(1).complete();
        assertTrue(all.failed());
        assertEquals("boom", all.cause().getMessage());
        assertEquals(2, count.get());
    }

    @Test
    void shouldSucceedAtOnceWithNoTasks() {
        assertTrue(BoundedParallel.run(List.of(), 4).succeeded());
    }
}
