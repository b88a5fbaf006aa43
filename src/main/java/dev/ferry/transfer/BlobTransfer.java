package dev.ferry.transfer;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.registry.StreamWatch;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Moves the blobs of one copy from one repository to another, cheapest path first (regclient's BlobCopy):
 * non-distributable layer → skip; destination already has it → skip; same registry → mount with
 * {@code from}; otherwise stream with verification. Counts what each blob took.
 */
final class BlobTransfer {
    private final RegistryClient registry;
    private final RegistryAccess src;
    private final ImageReference srcRepo;
    private final RegistryAccess dst;
    private final ImageReference dstRepo;
    private final boolean sameRegistry;
    private final AtomicInteger copied = new AtomicInteger();
    private final AtomicInteger mounted = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final CopyListener listener;
    private final Cancellation cancellation;
    private final Vertx vertx;
    private final int blobRetries;
    private final BlobFlights flights;

    /** Failures worth streaming the blob again (the destination never commits a partial upload). */
    private static final Set<ProblemType> RETRYABLE = Set.of(ProblemType.REGISTRY_UNREACHABLE, ProblemType.REGISTRY_TIMEOUT,
            ProblemType.REGISTRY_ERROR);

    BlobTransfer(RegistryClient registry, RegistryAccess src, ImageReference srcRepo, RegistryAccess dst, ImageReference dstRepo,
                 CopyListener listener, Cancellation cancellation, Vertx vertx, int blobRetries, BlobFlights flights) {
        this.flights = flights;
        this.blobRetries = blobRetries;
        this.listener = listener;
        this.cancellation = cancellation;
        this.vertx = vertx;
        this.registry = registry;
        this.src = src;
        this.srcRepo = srcRepo;
        this.dst = dst;
        this.dstRepo = dstRepo;
        this.sameRegistry = src.registry().equals(dst.registry());
    }

    Future<Void> copy(Descriptor blob) {
        if (cancellation.isCancelled()) {
            return Future.failedFuture(new Cancellation.CancelledException());
        }
        if (blob.mediaType().isForeignLayer()) {
            skipped.incrementAndGet(); // like skopeo: non-distributable layers stay where their URLs say
            listener.blobSkipped(blob, "foreign");
            return Future.succeededFuture();
        }
        Digest digest = blob.digest();
        return registry.blobHead(dst, dstRepo, digest).compose(present -> {
            if (present) {
                skipped.incrementAndGet();
                listener.blobSkipped(blob, "exists");
                return Future.succeededFuture();
            }
            ImageReference mountFrom = mountSource(digest);
            Future<Boolean> mount = mountFrom != null
                    ? registry.blobMount(dst, dstRepo, digest, mountFrom).recover(this::streamIfMountRefused)
                    : Future.succeededFuture(false);
            return mount.compose(wasMounted -> {
                if (wasMounted) {
                    mounted.incrementAndGet();
                    flights.remember(dst.registry(), digest, dstRepo);
                    listener.blobSkipped(blob, "mounted");
                    return Future.succeededFuture();
                }
                return streamOnce(blob);
            });
        });
    }

    /**
     * Another repository of the destination registry that has the blob: the source repository when both are
     * on one registry, else one this Ferry recently copied the blob into.
     */
    private ImageReference mountSource(Digest digest) {
        if (sameRegistry && !srcRepo.repository().equals(dstRepo.repository())) {
            return srcRepo;
        }
        ImageReference known = flights.knownRepository(dst.registry(), digest);
        return known != null && !known.repository().equals(dstRepo.repository()) ? known : null;
    }

    /**
     * Streams the blob unless another copy is streaming it into the same registry right now: then waits for
     * that one and takes the cheap path (present, or a mount from where it landed).
     */
    private Future<Void> streamOnce(Descriptor blob) {
        Promise<Void> landed = Promise.promise();
        BlobFlights.Flight mine = new BlobFlights.Flight(dstRepo, landed.future());
        BlobFlights.Flight other = flights.claim(dst.registry(), blob.digest(), mine);
        if (other != null) {
            return other.landed().compose(v -> registry.blobHead(dst, dstRepo, blob.digest())).compose(present -> {
                if (present) {
                    skipped.incrementAndGet();
                    listener.blobSkipped(blob, "exists");
                    return Future.succeededFuture();
                }
                if (other.repository().repository().equals(dstRepo.repository())) {
                    return streamOnce(blob); // the other stream failed: try ourselves
                }
                return registry.blobMount(dst, dstRepo, blob.digest(), other.repository())
                        .recover(this::streamIfMountRefused)
                        .compose(wasMounted -> {
                            if (wasMounted) {
                                mounted.incrementAndGet();
                                listener.blobSkipped(blob, "mounted");
                                return Future.succeededFuture();
                            }
                            return streamOnce(blob);
                        });
            });
        }
        listener.blobStarted(blob);
        return stream(blob, 1).map(n -> {
            copied.incrementAndGet();
            bytes.addAndGet(n);
            listener.blobDone(blob);
            flights.remember(dst.registry(), blob.digest(), dstRepo);
            return (Void) null;
        }).onComplete(ar -> {
            flights.land(dst.registry(), blob.digest(), mine);
            landed.complete();
        });
    }

    /** Streams the blob; a transient failure streams it again (with backoff) up to the destination's retries. */
    private Future<Long> stream(Descriptor blob, int attempt) {
        AtomicLong sent = new AtomicLong();
        StreamWatch watch = new StreamWatch() {
            @Override
            public void bytes(long n) {
                sent.addAndGet(n);
                listener.bytes(blob, n);
            }

            @Override
            public void resumed(long offset, String why) {
                listener.blobRetrying(blob, attempt, "download dropped (" + why + "); resuming from byte " + offset);
            }

            @Override
            public Runnable onAbort(Runnable abort) {
                return cancellation.onCancel(abort);
            }
        };
        return registry.blobCopyStream(src, srcRepo, dst, dstRepo, blob, watch).recover(t -> {
            listener.bytes(blob, -sent.get());
            if (cancellation.isCancelled()) {
                return Future.failedFuture(new Cancellation.CancelledException());
            }
            boolean retryable = t instanceof FerryException fe ? RETRYABLE.contains(fe.type()) : true;
            if (!retryable || attempt > blobRetries) {
                listener.blobFailed(blob, t.getMessage());
                return Future.failedFuture(t);
            }
            listener.blobRetrying(blob, attempt, t.getMessage());
            Promise<Void> wait = Promise.promise();
            long delay = dst.retryDelay() != null ? dst.retryDelay().toMillis() : Math.min(10_000L, 250L << Math.min(attempt - 1, 6));
            vertx.setTimer(Math.max(1, delay), id -> wait.complete());
            return wait.future().compose(v -> stream(blob, attempt + 1));
        });
    }

    /**
     * A mount needs pull access to the source repository with the destination's credentials; when the
     * registry refuses that, streaming with the source's own credentials still works.
     */
    private Future<Boolean> streamIfMountRefused(Throwable t) {
        if (t instanceof FerryException fe && (fe.type() == ProblemType.REGISTRY_UNAUTHORIZED
                || fe.type() == ProblemType.REGISTRY_FORBIDDEN)) {
            return Future.succeededFuture(false);
        }
        return Future.failedFuture(t);
    }

    /** The destination already has the whole image: every blob reported as present, nothing moved. */
    CopyResult alreadyThere(CopyListener listener, java.util.List<Descriptor> all, Digest pointedTo) {
        listener.planned(all.size(), all.stream().mapToLong(Descriptor::size).sum());
        for (Descriptor blob : all) {
            skipped.incrementAndGet();
            listener.blobSkipped(blob, "exists");
        }
        return result(pointedTo);
    }

    CopyResult result(Digest pointedTo) {
        return new CopyResult(pointedTo, copied.get(), mounted.get(), skipped.get(), bytes.get());
    }
}
