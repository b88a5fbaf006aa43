package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.job.JobWork;

/** A validated request, ready to become a job: what to store (secrets removed) and what to run. */
public record JobPlan(JsonNode storedRequest, JobWork work) {
}
