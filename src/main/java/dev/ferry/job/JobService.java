package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.transfer.Cancellation;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Accepts jobs into the shared store and runs the ones this replica claims, a bounded number at a time. A job
 * accepted is in the store before the caller hears about it; any replica on the same store may run it. A claimed
 * job is held by a lease that heartbeats renew; every write about it is fenced by that lease, so a replica that
 * lost it (presumed dead) writes nothing more. Methods that touch the store block: call them from worker threads.
 */
@ApplicationScoped
public class JobService {
    /** How long DELETE waits for a job that runs here to stop before answering 202 (cancel requested). */
    static final Duration CANCEL_WAIT = Duration.ofSeconds(1);
    private static final Duration ACCEPTED_KEPT = Duration.ofHours(1);

    private final JobRepository store;
    private final JobEvents events;
    private final Vertx vertx;
    private final FerryConfig config;
    private final ObjectMapper json;
    private final Instance<JobWorkFactory> factories;
    private final Clock clock;
    private final Stores stores;
    private final SecretBox box;
    private final jakarta.enterprise.event.Event<JobEnded> ended;
    private final String replica;

    /** Jobs this replica runs now. */
    private final Map<String, Active> active = new ConcurrentHashMap<>();
    /** Jobs accepted here, with the work planned from the live request, until some replica claims them. */
    private final Map<String, Accepted> accepted = new ConcurrentHashMap<>();
    /** Jobs that have ended but whose end is still on its way to the store. */
    private final Map<String, Job> endedNotStored = new ConcurrentHashMap<>();
    /** Claims, heartbeats and purges: one thread, so claims never race each other in this process. */
    private final ExecutorService claimer = Executors.newSingleThreadExecutor(daemon("ferry-job-claimer"));
    /**
     * The replica-membership heartbeat (one store transaction) runs here, not on the claimer: on a loaded machine or a
     * slow store it delayed the lease renewals behind it until another replica took a job that was still running.
     */
    private final ExecutorService membershipBeat = Executors.newSingleThreadExecutor(daemon("ferry-replica-membership"));
    private final java.util.concurrent.atomic.AtomicBoolean membershipPending = new java.util.concurrent.atomic.AtomicBoolean();
    /** Planning resumed work may talk to registries: not on the claimer. */
    private final ExecutorService starter = Executors.newCachedThreadPool(daemon("ferry-job-start"));
    private volatile boolean stopping;
    /** Outbound notifications of every job's end (dev.ferry.notify). */
    @jakarta.inject.Inject
    Instance<dev.ferry.notify.Notifier> notifiers;
    /** This replica's rank among the live ones, for limits that hold across the cluster (dev.ferry.limit). */
    @jakarta.inject.Inject
    dev.ferry.limit.ClusterShare clusterShare;
    private volatile Instant lastMembership = Instant.EPOCH;
    private long tickTimer = -1;
    private Instant lastHeartbeat = Instant.EPOCH;
    private Instant lastPurge = Instant.EPOCH;

    private record Accepted(JobWork work, Instant at) {
    }

    /** A job this replica runs. */
    private static final class Active {
        final Job claimed;
        final JobRepository.Lease lease;
        final Cancellation cancellation = new Cancellation();
        final ProgressTracker progress = new ProgressTracker();
        final CompletableFuture<Job> done = new CompletableFuture<>();
        final AtomicBoolean ended = new AtomicBoolean();
        volatile JobWork work;
        volatile long timer = -1;
        /** The job as it ended, set before the store is written. */
        volatile Job finished;
        /** Another replica holds the job now: stop, write nothing. */
        volatile boolean lost;
        /** Handed back to the queue at shutdown: stop, the release is written already. */
        volatile boolean handedBack;

        Active(Job claimed, JobRepository.Lease lease) {
            this.claimed = claimed;
            this.lease = lease;
        }
    }

    /** The job and whether this call created it (false: an earlier call with the same Idempotency-Key did). */
    public record Submitted(Job job, boolean created) {
    }

    /** A page of jobs and how many match in all. */
    public record Page(List<Job> items, long total) {
    }

    public JobService(JobRepository store, JobEvents events, Vertx vertx, FerryConfig config, ObjectMapper json,
                      Instance<JobWorkFactory> factories, Clock clock, Stores stores, SecretBox box,
                      jakarta.enterprise.event.Event<JobEnded> ended) {
        this.ended = ended;
        this.store = store;
        this.events = events;
        this.vertx = vertx;
        this.config = config;
        this.json = json;
        this.factories = factories;
        this.clock = clock;
        this.stores = stores;
        this.box = box;
        this.replica = config.store().replicaId().orElseGet(JobService::defaultReplicaId);
    }

    private static String defaultReplicaId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "ferry";
        }
        return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** This replica's name in the store's records. */
    public String replica() {
        return replica;
    }

    /**
     * Accepts a planned job. Its secrets are stored only encrypted (ferry.store.secret-key), so any replica with
     * the key can resume it; without a key they are not stored at all.
     */
    public Submitted submit(String type, String caller, String idempotencyKey, JobPlan plan) {
        return submit(type, caller, idempotencyKey, plan.storedRequest(), plan.work(), plan.secrets());
    }

    public Submitted submit(String type, String caller, String idempotencyKey, JsonNode storedRequest, JobWork work) {
        return submit(type, caller, idempotencyKey, storedRequest, work, null);
    }

    private Submitted submit(String type, String caller, String idempotencyKey, JsonNode storedRequest, JobWork work,
                             ObjectNode secrets) {
        if (idempotencyKey != null) {
            Optional<JobRepository.Stored> existing = store.findByIdempotencyKey(caller, idempotencyKey);
            if (existing.isPresent()) {
                return same(existing.get(), type, storedRequest);
            }
        }
        Job job = new Job(UUID.randomUUID().toString(), type, JobState.QUEUED, clock.instant(), null, null,
                storedRequest, Progress.ZERO, null, null);
        accepted.put(job.id(), new Accepted(work, clock.instant()));
        try {
            String sealed = secrets != null && box.enabled() ? box.seal(job.id(), secrets.toString()) : null;
            store.insert(job, caller, idempotencyKey, new JobEvent(job.id(), 1, "job", snapshot(job)), sealed, registriesOf(storedRequest));
        } catch (JobRepository.DuplicateKeyException e) {
            accepted.remove(job.id());
            Optional<JobRepository.Stored> raced = store.findByIdempotencyKey(caller, idempotencyKey);
            if (raced.isPresent()) {
                return same(raced.get(), type, storedRequest);
            }
            throw new FerryException(ProblemType.STORE_UNAVAILABLE, "the job could not be recorded; nothing was started", e);
        } catch (StoreException e) {
            accepted.remove(job.id());
            throw new FerryException(ProblemType.STORE_UNAVAILABLE, "the job could not be recorded; nothing was started", e);
        }
        pumpSoon();
        return new Submitted(job, true);
    }

    /**
     * Accepts a planned job linked to what started it (a policy run, a retry), recorded only if {@code admission}
     * agrees in the same transaction (e.g. a fenced update of a schedule). Empty when the admission refused it, or
     * when a job for the same {@code (policy, dueAt)} exists already; nothing is recorded then.
     */
    public Optional<Submitted> submitLinked(String type, String caller, JobPlan plan, JobRepository.Link link,
                                            JobRepository.Admission admission) {
        Job job = new Job(UUID.randomUUID().toString(), type, JobState.QUEUED, clock.instant(), null, null,
                plan.storedRequest(), Progress.ZERO, null, null);
        accepted.put(job.id(), new Accepted(plan.work(), clock.instant()));
        boolean recorded;
        try {
            ObjectNode secrets = plan.secrets();
            String sealed = secrets != null && box.enabled() ? box.seal(job.id(), secrets.toString()) : null;
            recorded = store.insertLinked(job, caller, new JobEvent(job.id(), 1, "job", snapshot(job)), sealed,
                    registriesOf(plan.storedRequest()), link, admission);
        } catch (JobRepository.DuplicateKeyException e) {
            recorded = false;
        } catch (StoreException e) {
            accepted.remove(job.id());
            throw new FerryException(ProblemType.STORE_UNAVAILABLE, "the job could not be recorded; nothing was started", e);
        }
        if (!recorded) {
            accepted.remove(job.id());
            return Optional.empty();
        }
        pumpSoon();
        return Optional.of(new Submitted(job, true));
    }

    /** What started a job: its policy, due time and the job it retries ({@link JobRepository.Link#NONE} when none). */
    public Optional<JobRepository.Link> link(String id) {
        return store.link(id);
    }

    /** The jobs of a policy, newest first. */
    public Page pageOfPolicy(String policy, int offset, int limit) {
        JobRepository.Page p = store.listByPolicy(policy, offset, limit);
        return new Page(p.items().stream().map(s -> withLiveProgress(s.job())).toList(), p.total());
    }

    /** The earlier job of an Idempotency-Key, which must have been for the same request. */
    private Submitted same(JobRepository.Stored earlier, String type, JsonNode storedRequest) {
        Job job = earlier.job();
        if (!job.type().equals(type) || !job.request().equals(storedRequest)) {
            throw new FerryException(ProblemType.IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used for job " + job.id()
                    + " with a different request; use a new key for a new request");
        }
        return new Submitted(withLiveProgress(job), false);
    }

    // ---- claiming -----------------------------------------------------------------------------------

    private void pumpSoon() {
        if (!stopping) {
            claimer.execute(this::pumpSafely);
        }
    }

    private void pumpSafely() {
        try {
            pump();
        } catch (RuntimeException e) {
            Log.warnf("claiming jobs failed (will retry): %s", e.getMessage());
        }
    }

    /** Claims as many jobs as there are free slots. Runs on the claimer thread only. */
    private void pump() {
        if (stopping) {
            return;
        }
        int free = config.jobs().maxRunning() - active.size();
        if (free <= 0) {
            return;
        }
        Instant now = clock.instant();
        FerryConfig.Store s = config.store();
        for (JobRepository.Claimed c : store.claim(replica, now, now.plus(s.lease()), free, s.maxAttempts(), registryCaps())) {
            Active a = new Active(c.stored().job(), c.lease());
            active.put(a.claimed.id(), a);
            events.open(c.lease(), c.lastSeq());
            Accepted acc = accepted.remove(a.claimed.id());
            if (acc != null) {
                a.work = acc.work();
                run(a);
            } else {
                starter.execute(() -> resume(a, c.stored()));
            }
        }
    }

    private void resume(Active a, JobRepository.Stored stored) {
        Job job = a.claimed;
        try {
            a.work = factoryFor(job.type()).resume(withSecrets(job, stored.secrets()));
        } catch (FerryException e) {
            finish(a, Future.failedFuture(e));
            return;
        } catch (RuntimeException e) {
            finish(a, Future.failedFuture(e));
            return;
        }
        Log.infof("resuming %s job %s (run %d, owner %s)", job.type(), job.id(), stored.runs(), replica);
        run(a);
    }

    /** host[:port] → most jobs at once, from ferry.registries."HOST".max-concurrent-jobs. */
    private Map<String, Integer> registryCaps() {
        Map<String, Integer> caps = new java.util.TreeMap<>();
        config.registries().forEach((host, settings) -> settings.maxConcurrentJobs().ifPresent(n -> caps.put(host, n)));
        return caps;
    }

    /** The registries (host[:port]) a request names: source, destination, image. */
    static java.util.Set<String> registriesOf(JsonNode request) {
        java.util.Set<String> hosts = new java.util.TreeSet<>();
        for (String field : List.of("source", "destination", "image")) {
            JsonNode v = request.get(field);
            if (v != null && v.isTextual()) {
                String ref = v.asText().replaceFirst("^docker://", "");
                int slash = ref.indexOf('/');
                String host = slash < 0 ? ref : ref.substring(0, slash);
                if (host.contains(".") || host.contains(":") || host.equals("localhost")) {
                    hosts.add(host.toLowerCase(java.util.Locale.ROOT));
                } else {
                    hosts.add("docker.io");
                }
            }
        }
        return hosts;
    }

    /** The stored request with its credentials decrypted back in, when they were stored and a key opens them. */
    private JsonNode withSecrets(Job job, String sealed) {
        if (sealed == null || !box.enabled()) {
            return job.request();
        }
        Optional<String> plain = box.open(job.id(), sealed);
        if (plain.isEmpty()) {
            Log.warnf("job %s: its stored credentials open with none of the configured keys (rotated away?)", job.id());
            return job.request();
        }
        try {
            return StoredRequests.withSecrets(job.request(), (ObjectNode) json.readTree(plain.get()));
        } catch (java.io.IOException | ClassCastException e) {
            return job.request();
        }
    }

    private void run(Active a) {
        String id = a.claimed.id();
        events.append(id, "job", snapshot(current(a)));
        a.timer = vertx.setPeriodic(config.jobs().progressInterval().toMillis(), new ProgressTicker(a));
        // The work starts on an event loop of its own (Vert.x spreads new contexts over its loops), not on the claimer
        // or starter thread that claimed it: engine code is event-loop code, and Vert.x drops body chunks that arrive
        // before a chain built on another thread has set its handler (see RegistryTransport).
        ((io.vertx.core.impl.VertxInternal) vertx).createEventLoopContext().runOnContext(v -> {
            Future<JsonNode> outcome;
            try {
                outcome = a.work.run(new JobContext(id, events, a.progress, a.cancellation,
                        new JobUploads(store, a.lease, vertx, clock, () -> a.lost)));
            } catch (RuntimeException e) {
                outcome = Future.failedFuture(e);
            }
            outcome.onComplete(ar -> finish(a, ar.succeeded() ? Future.succeededFuture(ar.result()) : Future.failedFuture(ar.cause())));
        });
    }

    /**
     * On a shared store: records this replica as alive and takes its rank among the live replicas (seen within a
     * lease), from which it takes its share of cluster-wide limits. Every heartbeat, on its own thread (or at start).
     */
    private void membership(Instant now) {
        if (stores.embedded() || clusterShare == null) {
            return;
        }
        FerryConfig.Store s = config.store();
        lastMembership = now;
        List<String> live = store.heartbeatReplica(replica, now, now.minus(s.lease()), now.minus(s.lease().multipliedBy(20)));
        int rank = live.indexOf(replica);
        if (rank < 0) {
            return;
        }
        if (clusterShare.update(rank, live.size())) {
            Log.infof("replica %s: %d live replicas on the store, rank %d", replica, live.size(), rank + 1);
        }
    }

    /** Heartbeats, cancel requests from other replicas, claims, retention. Runs on the claimer thread only. */
    void tick() {
        Instant now = clock.instant();
        FerryConfig.Store s = config.store();
        try {
            if (!now.isBefore(lastMembership.plus(s.heartbeat())) && membershipPending.compareAndSet(false, true)) {
                lastMembership = now;
                membershipBeat.execute(() -> {
                    try {
                        membership(clock.instant());
                    } catch (RuntimeException e) {
                        Log.warnf("replica membership heartbeat failed (will retry): %s", e.getMessage());
                    } finally {
                        membershipPending.set(false);
                    }
                });
            }
            if (!active.isEmpty()) {
                if (!now.isBefore(lastHeartbeat.plus(s.heartbeat()))) {
                    lastHeartbeat = now;
                    for (Active a : active.values()) {
                        if (a.ended.get()) {
                            continue;
                        }
                        switch (store.renew(a.lease, now.plus(s.lease()))) {
                            case LOST -> lose(a);
                            case CANCEL_REQUESTED -> a.cancellation.cancel();
                            case HELD -> { }
                        }
                    }
                } else {
                    for (String id : store.cancelRequested(replica)) {
                        Active a = active.get(id);
                        if (a != null) {
                            a.cancellation.cancel();
                        }
                    }
                }
            }
            pump();
            Duration every = config.store().retention().dividedBy(10);
            if (every.compareTo(Duration.ofHours(1)) > 0) {
                every = Duration.ofHours(1);
            }
            if (!now.isBefore(lastPurge.plus(every))) {
                lastPurge = now;
                int purged = store.purgeEndedBefore(now.minus(config.store().retention()));
                if (purged > 0) {
                    Log.infof("purged %d jobs that ended more than %s ago", purged, config.store().retention());
                }
            }
            if (!stores.embedded()) {
                accepted.values().removeIf(acc -> acc.at().plus(ACCEPTED_KEPT).isBefore(now));
            }
        } catch (RuntimeException e) {
            Log.warnf("job bookkeeping failed (will retry): %s", e.getMessage());
        }
    }

    /** Another replica took the job over (our lease expired): stop it here, write nothing more. */
    private void lose(Active a) {
        a.lost = true;
        events.close(a.claimed.id());
        Log.warnf("job %s: lease lost (another replica has it now); stopping it here", a.claimed.id());
        a.cancellation.cancel();
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
                events.append(a.claimed.id(), "progress", data);
                if (++ticks % 4 == 0) {
                    events.write(() -> store.saveProgress(a.lease, now));
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
        if (!a.ended.compareAndSet(false, true)) {
            return;
        }
        String id = a.claimed.id();
        if (a.timer >= 0) {
            vertx.cancelTimer(a.timer);
        }
        if (a.lost || a.handedBack) {
            a.done.complete(current(a));
            active.remove(id);
            pumpSoon();
            return;
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
        Instant at = clock.instant();
        Job finished = new Job(id, a.claimed.type(), state, a.claimed.createdAt(), a.claimed.startedAt(), at,
                a.claimed.request(), progress, result, error);
        a.finished = finished;
        // Until the store has it, readers find the ended job here (not a stale "running" row), with its owner as the
        // stored row will have it (an admin sees who ran it either way).
        Job shown = finished.withLease(replica, null, false);
        endedNotStored.put(id, shown);
        List<JobEvent> last = events.closeWith(id, List.of(
                new AbstractMap.SimpleEntry<>("progress", progressData(progress)),
                new AbstractMap.SimpleEntry<>("job", snapshot(finished))));
        JsonNode finalResult = result;
        JobError finalError = error;
        AtomicBoolean recorded = new AtomicBoolean();
        events.write(() -> {
            if (!store.finish(a.lease, state, progress, finalResult, finalError, at, last)) {
                Log.warnf("job %s ended here as %s, but another replica holds it now: not recorded", id, state.wire());
            } else {
                recorded.set(true);
                try {
                    JobRepository.Link link = store.link(id).orElse(JobRepository.Link.NONE);
                    ended.fireAsync(new JobEnded(finished, link));
                } catch (RuntimeException e) {
                    Log.warnf("job %s: telling observers of its end failed: %s", id, e.getMessage());
                }
            }
        }).whenComplete((v, t) -> {
            endedNotStored.remove(id, shown);
            if (t != null) {
                Log.errorf("recording the end of job %s failed: %s (its lease will expire and it runs again)", id, t.getMessage());
            } else if (recorded.get()) {
                notifyEnded(finished);
            }
        });
        last.forEach(events::publish);
        a.done.complete(finished);
        active.remove(id);
        pumpSoon();
    }

    /** Global outbound notifications (dev.ferry.notify), once the end is in the store; recorded off the writer thread. */
    private void notifyEnded(Job finished) {
        if (notifiers == null || !notifiers.isResolvable()) {
            return;
        }
        if (finished.request() != null && finished.request().path("policy").isTextual()) {
            // a policy run: dev.ferry.policy notifies it once, with the policy's own targets (globals are added there)
            return;
        }
        try {
            starter.execute(() -> {
                try {
                    notifiers.get().runEnded(dev.ferry.notify.JobRuns.of(finished), List.of());
                } catch (RuntimeException e) {
                    Log.warnf("recording the notifications of job %s failed: %s", finished.id(), e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            Log.warnf("job %s ended during shutdown: its notifications are not recorded", finished.id());
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
        return new Job(a.claimed.id(), a.claimed.type(), JobState.RUNNING, a.claimed.createdAt(), a.claimed.startedAt(), null,
                a.claimed.request(), a.progress.snapshot(), null, null)
                .withLease(replica, a.claimed.leaseExpiresAt(), a.cancellation.isCancelled());
    }

    ObjectNode snapshot(Job job) {
        return json.valueToTree(job.withoutLease());
    }

    public ObjectNode snapshotOf(Job job) {
        return snapshot(job);
    }

    // ---- reads and cancel --------------------------------------------------------------------------

    /** The job with live progress if it runs here; empty when unknown or not visible to {@code caller} (null = any). */
    public Optional<Job> find(String id, String caller) {
        // What this replica knows is read before the store: a job whose end is written between the two reads is then
        // found either ended in the store or ended here, never as the stale "running" row read just before the write
        // (a retry right after a sync answered "failed" was once refused as "still running").
        Job ended = endedNotStored.get(id);
        Active a = active.get(id);
        return store.find(id).filter(s -> caller == null || caller.equals(s.caller())).map(s -> withLiveProgress(s.job(), ended, a));
    }

    private Job withLiveProgress(Job stored) {
        return withLiveProgress(stored, endedNotStored.get(stored.id()), active.get(stored.id()));
    }

    private Job withLiveProgress(Job stored, Job ended, Active a) {
        if (ended != null && !stored.state().isTerminal()) {
            return ended;
        }
        if (a == null || stored.state().isTerminal()) {
            return stored;
        }
        if (a.finished != null) {
            return a.finished;
        }
        return new Job(stored.id(), stored.type(), JobState.RUNNING, stored.createdAt(), stored.startedAt(), null,
                stored.request(), a.progress.snapshot(), null, null)
                .withLease(stored.owner(), stored.leaseExpiresAt(), a.cancellation.isCancelled() || Boolean.TRUE.equals(stored.cancelRequested()));
    }

    public List<Job> list(JobState state, String type, String caller, int offset, int limit) {
        return page(state, type, caller, offset, limit).items();
    }

    public Page page(JobState state, String type, String caller, int offset, int limit) {
        JobRepository.Page p = store.list(new JobRepository.Filter(state, type, caller), offset, limit);
        return new Page(p.items().stream().map(s -> withLiveProgress(s.job())).toList(), p.total());
    }

    /** Waits up to {@code wait} for the job to end; returns it as it is then. */
    public Job await(Job job, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        // not running here (yet): poll the store, soon at first (a job accepted here is usually claimed within
        // milliseconds), then every 100 ms
        long pollMs = 2;
        while (true) {
            Active a = active.get(job.id());
            if (a != null) {
                long left = deadline - System.nanoTime();
                try {
                    return a.done.get(Math.max(0, left), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    return a.finished != null ? a.finished : current(a);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return a.finished != null ? a.finished : current(a);
                } catch (ExecutionException e) {
                    return store.find(job.id()).map(JobRepository.Stored::job).orElse(job);
                }
            }
            Job now = store.find(job.id()).map(s -> withLiveProgress(s.job())).orElse(job);
            if (now.state().isTerminal() || System.nanoTime() >= deadline) {
                return now;
            }
            try {
                Thread.sleep(Math.min(pollMs, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                pollMs = Math.min(100, pollMs * 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return now;
            }
        }
    }

    /**
     * Cancels a queued or running job on whichever replica runs it. Answers promptly: a queued job is cancelled at
     * once; one running here is signalled (in-flight requests abort) and waited for up to a second; one running
     * elsewhere is marked, and its owner stops it within a poll interval. The job is returned as it is then: ended,
     * or still running with {@code cancelRequested}.
     */
    public Job cancel(Job job) {
        if (job.state().isTerminal()) {
            throw new FerryException(ProblemType.JOB_FINISHED, "job " + job.id() + " has already " + job.state().wire());
        }
        Active a = active.get(job.id());
        if (a != null) {
            a.cancellation.cancel();
            return await(job, CANCEL_WAIT);
        }
        Optional<JobRepository.Stored> after = store.cancelQueued(job.id(), clock.instant());
        if (after.isEmpty()) {
            throw new FerryException(ProblemType.JOB_NOT_FOUND, "no job " + job.id());
        }
        JobRepository.Stored s = after.get();
        if (s.job().state().isTerminal()) {
            accepted.remove(job.id());
        }
        if (s.job().state() == JobState.RUNNING) {
            if (active.containsKey(job.id())) {
                return cancel(s.job());
            }
            store.requestCancel(job.id());
            return s.job().withLease(s.owner(), s.leaseUntil(), true);
        }
        return withLiveProgress(s.job());
    }

    /** Events recorded after {@code afterSeq} (0: all), in order. */
    public List<JobEvent> recordedEvents(String id, long afterSeq) {
        if (events.isOpen(id)) {
            events.flush();
        }
        return store.events(id, afterSeq);
    }

    public long lastEventSeq(String id) {
        if (events.isOpen(id)) {
            events.flush();
        }
        return store.lastEventSeq(id);
    }

    /** The runs of a job: who ran it when, and how each run ended. */
    public List<JobRepository.Attempt> attempts(String id) {
        return store.attempts(id);
    }

    /**
     * Follows a job's events after {@code afterSeq}: the recorded ones, then live ones (pushed when the job runs
     * here, read from the store every poll interval when another replica runs it). {@code sink} gets each event
     * once, in order; {@code end} runs after the terminal event. The returned handle stops following.
     */
    public Runnable follow(String id, long afterSeq, java.util.function.Consumer<JobEvent> sink, Runnable end) {
        return new EventFollow(this, events, vertx, config.store().pollInterval(), id, afterSeq, sink, end).start();
    }

    // ---- start and stop ------------------------------------------------------------------------------

    void onStart(@Observes StartupEvent start) {
        if (stores.embedded()) {
            // The embedded file is locked by this one process: whatever it ran before is nobody's now.
            int n = store.expireLeases(clock.instant());
            if (n > 0) {
                Log.infof("%d jobs were running when Ferry stopped; resuming them", n);
            }
        }
        Log.infof("job store: %s, replica %s", stores.embedded() ? "embedded H2" : "PostgreSQL", replica);
        try {
            membership(clock.instant());
        } catch (RuntimeException e) {
            Log.warnf("recording this replica as alive failed (will retry): %s", e.getMessage());
        }
        tickTimer = vertx.setPeriodic(Math.max(50, config.store().pollInterval().toMillis()), t -> {
            if (!stopping) {
                claimer.execute(this::tick);
            }
        });
        pumpSoon();
    }

    /**
     * Graceful shutdown: claim nothing more, let running jobs end within the grace period, then hand the rest
     * back to the queue at once (another replica, or this one after its restart, resumes them).
     */
    void onStop(@Observes ShutdownEvent stop) {
        stopping = true;
        if (tickTimer >= 0) {
            vertx.cancelTimer(tickTimer);
        }
        long deadline = System.nanoTime() + config.store().shutdownGrace().toNanos();
        while (!active.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Active a : active.values()) {
            if (a.ended.get()) {
                continue;
            }
            a.handedBack = true;
            Job queued = new Job(a.claimed.id(), a.claimed.type(), JobState.QUEUED, a.claimed.createdAt(), a.claimed.startedAt(),
                    null, a.claimed.request(), a.progress.snapshot(), null, null);
            List<JobEvent> last = events.closeWith(a.claimed.id(), List.of(new AbstractMap.SimpleEntry<>("job", snapshot(queued))));
            events.write(() -> store.release(a.lease, last.isEmpty() ? null : last.get(0)));
            a.cancellation.cancel();
            Log.infof("job %s handed back to the queue at shutdown", a.claimed.id());
        }
        try {
            events.write(() -> { }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            Log.warnf("job store writes not finished at shutdown: %s", e.toString());
        }
        membershipBeat.shutdownNow(); // no heartbeat after leaving
        if (!stores.embedded()) {
            try {
                store.leaveReplicas(replica); // the others take this replica's share at their next heartbeat
            } catch (RuntimeException e) {
                Log.warnf("removing this replica from the live ones failed: %s", e.getMessage());
            }
        }
        claimer.shutdownNow();
        starter.shutdownNow();
    }

    private JobWorkFactory factoryFor(String type) {
        for (JobWorkFactory f : factories) {
            if (f.type().equals(type)) {
                return f;
            }
        }
        throw new FerryException(ProblemType.INTERNAL, "no handler for jobs of type " + type);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
