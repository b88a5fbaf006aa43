package dev.ferry.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A job as callers see it. {@code request} is what was submitted with every secret removed. {@code owner} (the
 * replica running it) and {@code leaseExpiresAt} are shown to admins only; {@code cancelRequested} is true once
 * a cancel was asked for and the job has not stopped yet.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Job(String id, String type, JobState state, Instant createdAt, Instant startedAt, Instant finishedAt,
                  JsonNode request, Progress progress, JsonNode result, JobError error,
                  String owner, Instant leaseExpiresAt, Boolean cancelRequested) {

    public Job(String id, String type, JobState state, Instant createdAt, Instant startedAt, Instant finishedAt,
               JsonNode request, Progress progress, JsonNode result, JobError error) {
        this(id, type, state, createdAt, startedAt, finishedAt, request, progress, result, error, null, null, null);
    }

    /** This job without who runs it (for callers who are not admins). */
    public Job withoutLease() {
        return owner == null && leaseExpiresAt == null ? this
                : new Job(id, type, state, createdAt, startedAt, finishedAt, request, progress, result, error, null, null, cancelRequested);
    }

    /** This job with who runs it and until when. */
    public Job withLease(String owner, Instant leaseExpiresAt, boolean cancelRequested) {
        return new Job(id, type, state, createdAt, startedAt, finishedAt, request, progress, result, error, owner,
                state.isTerminal() ? null : leaseExpiresAt, cancelRequested && !state.isTerminal() ? Boolean.TRUE : null);
    }

    /** Milliseconds from start to end, once the job has ended (null before). */
    @com.fasterxml.jackson.annotation.JsonProperty("durationMs")
    public Long durationMs() {
        return startedAt == null || finishedAt == null ? null : java.time.Duration.between(startedAt, finishedAt).toMillis();
    }
}
