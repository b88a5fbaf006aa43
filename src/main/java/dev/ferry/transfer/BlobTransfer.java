package dev.ferry.transfer;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import io.vertx.core.Future;
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

    BlobTransfer(RegistryClient registry, RegistryAccess src, ImageReference srcRepo, RegistryAccess dst, ImageReference dstRepo) {
        this.registry = registry;
        this.src = src;
        this.srcRepo = srcRepo;
        this.dst = dst;
        this.dstRepo = dstRepo;
        this.sameRegistry = src.registry().equals(dst.registry());
    }

    Future<Void> copy(Descriptor blob) {
        if (blob.mediaType().isForeignLayer()) {
            skipped.incrementAndGet(); // like skopeo: non-distributable layers stay where their URLs say
            return Future.succeededFuture();
        }
        Digest digest = blob.digest();
        return registry.blobHead(dst, dstRepo, digest).compose(present -> {
            if (present) {
                skipped.incrementAndGet();
                return Future.succeededFuture();
            }
            Future<Boolean> mount = sameRegistry && !srcRepo.repository().equals(dstRepo.repository())
                    ? registry.blobMount(dst, dstRepo, digest, srcRepo).recover(this::streamIfMountRefused)
                    : Future.succeededFuture(false);
            return mount.compose(wasMounted -> {
                if (wasMounted) {
                    mounted.incrementAndGet();
                    return Future.succeededFuture();
                }
                return registry.blobCopyStream(src, srcRepo, dst, dstRepo, blob).map(n -> {
                    copied.incrementAndGet();
                    bytes.addAndGet(n);
                    return null;
                });
            });
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

    CopyResult result(Digest pointedTo) {
        return new CopyResult(pointedTo, copied.get(), mounted.get(), skipped.get(), bytes.get());
    }
}
