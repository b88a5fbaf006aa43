package dev.ferry.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.job.JobEvent;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.MDC;

/**
 * One log line as each job starts and ends (type, state, bytes, duration, the problem), and one per blob that failed,
 * each carrying the job's id and type in the MDC ({@code jobId}, {@code jobType}; JSON logs print them as fields).
 * Never a request body or a credential: only what the job's public snapshot says.
 */
@ApplicationScoped
public class JobLog {

    void onEvent(@Observes JobEvent event) {
        JsonNode d = event.data();
        if ("job".equals(event.kind())) {
            String state = d.path("state").asText();
            switch (state) {
                case "running" -> log(event, d, () -> Log.infof("%s job %s started", d.path("type").asText(), event.jobId()));
                case "succeeded", "cancelled" -> log(event, d, () -> Log.infof("%s job %s %s after %d ms (%d bytes moved, %d already there)",
                        d.path("type").asText(), event.jobId(), state, d.path("durationMs").asLong(),
                        d.path("progress").path("bytesDone").asLong(), d.path("progress").path("bytesSkipped").asLong()));
                case "failed" -> log(event, d, () -> Log.warnf("%s job %s failed: %s (%s)", d.path("type").asText(), event.jobId(),
                        d.path("error").path("detail").asText(), d.path("error").path("type").asText()));
                default -> {
                }
            }
        } else if ("blob".equals(event.kind()) && "failed".equals(d.path("status").asText())) {
            log(event, null, () -> Log.warnf("job %s: blob %s failed: %s", event.jobId(), d.path("digest").asText(), d.path("reason").asText()));
        }
    }

    private static void log(JobEvent event, JsonNode job, Runnable line) {
        Object before = MDC.get("jobId");
        MDC.put("jobId", event.jobId());
        if (job != null) {
            MDC.put("jobType", job.path("type").asText());
        }
        try {
            line.run();
        } finally {
            if (before == null) {
                MDC.remove("jobId");
            } else {
                MDC.put("jobId", before);
            }
            MDC.remove("jobType");
        }
    }
}
