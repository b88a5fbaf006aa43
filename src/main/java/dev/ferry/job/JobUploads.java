package dev.ferry.job;

import dev.ferry.oci.Digest;
import dev.ferry.registry.UploadSessions;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.function.BooleanSupplier;

/**
 * A job run's chunked-upload sessions in the store ({@link JobRepository#saveUpload}), written under the run's lease
 * on worker threads. A write the lease refuses (another replica owns the job now) or the store cannot take is logged
 * and forgotten: the upload goes on, and a successor at worst starts that blob from zero. Locations are never logged.
 */
final class JobUploads implements UploadSessions {
    private final JobRepository store;
    private final JobRepository.Lease lease;
    private final Vertx vertx;
    private final Clock clock;
    private final BooleanSupplier lost;

    JobUploads(JobRepository store, JobRepository.Lease lease, Vertx vertx, Clock clock, BooleanSupplier lost) {
        this.store = store;
        this.lease = lease;
        this.vertx = vertx;
        this.clock = clock;
        this.lost = lost;
    }

    @Override
    public Future<Recorded> find(String destination, Digest digest) {
        return vertx.executeBlocking(() -> store.findUpload(lease.jobId(), destination, digest.toString())
                        .map(u -> new Recorded(u.location(), u.offset())).orElse(null), false)
                .otherwise(t -> {
                    Log.warnf("job %s: reading the upload session of %s failed (%s); the blob starts from zero",
                            lease.jobId(), digest, t.getMessage());
                    return null;
                });
    }

    @Override
    public Future<Void> record(String destination, Digest digest, String location, long offset) {
        return vertx.executeBlocking(() -> {
            if (!store.saveUpload(lease, new JobRepository.UploadSession(lease.jobId(), destination, digest.toString(),
                    location, offset, clock.instant()))) {
                Log.debugf("job %s: upload session of %s not recorded: the lease is lost", lease.jobId(), digest);
            }
            return (Void) null;
        }, false).otherwise(t -> {
            Log.warnf("job %s: recording the upload session of %s failed: %s", lease.jobId(), digest, t.getMessage());
            return null;
        });
    }

    @Override
    public Future<Void> forget(String destination, Digest digest) {
        return vertx.executeBlocking(() -> {
            store.dropUpload(lease, destination, digest.toString());
            return (Void) null;
        }, false).otherwise((Void) null);
    }

    @Override
    public boolean handedOver() {
        return lost.getAsBoolean();
    }
}
