package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.job.JobWork;

/**
 * A validated request, ready to become a job: what to store and show (secrets removed), what to run, and the
 * secret fields that were removed ({@code secrets}, null when none), which are stored only encrypted.
 */
public record JobPlan(JsonNode storedRequest, JobWork work, com.fasterxml.jackson.databind.node.ObjectNode secrets) {
    public JobPlan(JsonNode storedRequest, JobWork work) {
        this(storedRequest, work, null);
    }
}
