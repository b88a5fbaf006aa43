package dev.ferry.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.job.JobEvent;
import dev.ferry.job.JobState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Jobs and blobs, read from the job events this process records (so every job type is counted the same way):
 * {@code ferry_jobs_total{type,state}} as jobs end, {@code ferry_jobs_active{state}} (queued, running: in this
 * process), {@code ferry_blobs_total{outcome}} (copied, exists, mounted, foreign, failed) and
 * {@code ferry_bytes_total{outcome}} (moved: bytes of blobs copied; exists, mounted: bytes that did not have to move).
 */
@ApplicationScoped
public class JobMetrics {
    private final MeterRegistry meters;
    private final Map<String, JobState> active = new ConcurrentHashMap<>();
    private final Map<JobState, AtomicInteger> activeCounts = new EnumMap<>(JobState.class);

    public JobMetrics(MeterRegistry meters) {
        this.meters = meters;
        for (JobState s : new JobState[] {JobState.QUEUED, JobState.RUNNING}) {
            AtomicInteger n = new AtomicInteger();
            activeCounts.put(s, n);
            Gauge.builder("ferry.jobs.active", n, AtomicInteger::get).description("Jobs queued or running in this process")
                    .tag("state", s.wire()).register(meters);
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
        if (!data.hasNonNull("state")) {
            return;
        }
        JobState state;
        try {
            state = JobState.fromWire(data.get("state").asText());
        } catch (IllegalArgumentException e) {
            return;
        }
        JobState before = state.isTerminal() ? active.remove(event.jobId()) : active.put(event.jobId(), state);
        if (before == state) {
            return;
        }
        if (before != null) {
            activeCounts.get(before).decrementAndGet();
        }
        if (state.isTerminal()) {
            Counter.builder("ferry.jobs").description("Jobs that ended, by type and final state")
                    .tags("type", data.path("type").asText("unknown"), "state", state.wire()).register(meters).increment();
        } else {
            activeCounts.get(state).incrementAndGet();
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
