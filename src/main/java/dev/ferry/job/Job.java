package dev.ferry.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A job as callers see it. {@code request} is what was submitted with every secret removed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Job(String id, String type, JobState state, Instant createdAt, Instant startedAt, Instant finishedAt,
                  JsonNode request, Progress progress, JsonNode result, JobError error) {

    /** Milliseconds from start to end, once the job has ended (null before). */
    @com.fasterxml.jackson.annotation.JsonProperty("durationMs")
    public Long durationMs() {
        return startedAt == null || finishedAt == null ? null : java.time.Duration.between(startedAt, finishedAt).toMillis();
    }
}
