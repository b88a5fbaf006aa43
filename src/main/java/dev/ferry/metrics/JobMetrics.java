package dev.ferry.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.job.JobEvent;
import dev.ferry.job.JobRepository;
import dev.ferry.job.JobState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Jobs and blobs. {@code ferry_jobs_total{type,state}} as jobs end here, {@code ferry_blobs_total{outcome}} (copied,
 * exists, mounted, foreign, failed) and {@code ferry_bytes_total{outcome}} (moved: bytes of blobs copied; exists,
 * mounted: bytes that did not have to move) are read from the job events this replica publishes (so each job is
 * counted once, by the replica that ran it: sum them across replicas). {@code ferry_jobs_active{state}} (queued,
 * running) counts the shared store, refreshed every few seconds off the event loop: the same on every replica, so
 * aggregate it with max, not sum.
 */
@ApplicationScoped
public class JobMetrics {
    static final long REFRESH_MS = 2000;

    private final MeterRegistry meters;
    private final JobRepository repository;
    private final Vertx vertx;
    private final Map<JobState, AtomicLong> activeCounts = new EnumMap<>(JobState.class);
    private long timer = -1;

    public JobMetrics(MeterRegistry meters, JobRepository repository, Vertx vertx) {
        this.meters = meters;
        this.repository = repository;
        this.vertx = vertx;
        for (JobState s : new JobState[] {JobState.QUEUED, JobState.RUNNING}) {
            AtomicLong n = new AtomicLong();
            activeCounts.put(s, n);
            Gauge.builder("ferry.jobs.active", n, AtomicLong::get).description("Jobs queued or running, in the shared store")
                    .tag("state", s.wire()).register(meters);
        }
    }

    void start(@Observes StartupEvent start) {
        refresh();
        timer = vertx.setPeriodic(REFRESH_MS, id -> vertx.executeBlocking(() -> {
            refresh();
            return null;
        }, false));
    }

    void stop(@Observes ShutdownEvent stop) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Counts queued and running jobs in the store now (blocks: a query per state). */
    void refresh() {
        for (Map.Entry<JobState, AtomicLong> e : activeCounts.entrySet()) {
            try {
                e.getValue().set(repository.list(new JobRepository.Filter(e.getKey(), null, null), 0, 1).total());
            } catch (RuntimeException unavailable) {
                // the store is down: keep the last value (readiness reports the outage)
            }
        }
    }

    void onEvent(@Observes JobEvent event) {
        switch (event.kind()) {
            case "job" -> job(event);
            case "blob" -> blob(event.data());
            default -> {
            }
        }
    }

    private void job(JobEvent event) {
        JsonNode data = event.data();
        JobState state;
        try {
            state = JobState.fromWire(data.path("state").asText());
        } catch (IllegalArgumentException e) {
            return;
        }
        if (state.isTerminal()) {
            Counter.builder("ferry.jobs").description("Jobs that ended, by type and final state")
                    .tags("type", data.path("type").asText("unknown"), "state", state.wire()).register(meters).increment();
        }
    }
    private void blob(JsonNode data) {
        String status = data.path("status").asText();
        long size = data.path("size").asLong(0);
        String outcome = switch (status) {
            case "done" -> "copied";
            case "failed" -> "failed";
            case "skipped" -> switch (data.path("reason").asText()) {
                case "mounted" -> "mounted";
                case "foreign" -> "foreign";
                default -> "exists";
            };
            default -> null;
        };
        if (outcome == null) {
            return;
        }
        Counter.builder("ferry.blobs").description("Blobs by what happened to them").tag("outcome", outcome)
                .register(meters).increment();
        String bytes = switch (outcome) {
            case "copied" -> "moved";
            case "exists", "mounted" -> outcome;
            default -> null;
        };
        if (bytes != null) {
            Counter.builder("ferry.bytes").description("Blob bytes moved, and bytes that did not have to move (already there, mounted)")
                    .baseUnit("bytes").tag("outcome", bytes).register(meters).increment(size);
        }
    }
}
