package dev.ferry.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.job.JobEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logmanager.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Logger;

/**
 * One log line as each job starts and ends (type, state, bytes, duration, the problem), and one per blob that failed,
 * each carrying the job's id and type in its MDC ({@code jobId}, {@code jobType}; JSON logs print them as fields).
 * The MDC is set on the record itself, not the thread's: these lines are written from event loops and the store's
 * writer thread alike. Never a request body or a credential: only what the job's public snapshot says.
 */
@ApplicationScoped
public class JobLog {
    private static final Logger LOG = Logger.getLogger(JobLog.class.getName());

    void onEvent(@Observes JobEvent event) {
        JsonNode d = event.data();
        if ("job".equals(event.kind())) {
            String type = d.path("type").asText();
            String state = d.path("state").asText();
            switch (state) {
                case "running" -> log(Level.INFO, event, type, type + " job " + event.jobId() + " started");
                case "succeeded", "cancelled" -> log(Level.INFO, event, type, type + " job " + event.jobId() + " " + state
                        + " after " + d.path("durationMs").asLong() + " ms (" + d.path("progress").path("bytesDone").asLong()
                        + " bytes moved, " + d.path("progress").path("bytesSkipped").asLong() + " already there)");
                case "failed" -> log(Level.WARN, event, type, type + " job " + event.jobId() + " failed: "
                        + d.path("error").path("detail").asText() + " (" + d.path("error").path("type").asText() + ")");
                default -> {
                }
            }
        } else if ("blob".equals(event.kind()) && "failed".equals(d.path("status").asText())) {
            log(Level.WARN, event, null, "job " + event.jobId() + ": blob " + d.path("digest").asText() + " failed: "
                    + d.path("reason").asText());
        }
    }

    private static void log(java.util.logging.Level level, JobEvent event, String type, String message) {
        if (!LOG.isLoggable(level)) {
            return;
        }
        ExtLogRecord record = new ExtLogRecord(level, message, ExtLogRecord.FormatStyle.NO_FORMAT, JobLog.class.getName());
        record.setLoggerName(LOG.getName());
        Map<String, String> mdc = new LinkedHashMap<>();
        mdc.put("jobId", event.jobId());
        if (type != null) {
            mdc.put("jobType", type);
        }
        record.setMdc(mdc);
        LOG.logRaw(record);
    }
}
