package dev.ferry.job;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One subscriber following one job's events, whichever replica runs it: the recorded events first, then live
 * ones. While the job runs in this process its events are pushed as they happen; otherwise (another replica runs
 * it, or it waits in the queue) the store is read every poll interval. Each event reaches the sink once, in
 * sequence order, with the id the store has; the follow ends after the terminal event.
 */
final class EventFollow {
    private final JobService jobs;
    private final JobEvents events;
    private final Vertx vertx;
    private final Duration poll;
    private final String id;
    private final Consumer<JobEvent> sink;
    private final Runnable end;

    private final Object lock = new Object();
    private final List<JobEvent> buffered = new ArrayList<>();
    private boolean replaying = true;
    private long lastSent;
    private boolean ended;
    private boolean polling;
    private boolean gap;
    private Runnable unsubscribe = () -> { };
    private long timer = -1;

    EventFollow(JobService jobs, JobEvents events, Vertx vertx, Duration poll, String id, long afterSeq,
                Consumer<JobEvent> sink, Runnable end) {
        this.jobs = jobs;
        this.events = events;
        this.vertx = vertx;
        this.poll = poll;
        this.id = id;
        this.lastSent = afterSeq;
        this.sink = sink;
        this.end = end;
    }

    /** Replays what is recorded and starts following; blocks (store reads). Returns the handle that stops. */
    Runnable start() {
        unsubscribe = events.subscribe(id, e -> {
            synchronized (lock) {
                if (replaying) {
                    buffered.add(e);
                } else {
                    deliver(e);
                }
            }
        });
        List<JobEvent> recorded = jobs.recordedEvents(id, lastSent);
        synchronized (lock) {
            recorded.forEach(this::deliver);
            buffered.forEach(this::deliver);
            buffered.clear();
            replaying = false;
            if (!ended) {
                timer = vertx.setPeriodic(Math.max(20, poll.toMillis()), t -> pollSoon());
            }
        }
        return this::stop;
    }

    /** Called with the lock held. An event after a gap waits for the poll, which reads the gap from the store. */
    private void deliver(JobEvent e) {
        if (ended || e.seq() <= lastSent) {
            return;
        }
        if (e.seq() > lastSent + 1) {
            gap = true;
            return;
        }
        sink.accept(e);
        lastSent = e.seq();
        if (e.isTerminal()) {
            ended = true;
            stopLocked();
            end.run();
        }
    }

    private void pollSoon() {
        synchronized (lock) {
            if (ended || polling || (events.isOpen(id) && !gap)) {
                return;
            }
            polling = true;
            gap = false;
        }
        Infrastructure.getDefaultWorkerPool().execute(() -> {
            try {
                long after;
                synchronized (lock) {
                    after = lastSent;
                }
                // pushed live while this replica runs the job; read from the store otherwise, or after a gap
                List<JobEvent> more = jobs.recordedEvents(id, after);
                synchronized (lock) {
                    more.forEach(this::deliver);
                }
                if (more.isEmpty() && jobs.find(id, null).map(j -> j.state().isTerminal()).orElse(true)) {
                    // ended (or purged) without a terminal event recorded after ours: nothing more will come
                    synchronized (lock) {
                        if (!ended) {
                            ended = true;
                            stopLocked();
                            end.run();
                        }
                    }
                }
            } catch (RuntimeException e) {
                Log.debugf("following job %s: %s", id, e.getMessage());
            } finally {
                synchronized (lock) {
                    polling = false;
                }
            }
        });
    }

    private void stop() {
        synchronized (lock) {
            ended = true;
            stopLocked();
        }
    }

    private void stopLocked() {
        unsubscribe.run();
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
