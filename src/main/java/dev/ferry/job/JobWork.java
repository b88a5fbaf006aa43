package dev.ferry.job;

import dev.ferry.transfer.Cancellation;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;

/**
 * What a job does. {@link #run} is called once per run (again after a restart, so it must be safe to
 * repeat: a copy skips blobs already at the destination). It succeeds with the job's result, fails with a
 * {@link dev.ferry.error.FerryException}, or with {@link Cancellation.CancelledException} when cancelled.
 */
@FunctionalInterface
public interface JobWork {
    Future<JsonNode> run(JobContext context);
}
