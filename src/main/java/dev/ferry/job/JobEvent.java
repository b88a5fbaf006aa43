package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;

/** One recorded event of a job: its per-job sequence number, its kind (job, blob, progress, manifest) and data. */
public record JobEvent(String jobId, long seq, String kind, JsonNode data) {
    public boolean isTerminal() {
        return "job".equals(kind) && data.has("state") && JobState.fromWire(data.get("state").asText()).isTerminal();
    }
}
