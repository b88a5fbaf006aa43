package dev.ferry.job;

import dev.ferry.transfer.Cancellation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Accepts jobs, runs them a bounded number at a time, records every state change and event, and resumes
 * unfinished jobs after a restart. A job accepted is in the store before the caller hears about it.
 * Methods that touch the store block: call them from worker threads.
 */
@ApplicationScoped
public class JobService {
    private final JobStore store;
    private final JobEvents events;
    private final Vertx vertx;
    private final FerryConfig config;
    private final ObjectMapper json;
    private final Instance<JobWorkFactory> factories;

    private final Map<String, Active> active = new ConcurrentHashMap<>();
    /** Jobs that have ended but whose end is still on its way to the store. */
    private final Map<String, Job> endedNotStored = new ConcurrentHashMap<>();
    private final Deque<String> queue = new ArrayDeque<>();
    private int running;
    private volatile boolean stopping;

    /** A job queued or running in this process. */
    private static final class Active {
        final Job submitted;
        final JobWork work;
        final Cancellation cancellation = new Cancellation();
        final ProgressTracker progress = new ProgressTracker();
        final CompletableFuture<Job> done = new CompletableFuture<>();
        volatile JobState state = JobState.QUEUED;
        volatile Instant startedAt;
        volatile long timer = -1;
        /** Whether this job holds one of the running slots. */
        volatile boolean holdsSlot;
        /** The job as it ended, set before its state turns terminal (the store is written after). */
        volatile Job finished;

        Active(Job submitted, JobWork work) {
            this.submitted = submitted;
            this.work = work;
        }
    }

    /** The job and whether this call created it (false: an earlier call with the same Idempotency-Key did). */
    public record Submitted(Job job, boolean created) {
    }

    public JobService(JobStore store, JobEvents events, Vertx vertx, FerryConfig config, ObjectMapper json,
                      Instance<JobWorkFactory> factories) {
        this.store = store;
        this.events = events;
        this.vertx = vertx;
        this.config = config;
        this.json = json;
        this.factories = factories;
    }

    public Submitted submit(String type, String caller, String idempotencyKey, JsonNode storedRequest, JobWork work) {
        if (idempotencyKey != null) {
            Optional<JobStore.Stored> existing = store.findByIdempotencyKey(caller, idempotencyKey);
            if (existing.isPresent()) {
                return same(existing.get(), type, storedRequest);
            }
        }
        Job job = new Job(UUID.randomUUID().toString(), type, JobState.QUEUED, Instant.now(), null, null,
                storedRequest, Progress.ZERO, null, null);
        try {
            store.insert(job, caller, idempotencyKey);
        } catch (JobStore.StoreException e) {
            if (idempotencyKey != null) {
                Optional<JobStore.Stored> raced = store.findByIdempotencyKey(caller, idempotencyKey);
                if (raced.isPresent()) {
                    return same(raced.get(), type, storedRequest);
                }
            }
            throw new FerryException(ProblemType.STORE_UNAVAILABLE, "the job could not be recorded; nothing was started", e);
        }
        events.open(job.id(), 0);
        events.append(job.id(), "job", snapshot(job));
        enqueue(new Active(job, work));
        return new Submitted(job, true);
    }

    /** The earlier job of an Idempotency-Key, which must have been for the same request. */
    private Submitted same(JobStore.Stored earlier, String type, JsonNode storedRequest) {
        Job job = earlier.job();
        if (!job.type().equals(type) || !job.request().equals(storedRequest)) {
            throw new FerryException(ProblemType.IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used for job " + job.id()
                    + " with a different request; use a new key for a new request");
        }
        return new Submitted(withLiveProgress(job), false);
    }

    private synchronized void enqueue(Active a) {
        active.put(a.submitted.id(), a);
        queue.addLast(a.submitted.id());
        dispatch();
    }

    private synchronized void dispatch() {
        while (!stopping && running < config.jobs().maxRunning() && !queue.isEmpty()) {
            Active a = active.get(queue.pollFirst());
            if (a == null || a.state != JobState.QUEUED) {
                continue;
            }
            running++;
            a.holdsSlot = true;
            a.state = JobState.RUNNING;
            a.startedAt = Instant.now();
            events.write(() -> store.markRunning(a.submitted.id(), a.startedAt))
                    .whenComplete((v, t) -> {
                        if (t != null) {
                            finish(a, Future.failedFuture(new FerryException(ProblemType.STORE_UNAVAILABLE,
                                    "the job could not be started: the store failed", t)));
                        } else {
                            run(a);
                        }
                    });
        }
    }

    private void run(Active a) {
        String id = a.submitted.id();
        events.append(id, "job", snapshot(current(a)));
        a.timer = vertx.setPeriodic(config.jobs().progressInterval().toMillis(), new ProgressTicker(a));
        Future<JsonNode> outcome;
        try {
            outcome = a.work.run(new JobContext(id, events, a.progress, a.cancellation));
        } catch (RuntimeException e) {
            outcome = Future.failedFuture(e);
        }
        outcome.onComplete(ar -> finish(a, ar.succeeded() ? Future.succeededFuture(ar.result()) : Future.failedFuture(ar.cause())));
    }

    /** Emits throttled progress events (only when something moved) and saves progress now and then. */
    private final class ProgressTicker implements io.vertx.core.Handler<Long> {
        private final Active a;
        private Progress last = Progress.ZERO;
        private long lastAt = System.nanoTime();
        private int ticks;

        ProgressTicker(Active a) {
            this.a = a;
        }

        @Override
        public void handle(Long timerId) {
            Progress now = a.progress.snapshot();
            long at = System.nanoTime();
            if (!now.equals(last)) {
                ObjectNode data = progressData(now);
                double seconds = (at - lastAt) / 1e9;
                data.put("bytesPerSecond", seconds > 0 ? Math.round((now.bytesDone() - last.bytesDone()) / seconds) : 0);
                Map<String, Long> blobs = a.progress.streamingBlobs();
                if (!blobs.isEmpty()) {
                    data.set("blobs", json.valueToTree(blobs));
                }
                events.append(a.submitted.id(), "progress", data);
                if (++ticks % 4 == 0) {
                    events.write(() -> store.saveProgress(a.submitted.id(), now));
                }
            }
            last = now;
            lastAt = at;
        }
    }

    private ObjectNode progressData(Progress p) {
        return json.valueToTree(p);
    }

    private void finish(Active a, Future<JsonNode> outcome) {
        String id = a.submitted.id();
        if (a.timer >= 0) {
            vertx.cancelTimer(a.timer);
        }
        JobState state;
        JsonNode result = null;
        JobError error = null;
        if (outcome.succeeded() && !a.cancellation.isCancelled()) {
            state = JobState.SUCCEEDED;
            result = outcome.result();
        } else if (a.cancellation.isCancelled()) {
            state = JobState.CANCELLED;
        } else {
            state = JobState.FAILED;
            error = errorOf(outcome.cause(), id);
            if (outcome.cause() instanceof FailureWithResult partial) {
                result = partial.result();
            }
        }
        Progress progress = a.progress.snapshot();
        Instant at = Instant.now();
        Job finished = new Job(id, a.submitted.type(), state, a.submitted.createdAt(), a.startedAt, at,
                a.submitted.request(), progress, result, error);
        a.finished = finished;
        a.state = state;
        events.append(id, "progress", progressData(progress));
        JsonNode finalResult = result;
        JobError finalError = error;
        // Until the store has it, readers find the ended job here (not a stale "running" row).
        endedNotStored.put(id, finished);
        events.write(() -> store.finish(id, state, progress, finalResult, finalError, at))
                .whenComplete((v, t) -> endedNotStored.remove(id, finished));
        events.append(id, "job", snapshot(finished));
        events.write(() -> events.close(id));
        a.done.complete(finished);
        synchronized (this) {
            active.remove(id);
            if (a.holdsSlot) {
                running--;
            }
            dispatch();
        }
    }

    private static JobError errorOf(Throwable t, String id) {
        if (t instanceof FerryException fe) {
            return new JobError(fe.type().uri(), fe.type().title(), fe.type().status(), fe.getMessage());
        }
        Log.errorf(t, "job %s failed unexpectedly", id);
        ProblemType internal = ProblemType.INTERNAL;
        return new JobError(internal.uri(), internal.title(), internal.status(), "unexpected failure; see the log for job " + id);
    }

    private Job current(Active a) {
        return new Job(a.submitted.id(), a.submitted.type(), a.state, a.submitted.createdAt(), a.startedAt, null,
                a.submitted.request(), a.progress.snapshot(), null, null);
    }

    ObjectNode snapshot(Job job) {
        return json.valueToTree(job);
    }

    public ObjectNode snapshotOf(Job job) {
        return snapshot(job);
    }

    // ---- reads and cancel --------------------------------------------------------------------------

    /** The job with live progress if it runs here; empty when unknown or not visible to {@code caller} (null = any). */
    public Optional<Job> find(String id, String caller) {
        return store.find(id).filter(s -> caller == null || caller.equals(s.caller())).map(s -> withLiveProgress(s.job()));
    }

    private Job withLiveProgress(Job stored) {
        Job ended = endedNotStored.get(stored.id());
        if (ended != null && !stored.state().isTerminal()) {
            return ended;
        }
        Active a = active.get(stored.id());
        if (a == null || stored.state().isTerminal()) {
            return stored;
        }
        // ended but not yet in the store: the ended job with its result, never a terminal state without one
        return a.finished != null ? a.finished : current(a);
    }

    public List<Job> list(JobState state, String type, String caller, int offset, int limit) {
        return store.list(state, type, caller, offset, limit).stream().map(s -> withLiveProgress(s.job())).toList();
    }

    /** Waits up to {@code wait} for the job to end; returns it as it is then. */
    public Job await(Job job, Duration wait) {
        Active a = active.get(job.id());
        if (a == null) {
            return store.find(job.id()).map(s -> withLiveProgress(s.job())).orElse(job);
        }
        try {
            return a.done.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return a.finished != null ? a.finished : current(a);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return a.finished != null ? a.finished : current(a);
        } catch (ExecutionException e) {
            return store.find(job.id()).map(JobStore.Stored::job).orElse(job);
        }
    }

    /** Cancels a queued or running job and returns it once it has stopped (or after a few seconds). */
    public Job cancel(Job job) {
        if (job.state().isTerminal()) {
            throw new FerryException(ProblemType.JOB_FINISHED, "job " + job.id() + " has already " + job.state().wire());
        }
        Active a = active.get(job.id());
        if (a == null) {
            Instant at = Instant.now();
            events.write(() -> store.finish(job.id(), JobState.CANCELLED, job.progress(), null, null, at)).join();
            return store.find(job.id()).map(JobStore.Stored::job).orElse(job);
        }
        boolean wasQueued;
        synchronized (this) {
            wasQueued = a.state == JobState.QUEUED;
            a.cancellation.cancel();
            if (wasQueued) {
                queue.remove(job.id());
            }
        }
        if (wasQueued) {
            finish(a, Future.failedFuture(new Cancellation.CancelledException()));
        }
        return await(job, Duration.ofSeconds(10));
    }

    // ---- restart ------------------------------------------------------------------------------------

    void onStart(@Observes StartupEvent start) {
        for (JobStore.Stored s : store.unfinished()) {
            Job job = s.job();
            events.open(job.id(), store.lastEventSeq(job.id()));
            JobWork work;
            try {
                work = factoryFor(job.type()).resume(job.request());
            } catch (FerryException e) {
                Active a = new Active(job, null);
                a.startedAt = job.startedAt();
                a.state = JobState.RUNNING;
                finish(a, Future.failedFuture(e));
                continue;
            }
            Log.infof("resuming %s job %s after a restart", job.type(), job.id());
            Job requeued = new Job(job.id(), job.type(), JobState.QUEUED, job.createdAt(), job.startedAt(), null,
                    job.request(), Progress.ZERO, null, null);
            events.append(job.id(), "job", snapshot(requeued));
            enqueue(new Active(requeued, work));
        }
    }

    void onStop(@Observes ShutdownEvent stop) {
        stopping = true;
    }

    private JobWorkFactory factoryFor(String type) {
        for (JobWorkFactory f : factories) {
            if (f.type().equals(type)) {
                return f;
            }
        }
        throw new FerryException(ProblemType.INTERNAL, "no handler for jobs of type " + type);
    }
}
