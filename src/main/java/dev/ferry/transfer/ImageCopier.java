package dev.ferry.transfer;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.Platform;
import dev.ferry.oci.PlatformSelector;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * skopeo copy between registries. The source manifest is resolved once; everything after works by digest.
 * Order: all blobs (each distinct digest once, in parallel up to the configured bound, cheapest path first),
 * then child manifests by digest, then the top manifest under the destination tag. Manifests are pushed
 * byte-exact, so digests are preserved. A failed blob stops the copy before any manifest is pushed.
 */
@ApplicationScoped
public class ImageCopier {
    private final RegistryClient registry;
    private final FerryConfig config;
    private final Vertx vertx;
    private final BlobFlights flights;

    public ImageCopier(RegistryClient registry, FerryConfig config, Vertx vertx, BlobFlights flights) {
        this.flights = flights;
        this.registry = registry;
        this.config = config;
        this.vertx = vertx;
    }

    public Future<CopyResult> copy(RegistryAccess src, ImageReference srcRef, RegistryAccess dst, ImageReference dstRef,
                                   CopyOptions o) {
        return copy(src, srcRef, dst, dstRef, o, CopyListener.NONE, new Cancellation());
    }

    /**
     * Copies {@code srcRef} to {@code dstRef}, reporting to {@code listener}; once {@code cancellation} fires,
     * streams are aborted and no manifest is pushed (fails with {@link Cancellation.CancelledException}).
     */
    public Future<CopyResult> copy(RegistryAccess src, ImageReference srcRef, RegistryAccess dst, ImageReference dstRef,
                                   CopyOptions o, CopyListener listener, Cancellation cancellation) {
        if (dstRef.tag() == null && dstRef.digest() == null) {
            return Future.failedFuture(new FerryException(ProblemType.INVALID_REFERENCE,
                    "the destination " + dstRef.name() + " needs a tag or a digest"));
        }
        // a cancel resets every registry request of this copy at once, even one waiting for a silent registry
        dev.ferry.registry.http.CallScope calls = dev.ferry.registry.http.CallScope.open();
        // (on the event loop: the canceller's thread goes on to wait for the job to end)
        Runnable unregister = cancellation.onCancel(() -> vertx.runOnContext(v -> calls.abort(new Cancellation.CancelledException())));
        return copyWithin(src.within(calls), srcRef, dst.within(calls), dstRef, o, listener, cancellation)
                .onComplete(ar -> unregister.run());
    }

    private Future<CopyResult> copyWithin(RegistryAccess src, ImageReference srcRef, RegistryAccess dst, ImageReference dstRef,
                                          CopyOptions o, CopyListener listener, Cancellation cancellation) {
        Pushes pushes = new Pushes(dst, listener, cancellation);
        BlobTransfer blobs = new BlobTransfer(registry, src, srcRef, dst, dstRef, listener, cancellation, vertx,
                config.transfer().blobRetries(), flights);
        return registry.manifestGet(src, srcRef).compose(top -> {
            Manifest parsed = top.parse(srcRef);
            if (parsed instanceof ImageManifest image) {
                return copyImage(blobs, pushes, image, dstRef, o);
            }
            ImageIndex index = (ImageIndex) parsed;
            if (o.all()) {
                return copyIndex(blobs, pushes, index, src, srcRef, dstRef, o);
            }
            Platform wanted = o.platform() != null ? o.platform() : defaultPlatform();
            Descriptor chosen = PlatformSelector.select(index, wanted).orElseThrow(() -> new FerryException(
                    ProblemType.PLATFORM_NOT_FOUND, "no image for platform " + wanted + " in " + srcRef.name()
                    + "@" + index.digest()));
            ImageReference childRef = srcRef.withTag(null).withDigest(chosen.digest());
            return registry.manifestGet(src, childRef)
                    .compose(child -> copyImage(blobs, pushes, child.image(childRef), dstRef, o));
        });
    }

    /** A single image: its blobs, then its raw manifest under the destination reference. */
    private Future<CopyResult> copyImage(BlobTransfer blobs, Pushes pushes, ImageManifest image, ImageReference dstRef,
                                         CopyOptions o) {
        List<Descriptor> all = blobsOf(List.of(image));
        return unchanged(pushes, dstRef, image.digest()).compose(same -> {
            if (same) {
                return Future.succeededFuture(blobs.alreadyThere(pushes.listener, all, image.digest()));
            }
            return copyBlobs(blobs, pushes.listener, all, o)
                    .compose(v -> pushes.put(dstRef, image.mediaType().value(), image.raw()))
                    .map(blobs::result);
        });
    }

    /**
     * Whether the destination reference already points at {@code digest} (one HEAD). A registry only accepts
     * a manifest whose blobs and child manifests it has, so then there is nothing to move or push. Any
     * doubt (an error) means "no": the full path checks every blob.
     */
    private Future<Boolean> unchanged(Pushes pushes, ImageReference dstRef, Digest digest) {
        if (dstRef.tag() != null && dstRef.digest() != null && !dstRef.digest().equals(digest)) {
            // before anything moves: never push the tag with another digest than the one named
            return Future.failedFuture(new FerryException(ProblemType.REFERENCE_MISMATCH, "the destination " + dstRef
                    + " names digest " + dstRef.digest() + ", but the copy would push " + digest + " under tag " + dstRef.tag()));
        }
        return registry.manifestHead(pushes.dst, dstRef)
                .map(head -> head != null && digest.equals(head.digest()))
                .recover(t -> Future.succeededFuture(false));
    }

    /** Every child image (blobs of all of them first, then each manifest by digest), then the index itself. */
    private Future<CopyResult> copyIndex(BlobTransfer blobs, Pushes pushes, ImageIndex index, RegistryAccess src,
                                         ImageReference srcRef, ImageReference dstRef, CopyOptions o) {
        return unchanged(pushes, dstRef, index.digest()).compose(same -> {
            if (same) {
                return Future.succeededFuture(blobs.alreadyThere(pushes.listener, List.of(), index.digest()));
            }
            return copyChildrenAndIndex(blobs, pushes, index, src, srcRef, dstRef, o);
        });
    }

    private Future<CopyResult> copyChildrenAndIndex(BlobTransfer blobs, Pushes pushes, ImageIndex index, RegistryAccess src,
                                                    ImageReference srcRef, ImageReference dstRef, CopyOptions o) {
        List<Future<ImageManifest>> reads = new ArrayList<>();
        for (Descriptor d : index.manifests()) {
            ImageReference childRef = srcRef.withTag(null).withDigest(d.digest());
            reads.add(registry.manifestGet(src, childRef).map(m -> m.image(childRef)));
        }
        return Future.all(reads).compose(all -> {
            List<ImageManifest> children = reads.stream().map(Future::result).collect(Collectors.toList());
            return copyBlobs(blobs, pushes.listener, blobsOf(children), o)
                    .compose(v -> pushChildren(pushes, dstRef, children))
                    .compose(v -> pushes.put(dstRef, index.mediaType().value(), index.raw()))
                    .map(blobs::result);
        });
    }

    private Future<Void> pushChildren(Pushes pushes, ImageReference dstRef, List<ImageManifest> children) {
        Future<Void> chain = Future.succeededFuture();
        for (ImageManifest child : children) {
            ImageReference byDigest = dstRef.withTag(null).withDigest(child.digest());
            chain = chain.compose(v -> pushes.put(byDigest, child.mediaType().value(), child.raw()).mapEmpty());
        }
        return chain;
    }

    /** Manifest pushes of one copy: none once it is cancelled; each reported when done. */
    private final class Pushes {
        private final RegistryAccess dst;
        private final CopyListener listener;
        private final Cancellation cancellation;

        Pushes(RegistryAccess dst, CopyListener listener, Cancellation cancellation) {
            this.dst = dst;
            this.listener = listener;
            this.cancellation = cancellation;
        }

        Future<Digest> put(ImageReference ref, String mediaType, byte[] raw) {
            if (cancellation.isCancelled()) {
                return Future.failedFuture(new Cancellation.CancelledException());
            }
            return registry.manifestPut(dst, ref, mediaType, raw).onSuccess(d ->
                    listener.manifestPushed(d, mediaType, ref.tag() != null ? ref.tag() : d.toString()));
        }
    }

    private Future<Void> copyBlobs(BlobTransfer blobs, CopyListener listener, List<Descriptor> all, CopyOptions o) {
        listener.planned(all.size(), all.stream().mapToLong(Descriptor::size).sum());
        List<Supplier<Future<?>>> tasks = new ArrayList<>();
        for (Descriptor d : all) {
            tasks.add(() -> blobs.copy(d));
        }
        return BoundedParallel.run(tasks, o.parallelBlobs());
    }

    /** Config and layers of every image, each distinct digest once, in manifest order. */
    private static List<Descriptor> blobsOf(List<ImageManifest> images) {
        Map<Digest, Descriptor> distinct = new LinkedHashMap<>();
        for (ImageManifest image : images) {
            distinct.putIfAbsent(image.config().digest(), image.config());
            for (Descriptor layer : image.layers()) {
                distinct.putIfAbsent(layer.digest(), layer);
            }
        }
        return List.copyOf(distinct.values());
    }

    private Platform defaultPlatform() {
        FerryConfig.DefaultPlatform d = config.platform();
        return Platform.of(d.os(), d.arch(), d.variant().orElse(null));
    }


}
