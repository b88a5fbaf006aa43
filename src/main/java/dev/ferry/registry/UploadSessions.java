package dev.ferry.registry;

import dev.ferry.oci.Digest;
import io.vertx.core.Future;

/**
 * Where a chunked upload's progress is kept so that a later run of the same job (on any replica, after its owner
 * was killed) can continue the registry's upload session instead of starting the blob again. Keyed by destination
 * ({@code registry/repository}) and blob digest. Implemented by the job store (fenced by the job's lease);
 * {@link #NONE} for work outside a job. Calls never block the caller: store work runs on worker threads.
 */
public interface UploadSessions {

    /** A session recorded by an earlier run: its location after the last acknowledged chunk and the bytes it held. */
    record Recorded(String location, long offset) {
    }

    /** The session recorded for this blob, or null. Never fails: a store that cannot be read answers null. */
    Future<Recorded> find(String destination, Digest digest);

    /**
     * Records the location and offset after an acknowledged chunk; completes once the record is durable (so the next
     * chunk is only sent when a successor could continue from this one). Never fails; a lost lease or an unreachable
     * store only means a successor starts the blob from zero.
     */
    Future<Void> record(String destination, Digest digest, String location, long offset);

    /** Forgets the blob's session (committed or cancelled). Best effort, never fails. */
    Future<Void> forget(String destination, Digest digest);

    /**
     * Whether another run owns the job now (this run's lease was lost): its session is then the successor's, and
     * this run MUST NOT cancel it when it stops.
     */
    default boolean handedOver() {
        return false;
    }

    UploadSessions NONE = new UploadSessions() {
        @Override
        public Future<Recorded> find(String destination, Digest digest) {
            return Future.succeededFuture(null);
        }

        @Override
        public Future<Void> record(String destination, Digest digest, String location, long offset) {
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> forget(String destination, Digest digest) {
            return Future.succeededFuture();
        }
    };
}
