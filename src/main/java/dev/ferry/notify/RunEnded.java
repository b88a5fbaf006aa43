package dev.ferry.notify;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * What a run ended with, as an outbound notification needs it: one job (a policy run, or any job when global
 * notifications are on).
 *
 * @param jobId   the job's id
 * @param jobType copy, sync or delete
 * @param policy  the policy the job ran for, or null for a one-off job
 * @param state   the terminal state: succeeded, failed or cancelled
 * @param changed whether the run changed anything at the destination (pushed, mounted or deleted something)
 * @param summary the job's result or problem as the API shows it (never credentials)
 * @param endedAt when the job ended
 */
public record RunEnded(String jobId, String jobType, String policy, String state, boolean changed, JsonNode summary,
                       Instant endedAt) {
}
