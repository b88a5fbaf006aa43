package dev.ferry.policy;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fires policies' schedules. It does not run anything itself: a due time becomes a {@code sync} job in the job store,
 * which any replica claims and runs under a lease, as every job.
 *
 * <p><b>What fires when.</b> Every replica, every {@code ferry.policies.tick} (default 1 s), reads the policies whose
 * {@code next_due} is at or before its clock's now. For each it computes the following due time: for an interval, the
 * first {@code due + k * interval} after now (the grid stays put; due times missed while no replica was up are not
 * caught up — one run, then the grid); for cron, the first time after now the expression names (UTC).
 *
 * <p><b>Exactly once per due time, across replicas.</b> A due time is fired in one transaction that inserts the run job
 * (linked to the policy, with the due time) and moves the schedule on with a fenced conditional update:
 * {@code UPDATE policies SET next_due = NEXT WHERE name = ? AND next_due = DUE}. The first replica's update takes the
 * row lock; the others' updates wait for its commit and then match no row, so their transactions (their run jobs
 * included) roll back. A unique index on {@code jobs (policy, due_at)} refuses a second run for one due time as well.
 *
 * <p><b>Never overlapping.</b> In the same transaction, with the policy's row locked, a still-active (queued or
 * running, including a running job whose replica died and whose lease will be taken over) run of the policy makes the
 * due time <em>skipped</em>: {@code next_due} moves on, no job is inserted, and the skip is recorded
 * ({@code GET /api/v1/policies/{name}/runs}, {@code skipped}). Manual and webhook runs take the same row lock, so no
 * two runs of a policy are ever active at once.
 *
 * <p><b>Time</b> comes from the injected {@link Clock}; {@link #tick(Instant)} can be driven by a test directly.
 */
@ApplicationScoped
public class PolicyScheduler {
    private final PolicyStore store;
    private final PolicyService policies;
    private final PolicyConfig config;
    private final Vertx vertx;
    private final Clock clock;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ferry-policy-scheduler");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile long timer = -1;
    private Instant lastPurge = Instant.EPOCH;

    public PolicyScheduler(PolicyStore store, PolicyService policies, PolicyConfig config, Vertx vertx, Clock clock) {
        this.store = store;
        this.policies = policies;
        this.config = config;
        this.vertx = vertx;
        this.clock = clock;
    }

    void onStart(@Observes StartupEvent start) {
        if (!config.scheduler()) {
            Log.info("policy schedules are not fired by this replica (ferry.policies.scheduler=false)");
            return;
        }
        timer = vertx.setPeriodic(Math.max(100, config.tick().toMillis()), t -> {
            if (busy.compareAndSet(false, true)) {
                worker.execute(() -> {
                    try {
                        tick(clock.instant());
                    } finally {
                        busy.set(false);
                    }
                });
            }
        });
    }

    void onStop(@Observes ShutdownEvent stop) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        worker.shutdownNow();
    }

    /** Fires what is due at {@code now}; returns how many due policies were looked at. Blocking (JDBC). */
    public int tick(Instant now) {
        int n = 0;
        try {
            for (PolicyStore.Row row : store.due(now, 100)) {
                n++;
                try {
                    policies.fireDue(row, now);
                } catch (RuntimeException e) {
                    Log.warnf("policy %s: firing due time %s failed (retried at the next tick): %s", row.name(), row.nextDue(), e.getMessage());
                }
            }
            if (now.isAfter(lastPurge.plus(java.time.Duration.ofHours(1)))) {
                lastPurge = now;
                store.purgeSkipsBefore(now.minus(java.time.Duration.ofDays(7)));
            }
        } catch (RuntimeException e) {
            Log.warnf("reading due policies failed (retried at the next tick): %s", e.getMessage());
        }
        return n;
    }
}
