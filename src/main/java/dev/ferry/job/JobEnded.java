package dev.ferry.job;

/**
 * Fired (asynchronously, CDI {@code fireAsync}) by the replica that ended a job, once its end is in the store: once
 * per ended run. Observers must not block for long (they run on a worker pool) and must not throw.
 *
 * @param job  the job as it ended (terminal state, result or error)
 * @param link what started it ({@link JobRepository.Link#NONE} for a one-off job)
 */
public record JobEnded(Job job, JobRepository.Link link) {
}
