package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where jobs, their events and their leases live, shared by every replica that uses the same store. Implemented
 * by {@link JdbcJobRepository} for the embedded H2 file (the default) and for PostgreSQL.
 *
 * <p>Ownership: a job is run by at most one replica at a time, the one holding its <em>lease</em>. A lease is
 * {@code (owner, version)}: {@link #claim} gives a job a new version, and every write a runner makes
 * ({@link #renew}, {@link #saveProgress}, {@link #appendEvents}, {@link #finish}, {@link #release}) is fenced by
 * it: it changes nothing, and returns false, once the job has another owner or version, so a replica that lost
 * its lease (paused, partitioned, presumed dead) can never overwrite a newer state. A runner that gets false
 * must stop working on the job and write nothing more about it.
 *
 * <p>Time: every call that compares or sets a lease takes {@code now} from the caller (one {@link java.time.Clock}
 * per process), never from the database, so leases can be tested with a controlled clock. Replicas' clocks are
 * assumed to agree to well within a lease (NTP).
 *
 * <p>Failures: every method throws {@link StoreException} when the store cannot be reached or refuses the
 * statement; nothing is then half-written (each call is one transaction). Calls are blocking JDBC: call them
 * from worker threads, never from an event loop.
 */
public interface JobRepository {

    /** A job's lease: who runs it and the version its claim gave it. */
    record Lease(String jobId, String owner, long version) {
    }

    /** A stored job plus what only Ferry sees. {@code runs}: runs started so far (claims). */
    record Stored(Job job, String caller, String idempotencyKey, int runs, String owner, Instant leaseUntil,
                  long version, boolean cancelRequested, String secrets) {
    }

    /** One run of a job: who claimed it when, and how the run ended (null while it runs). */
    record Attempt(int attempt, String owner, Instant claimedAt, Instant endedAt, String outcome) {
    }

    /** A job this replica now runs: its lease and the last event sequence number recorded before the claim. */
    record Claimed(Stored stored, Lease lease, long lastSeq) {
    }

    /** A page of jobs and how many match the filter in all. */
    record Page(List<Stored> items, long total) {
    }

    /** Filters of a listing; null fields do not filter. */
    record Filter(JobState state, String type, String caller) {
    }

    /**
     * What started a job, stored with it: the policy it runs for and the due time of the schedule that fired it
     * (both null for a one-off job, {@code dueAt} null for a manual or webhook run), and the job it retries.
     */
    record Link(String policy, Instant dueAt, String retryOf) {
        public static final Link NONE = new Link(null, null, null);
    }

    /**
     * Statements run in the transaction that records a linked job, after its row and first event are written
     * (so they may count it, or lock and update rows of their own). Returning false rolls the whole insert back:
     * nothing is recorded. JDBC on purpose: the store is JDBC, and the caller's fenced update must commit or roll
     * back together with the job.
     */
    @FunctionalInterface
    interface Admission {
        boolean admit(java.sql.Connection c, String jobId) throws java.sql.SQLException;

        Admission ALWAYS = (c, id) -> true;
    }

    /** What a heartbeat found. */
    enum Renewal {
        /** Still ours, lease extended. */
        HELD,
        /** Still ours, lease extended, and a caller asked (on any replica) to cancel it. */
        CANCEL_REQUESTED,
        /** No longer ours (taken over, cancelled or ended elsewhere): stop, write nothing more. */
        LOST
    }

    /**
     * Records a new queued job and its first event in one transaction. Not idempotent by itself: each call
     * is a new job, except that a second job with the same {@code (caller, idempotencyKey)} is refused with
     * {@link DuplicateKeyException} (the unique key holds across replicas).
     */
    void insert(Job job, String caller, String idempotencyKey, JobEvent first, String secrets, java.util.Set<String> registries);

    default void insert(Job job, String caller, String idempotencyKey, JobEvent first, String secrets) {
        insert(job, caller, idempotencyKey, first, secrets, java.util.Set.of());
    }

    /**
     * As {@link #insert}, with the job's {@link Link}, in one transaction with {@code admission}: true when the job
     * is recorded, false when the admission refused it (nothing written). A second job for the same
     * {@code (policy, dueAt)} is refused with {@link DuplicateKeyException}, across replicas.
     */
    boolean insertLinked(Job job, String caller, JobEvent first, String secrets, java.util.Set<String> registries,
                         Link link, Admission admission);

    /** The link of a job ({@link Link#NONE} for a one-off job); empty when there is no such job. */
    Optional<Link> link(String jobId);

    /** The jobs of a policy, newest first, with the total count. */
    Page listByPolicy(String policy, int offset, int limit);

    Optional<Stored> find(String id);

    Optional<Stored> findByIdempotencyKey(String caller, String key);

    /** Newest first, with the total count of matching jobs. */
    Page list(Filter filter, int offset, int limit);

    /** Queued plus running jobs of {@code caller}, across every replica. */
    int countActive(String caller);

    /**
     * Claims up to {@code max} jobs for {@code owner}, oldest first: queued jobs, and running jobs whose lease
     * expired before {@code now} (their owner died). Each claimed job turns running with a lease until
     * {@code leaseUntil}, a new version and one run more. Concurrent claims by other replicas never get the same
     * job ({@code SELECT … FOR UPDATE SKIP LOCKED}); a job with a live lease is never returned. A job whose lease
     * expired after {@code maxAttempts} runs is not claimed but failed (with a terminal event) in the same
     * transaction. Safe to repeat; an empty list means nothing is waiting.
     */
    List<Claimed> claim(String owner, Instant now, Instant leaseUntil, int max, int maxAttempts);

    /**
     * As {@link #claim(String, Instant, Instant, int, int)}, also keeping the running jobs that touch each registry
     * of {@code caps} (host → most at once) within its cap across every replica; a job over a cap stays queued.
     * Claims that involve a capped registry serialize on that registry's row.
     */
    List<Claimed> claim(String owner, Instant now, Instant leaseUntil, int max, int maxAttempts, java.util.Map<String, Integer> caps);

    /** Extends the lease (fenced). LOST when the job is no longer this lease's. May be repeated. */
    Renewal renew(Lease lease, Instant leaseUntil);

    /** Saves progress (fenced); false when the lease is lost. May be repeated; the last write wins. */
    boolean saveProgress(Lease lease, Progress progress);

    /**
     * Appends events in order (fenced): all of them, or none when the lease is lost (false). Sequence numbers
     * are the caller's, continuing from {@link Claimed#lastSeq()}; a number recorded already is refused.
     */
    boolean appendEvents(Lease lease, List<JobEvent> events);

    /**
     * Ends the job: terminal state, progress, result or error, and its last event, in one transaction (fenced).
     * False when the lease is lost: then the job's end is someone else's. Not repeatable: a second call is false.
     */
    boolean finish(Lease lease, JobState state, Progress progress, JsonNode result, JobError error, Instant at,
                   List<JobEvent> last);

    /**
     * Hands the job back (graceful shutdown): queued again, no owner, claimable at once by any replica; the run
     * is not counted against {@code maxAttempts}. Fenced; false when the lease is lost.
     */
    boolean release(Lease lease, JobEvent event);

    /**
     * Cancels a job that nobody runs (still queued): cancelled with a terminal event (numbered after the last
     * recorded one). Returns the job as it is afterwards; if it was already claimed, running or ended nothing
     * changes.
     */
    Optional<Stored> cancelQueued(String id, Instant at);

    /**
     * Asks the owner of a running job to cancel it; the owner sees it at its next {@link #renew}. Repeatable.
     * False when the job is not running.
     */
    boolean requestCancel(String id);

    /** Running jobs of {@code owner} whose cancel was asked for on some replica. */
    List<String> cancelRequested(String owner);

    /**
     * Makes every running job's lease expired at once, so that they can be claimed again now. Only for a store
     * that no other replica can share (the embedded H2 file, locked by its one process) when that process starts.
     */
    int expireLeases(Instant now);

    /** The runs of a job, oldest first. */
    List<Attempt> attempts(String jobId);

    /** Events recorded after {@code afterSeq}, in order. */
    List<JobEvent> events(String jobId, long afterSeq);

    /** The last recorded sequence number of a job (0 when none). */
    long lastEventSeq(String jobId);

    /** Deletes jobs that ended before {@code cutoff}, with their events and webhook deliveries. Returns how many. */
    int purgeEndedBefore(Instant cutoff);

    /**
     * A chunked blob upload that a later run of the same job may continue: the session's {@code location} after the
     * last chunk the registry acknowledged, and the bytes it held then ({@code offset}). {@code destination} is
     * {@code registry/repository}. The location is the registry's to interpret (distribution signs the offset into it,
     * so only the newest one is valid); it is never shown in a response or event.
     */
    record UploadSession(String jobId, String destination, String digest, String location, long offset, Instant updatedAt) {
    }

    /**
     * Records (or replaces) the upload session of one blob of the job (fenced): false, and nothing written, when the
     * lease is lost. Repeatable; the last write wins. One row per blob: a 10 GiB blob in 32 MiB chunks updates one
     * row 320 times, never adds rows.
     */
    boolean saveUpload(Lease lease, UploadSession session);

    /** The upload session recorded for this job, destination and blob by any run of the job; empty when none. */
    Optional<UploadSession> findUpload(String jobId, String destination, String digest);

    /** Forgets the upload session of one blob (committed, or given up); fenced, false when the lease is lost. */
    boolean dropUpload(Lease lease, String destination, String digest);

    /**
     * Membership heartbeat: records that replica {@code id} is alive at {@code now} and returns the ids of every
     * replica seen at or after {@code liveSince} (this one included), sorted: a replica's rank is its index. Rows
     * older than {@code forgetBefore} are deleted. Repeatable.
     */
    List<String> heartbeatReplica(String id, Instant now, Instant liveSince, Instant forgetBefore);

    /** Removes replica {@code id} from the live ones at once (graceful shutdown). Best effort, repeatable. */
    void leaveReplicas(String id);

    /** Whether the store answers now (readiness). */
    boolean reachable();

    /** A job with this (caller, Idempotency-Key) exists already. */
    final class DuplicateKeyException extends StoreException {
        public DuplicateKeyException(Throwable cause) {
            super("storing a job with an Idempotency-Key used before", cause);
        }
    }
}
