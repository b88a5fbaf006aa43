package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rebuilds the work of an unfinished job from its stored request after a restart. One per job type.
 */
public interface JobWorkFactory {
    String type();

    /** @throws dev.ferry.error.FerryException when the job cannot be resumed (say, its credentials were never stored) */
    JobWork resume(JsonNode storedRequest);
}
