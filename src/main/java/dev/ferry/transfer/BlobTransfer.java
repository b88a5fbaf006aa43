package dev.ferry.transfer;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.registry.StreamWatch;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Moves the blobs of one copy from a source to a destination, cheapest path first (regclient's BlobCopy):
 * non-distributable layer → skip; destination already has it → skip; the destination can link it (a registry
 * mount) → mount; otherwise stream with verification. Counts what each blob took.
 */
final class BlobTransfer {
    private final ImageSource source;
    private final ImageDestination destination;
    private final AtomicInteger copied = new AtomicInteger();
    private final AtomicInteger mounted = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final CopyListener listener;
    private final Cancellation cancellation;
    private final Vertx vertx;
    private final int blobRetries;
    private final Duration retryDelay;
    private final BlobFlights flights;
    private final LayerCompression compression;
    private final LayerRecompressor recompressor;
    /** Layers rewritten by {@link #compression}: source digest → the descriptor written. */
    private final java.util.Map<dev.ferry.oci.Digest, Descriptor> rewritten = new java.util.concurrent.ConcurrentHashMap<>();

    /** Failures worth streaming the blob again (the destination never commits a partial blob). */
    private static final Set<ProblemType> RETRYABLE = Set.of(ProblemType.REGISTRY_UNREACHABLE, ProblemType.REGISTRY_TIMEOUT,
            ProblemType.REGISTRY_ERROR);

    BlobTransfer(ImageSource source, ImageDestination destination, CopyListener listener, Cancellation cancellation,
                 Vertx vertx, int blobRetries, Duration retryDelay, BlobFlights flights) {
        this(source, destination, listener, cancellation, vertx, blobRetries, retryDelay, flights, null, null);
    }

    /** Rewriting layers as {@code compression} says (null: blobs are copied as they are) through {@code recompressor}. */
    BlobTransfer(ImageSource source, ImageDestination destination, CopyListener listener, Cancellation cancellation,
                 Vertx vertx, int blobRetries, Duration retryDelay, BlobFlights flights, LayerCompression compression,
                 LayerRecompressor recompressor) {
        this.compression = compression;
        this.recompressor = recompressor;
        this.source = source;
        this.destination = destination;
        this.flights = flights;
        this.blobRetries = blobRetries;
        this.retryDelay = retryDelay;
        this.listener = listener;
        this.cancellation = cancellation;
        this.vertx = vertx;
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
        if (compression != null && compression.rewrites(blob)) {
            return recompress(blob);
        }
        ImageDestination.Capabilities can = destination.capabilities();
        Future<Boolean> present = can.skipsPresent() ? destination.hasBlob(blob) : Future.succeededFuture(false);
        return present.compose(there -> {
            if (there) {
                skipped.incrementAndGet();
                listener.blobSkipped(blob, "exists");
                return Future.succeededFuture();
            }
            Future<Boolean> mount = can.mounts() ? destination.mountBlob(blob, source) : Future.succeededFuture(false);
            return mount.compose(wasMounted -> {
                if (wasMounted) {
                    mounted.incrementAndGet();
                    listener.blobSkipped(blob, "mounted");
                    return Future.succeededFuture();
                }
                return streamOnce(blob);
            });
        });
    }

    /**
     * Streams the blob unless another copy is streaming it into the same store right now: then waits for that one
     * and takes the cheap path (present, or a mount from where it landed).
     */
    private Future<Void> streamOnce(Descriptor blob) {
        String store = destination.sharedStore();
        Promise<Void> landed = Promise.promise();
        BlobFlights.Flight mine = new BlobFlights.Flight(landed.future());
        BlobFlights.Flight other = store == null ? null : flights.claim(store, blob.digest(), mine);
        if (other != null) {
            return other.landed().compose(v -> destination.hasBlob(blob)).compose(present -> {
                if (present) {
                    skipped.incrementAndGet();
                    listener.blobSkipped(blob, "exists");
                    return Future.succeededFuture();
                }
                return destination.mountBlob(blob, source).compose(wasMounted -> {
                    if (wasMounted) {
                        mounted.incrementAndGet();
                        listener.blobSkipped(blob, "mounted");
                        return Future.succeededFuture();
                    }
                    return streamOnce(blob); // the other stream failed: try ourselves
                });
            });
        }
        listener.blobStarted(blob);
        return stream(blob, 1).map(n -> {
            copied.incrementAndGet();
            bytes.addAndGet(n);
            listener.blobDone(blob);
            return (Void) null;
        }).onComplete(ar -> {
            if (store != null) {
                flights.land(store, blob.digest(), mine);
            }
            landed.complete();
        });
    }

    /**
     * The layer rewritten into its spool file (off the event loop), then written like any blob under its new
     * descriptor — skipped when the destination has it already — and the spool file deleted. Progress is reported
     * against the source descriptor, the one the plan counted.
     */
    private Future<Void> recompress(Descriptor blob) {
        listener.blobStarted(blob);
        String what = "recompressing layer " + blob.digest() + " of " + source.describe() + " as " + compression.algorithm();
        return recompressor.rewrite(blob, source, compression, cancellation, what).compose(spooled -> {
            Descriptor written = spooled.descriptor();
            rewritten.put(blob.digest(), written);
            Future<Boolean> present = destination.capabilities().skipsPresent() ? destination.hasBlob(written)
                    : Future.succeededFuture(false);
            Future<Void> done = present.compose(there -> {
                if (there) {
                    skipped.incrementAndGet();
                    listener.blobSkipped(blob, "exists");
                    return Future.succeededFuture();
                }
                return stream(written, new SpooledSource(source, spooled, vertx), blob, 1).map(n -> {
                    copied.incrementAndGet();
                    bytes.addAndGet(n);
                    listener.blobDone(blob);
                    return (Void) null;
                });
            });
            return done.onComplete(ar -> vertx.executeBlocking(() -> {
                spooled.delete();
                return null;
            }, false));
        }).onFailure(t -> {
            if (!cancellation.isCancelled() && !rewritten.containsKey(blob.digest())) {
                listener.blobFailed(blob, t.getMessage());
            }
        });
    }

    /** What {@link #compression} rewrote: source layer digest → the descriptor written instead. */
    java.util.Map<dev.ferry.oci.Digest, Descriptor> rewritten() {
        return java.util.Map.copyOf(rewritten);
    }

    private Future<Long> stream(Descriptor blob, int attempt) {
        return stream(blob, source, blob, attempt);
    }

    /**
     * Streams {@code blob} from {@code from}; a transient failure streams it again (with backoff) up to the
     * configured retries. Progress goes to the listener as {@code reportAs}.
     */
    private Future<Long> stream(Descriptor blob, ImageSource from, Descriptor reportAs, int attempt) {
        AtomicLong sent = new AtomicLong();
        StreamWatch watch = new StreamWatch() {
            @Override
            public void bytes(long n) {
                sent.addAndGet(n);
                listener.bytes(reportAs, n);
            }

            @Override
            public void resumed(long offset, String why) {
                listener.blobRetrying(reportAs, attempt, "download dropped (" + why + "); resuming from byte " + offset);
            }

            @Override
            public void uploadResumed(long kept, long recorded, boolean sessionLost) {
                listener.blobUploadResumed(blob, kept, recorded, sessionLost);
            }

            @Override
            public dev.ferry.registry.UploadSessions sessions() {
                return listener.uploadSessions();
            }

            @Override
            public Runnable onAbort(Runnable abort) {
                return cancellation.onCancel(abort);
            }
        };
        return destination.putBlob(blob, from, watch).recover(t -> {
            listener.bytes(reportAs, -sent.get());
            if (cancellation.isCancelled()) {
                return Future.failedFuture(new Cancellation.CancelledException());
            }
            boolean retryable = t instanceof dev.ferry.registry.ChunkResumesSpent ? false
                    : t instanceof FerryException fe ? RETRYABLE.contains(fe.type()) : true;
            if (!retryable || attempt > blobRetries || !destination.capabilities().parallelBlobs()) {
                // a tar stream cannot take a blob again: what was written is already on its way
                listener.blobFailed(reportAs, t.getMessage());
                return Future.failedFuture(t);
            }
            listener.blobRetrying(reportAs, attempt, t.getMessage());
            Promise<Void> wait = Promise.promise();
            long delay = retryDelay != null ? retryDelay.toMillis() : Math.min(10_000L, 250L << Math.min(attempt - 1, 6));
            vertx.setTimer(Math.max(1, delay), id -> wait.complete());
            return wait.future().compose(v -> stream(blob, from, reportAs, attempt + 1));
        });
    }

    /** The destination already has the whole image: every blob reported as present, nothing moved. */
    CopyResult alreadyThere(java.util.List<Descriptor> all, dev.ferry.oci.Digest pointedTo) {
        listener.planned(all.size(), all.stream().mapToLong(Descriptor::size).sum());
        for (Descriptor blob : all) {
            skipped.incrementAndGet();
            listener.blobSkipped(blob, "exists");
        }
        return result(pointedTo);
    }

    CopyResult result(dev.ferry.oci.Digest pointedTo) {
        return new CopyResult(pointedTo, copied.get(), mounted.get(), skipped.get(), bytes.get());
    }
}
