package dev.ferry.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.job.JobEvent;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One span per job, from the moment it runs until it ends ({@code copy job}, {@code sync job}, {@code delete job}),
 * with its id, type, final state, bytes and problem type. With tracing off the tracer is a no-op and nothing is kept.
 */
@ApplicationScoped
public class JobTracing {
    private final Tracer tracer;
    private final Map<String, Span> running = new ConcurrentHashMap<>();

    public JobTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    void onEvent(@Observes JobEvent event) {
        if (!"job".equals(event.kind())) {
            return;
        }
        JsonNode d = event.data();
        String state = d.path("state").asText();
        if ("running".equals(state)) {
            Span span = tracer.spanBuilder(d.path("type").asText() + " job").setSpanKind(SpanKind.INTERNAL)
                    .setAttribute("ferry.job.id", event.jobId()).setAttribute("ferry.job.type", d.path("type").asText())
                    .startSpan();
            if (span.isRecording()) {
                running.put(event.jobId(), span);
            }
            return;
        }
        if (!state.equals("succeeded") && !state.equals("failed") && !state.equals("cancelled")) {
            return;
        }
        Span span = running.remove(event.jobId());
        if (span == null) {
            return;
        }
        span.setAttribute("ferry.job.state", state);
        span.setAttribute("ferry.job.bytes_moved", d.path("progress").path("bytesDone").asLong());
        span.setAttribute("ferry.job.bytes_skipped", d.path("progress").path("bytesSkipped").asLong());
        if (state.equals("failed")) {
            span.setStatus(StatusCode.ERROR, d.path("error").path("type").asText());
        }
        span.end();
    }
}
