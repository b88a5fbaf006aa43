package dev.ferry.transfer;

import dev.ferry.config.FerryConfig;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Platform;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * skopeo copy from any {@link ImageSource} to any {@link ImageDestination}. The source is planned once
 * ({@link CopyPlanner}); everything after works by digest. Order: all blobs (each distinct digest once, in
 * parallel up to the configured bound when the destination allows it, cheapest path first), then child manifests
 * by digest, then the top manifest, then commit. Manifests are written byte-exact, so digests are preserved. A
 * failed blob stops the copy before any manifest is written, and the destination is aborted. Every
 * {@link AfterImagePush} step starts once the signature gate admitted the source, beside the blobs (attached
 * artifacts: discovery and their blobs), and finishes after the top manifest (or when the destination already pointed
 * at it), in order (attached artifacts' manifests, then signing), before commit.
 */
@ApplicationScoped
public class ImageCopier {
    private final RegistryClient registry;
    private final FerryConfig config;
    private final Vertx vertx;
    private final BlobFlights flights;
    private final List<AfterImagePush> afterPush;
    private final dev.ferry.signature.SignatureGate signatures;
    private java.nio.file.Path compressSpool;
    private long compressSpoolMax = 8L << 30;
    private io.vertx.core.WorkerExecutor compressWorkers;

    @jakarta.inject.Inject
    public ImageCopier(RegistryClient registry, FerryConfig config, Vertx vertx, BlobFlights flights,
                       jakarta.enterprise.inject.Instance<AfterImagePush> afterPush, dev.ferry.signature.SignatureGate signatures,
                       CompressConfig compress) {
        this(registry, config, vertx, flights, afterPush.stream().toList(), signatures);
        this.compressSpool = java.nio.file.Path.of(compress.spoolDir().orElse(config.dataDir() + "/compress-spool"))
                .toAbsolutePath().normalize();
        this.compressSpoolMax = compress.spoolMaxBytes().asLongValue();
    }

    /** With the given after-push steps (none: a plain copy), and no signature policy. */
    public ImageCopier(RegistryClient registry, FerryConfig config, Vertx vertx, BlobFlights flights,
                       List<AfterImagePush> afterPush) {
        this(registry, config, vertx, flights, afterPush, dev.ferry.signature.SignatureGate.NONE);
    }

    /** With the given after-push steps and signature gate (evaluated before anything is written). */
    public ImageCopier(RegistryClient registry, FerryConfig config, Vertx vertx, BlobFlights flights,
                       List<AfterImagePush> afterPush, dev.ferry.signature.SignatureGate signatures) {
        this.signatures = signatures;
        this.afterPush = afterPush.stream().sorted(java.util.Comparator.comparingInt(AfterImagePush::order)).toList();
        this.flights = flights;
        this.registry = registry;
        this.config = config;
        this.vertx = vertx;
    }

    /** Registry to registry (what the older callers and tests use). */
    public Future<CopyResult> copy(RegistryAccess src, ImageReference srcRef, RegistryAccess dst, ImageReference dstRef,
                                   CopyOptions o) {
        return copy(src, srcRef, dst, dstRef, o, CopyListener.NONE, new Cancellation());
    }

    /** Registry to registry, reporting to {@code listener}. */
    public Future<CopyResult> copy(RegistryAccess src, ImageReference srcRef, RegistryAccess dst, ImageReference dstRef,
                                   CopyOptions o, CopyListener listener, Cancellation cancellation) {
        ImageDestination destination;
        try {
            destination = new RegistryDestination(registry, dst, dstRef, flights);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return copy(new RegistrySource(registry, src, srcRef), destination, o, listener, cancellation, null, false);
    }

    /**
     * Registry to registry for a sync that has just looked at both sides: the destination does not point at the image
     * (so it is not asked again), and {@code top}, when not null, is the source's top manifest as the source reference
     * names it, read and verified a moment ago (so the plan does not read it again). Per image copied, one HEAD at the
     * destination and one manifest GET at the source fewer. A destination that meanwhile got the image costs nothing
     * wrong: every blob is found present and the same manifest is pushed again.
     */
    public Future<CopyResult> copyChecked(RegistryAccess src, ImageReference srcRef, RegistryAccess dst, ImageReference dstRef,
                                          CopyOptions o, CopyListener listener, Cancellation cancellation, ManifestResult top) {
        ImageDestination destination;
        try {
            destination = new RegistryDestination(registry, dst, dstRef, flights);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        return copy(new RegistrySource(registry, src, srcRef), destination, o, listener, cancellation, top, true);
    }

    /**
     * Copies {@code source} to {@code destination}, reporting to {@code listener}; once {@code cancellation}
     * fires, streams are aborted and no manifest is written (fails with {@link Cancellation.CancelledException}).
     * The source is closed and the destination committed or aborted before the future completes.
     */
    public Future<CopyResult> copy(ImageSource source, ImageDestination destination, CopyOptions o, CopyListener listener,
                                   Cancellation cancellation) {
        return copy(source, destination, o, listener, cancellation, null, false);
    }

    /** As above; {@code knownTop} and {@code destinationChecked} as in {@link #copyChecked}. */
    private Future<CopyResult> copy(ImageSource source, ImageDestination destination, CopyOptions o, CopyListener listener,
                                    Cancellation cancellation, ManifestResult knownTop, boolean destinationChecked) {
        // a cancel resets every registry request of this copy at once, even one waiting for a silent registry
        // (on the event loop: the canceller's thread goes on to wait for the job to end)
        dev.ferry.registry.http.CallScope calls = dev.ferry.registry.http.CallScope.open();
        Runnable unregister = cancellation.onCancel(() -> vertx.runOnContext(v -> calls.abort(new Cancellation.CancelledException())));
        ImageSource s = source instanceof RegistrySource rs
                ? new RegistrySource(registry, rs.access().within(calls), rs.reference()) : source;
        ImageDestination d = destination instanceof RegistryDestination rd ? rd.within(calls) : destination;
        Future<CopyPlan> plan;
        try {
            plan = CopyPlanner.plan(knownTop == null ? s : new KnownTop(s, knownTop), o, platform(o));
        } catch (RuntimeException e) {
            plan = Future.failedFuture(e);
        }
        return copy(plan, s, d, o, listener, cancellation, destinationChecked).onComplete(ar -> unregister.run());
    }

    /** A source whose top manifest was already read (for the planner only: the copy itself reads from {@code source}). */
    private record KnownTop(ImageSource source, ManifestResult top) implements ImageSource {
        @Override
        public String describe() {
            return source.describe();
        }

        @Override
        public Future<ManifestResult> topManifest() {
            return Future.succeededFuture(top);
        }

        @Override
        public Future<ManifestResult> manifest(Digest digest) {
            return source.manifest(digest);
        }

        @Override
        public Future<dev.ferry.registry.BlobStream> openBlob(Descriptor blob) {
            return source.openBlob(blob);
        }
    }

    /** As above, with the plan already made (export plans first, so a missing image is an error, not an empty tar). */
    public Future<CopyResult> copy(Future<CopyPlan> plan, ImageSource source, ImageDestination destination, CopyOptions o,
                                   CopyListener listener, Cancellation cancellation) {
        return copy(plan, source, destination, o, listener, cancellation, false);
    }

    private Future<CopyResult> copy(Future<CopyPlan> plan, ImageSource source, ImageDestination destination, CopyOptions o,
                                    CopyListener listener, Cancellation cancellation, boolean destinationChecked) {
        Future<CopyResult> done = plan.compose(p -> {
            try {
                return copyPlanned(p, source, destination, o, listener, cancellation, destinationChecked);
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
        });
        return done.transform(ar -> {
            Future<Void> finished = ar.succeeded() ? destination.commit() : destination.abort();
            return finished.transform(c -> source.close().transform(ignored ->
                    ar.failed() ? Future.failedFuture(ar.cause()) : c.failed() ? Future.failedFuture(c.cause()) : Future.succeededFuture(ar.result())));
        });
    }

    /**
     * Docker images that become OCI ones need their configs rewritten first ({@link OciConfigConversion}): each is
     * read (bounded, verified), converted, and served to the blob copy from memory in place of the Docker one.
     */
    private Future<CopyResult> copyPlanned(CopyPlan planned, ImageSource source, ImageDestination destination, CopyOptions o,
                                           CopyListener listener, Cancellation cancellation, boolean destinationChecked) {
        List<Descriptor> dockerConfigs = toOci(planned, destination, o) ? ManifestConversion.dockerConfigs(planned) : List.of();
        if (dockerConfigs.isEmpty()) {
            return copyPlanned(planned, source, source, Map.of(), destination, o, listener, cancellation, destinationChecked);
        }
        List<Future<byte[]>> reads = dockerConfigs.stream().map(c -> source.openBlob(c).compose(s -> dev.ferry.registry.BlobStreams
                .readVerified(s, c, config.limits().manifestBytes(), "the config " + c.digest() + " of " + source.describe()))).toList();
        return Future.all(reads).compose(all -> {
            Map<Digest, byte[]> converted = new java.util.HashMap<>();
            Map<Digest, byte[]> served = new java.util.HashMap<>();
            try {
                for (int i = 0; i < dockerConfigs.size(); i++) {
                    byte[] oci = OciConfigConversion.convert(reads.get(i).result(), source.describe());
                    converted.put(dockerConfigs.get(i).digest(), oci);
                    served.put(Digest.sha256Of(oci), oci);
                }
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
            return copyPlanned(planned, source, new ConvertedConfigs(source, served), converted, destination, o, listener,
                    cancellation, destinationChecked);
        });
    }

    private static boolean toOci(CopyPlan planned, ImageDestination destination, CopyOptions o) {
        LayerCompression compression = o.compression();
        boolean rewritesLayers = compression != null && planned.blobs().stream().anyMatch(compression::rewrites);
        // v2s2 has no zstd layer type: Docker manifests become OCI first, as containers/image converts them
        return "oci".equals(o.format()) || (o.format() == null && destination.needsOci())
                || (o.format() == null && rewritesLayers && compression.needsOci());
    }

    /** {@code blobSource} is {@code source} with the converted configs ({@code configs}, by Docker digest) served too. */
    private Future<CopyResult> copyPlanned(CopyPlan planned, ImageSource source, ImageSource blobSource, Map<Digest, byte[]> configs,
                                           ImageDestination destination, CopyOptions o,
                                           CopyListener listener, Cancellation cancellation, boolean destinationChecked) {
        LayerCompression compression = o.compression();
        boolean rewritesLayers = compression != null && planned.blobs().stream().anyMatch(compression::rewrites);
        boolean toOci = toOci(planned, destination, o);
        if ("v2s2".equals(o.format()) && rewritesLayers && compression.needsOci()) {
            return Future.failedFuture(dev.ferry.error.FerryException.invalidField("destCompressFormat",
                    "Docker v2s2 manifests cannot name zstd layers: use format oci, or gzip"));
        }
        if ("v2s2".equals(o.format()) && destination.needsOci()) {
            return Future.failedFuture(dev.ferry.error.FerryException.invalidField("format",
                    destination.describe() + " holds OCI manifests only: v2s2 cannot be written there"));
        }
        CopyPlan plan = toOci ? ManifestConversion.toOci(planned, source.describe(), configs)
                : "v2s2".equals(o.format()) ? ManifestConversion.toV2s2(planned, source.describe()) : planned;
        boolean changed = plan != planned || !destination.capabilities().keepsDigests() || rewritesLayers
                || planned.rewrittenFrom() != null;
        if (rewritesLayers && o.preserveDigests()) {
            return Future.failedFuture(new dev.ferry.error.FerryException(dev.ferry.error.ProblemType.DIGESTS_WOULD_CHANGE,
                    "recompressing the layers of " + source.describe() + " as " + compression.algorithm()
                    + " changes their digests, and preserveDigests is set"));
        }
        if (changed && o.preserveDigests()) {
            return Future.failedFuture(new dev.ferry.error.FerryException(dev.ferry.error.ProblemType.DIGESTS_WOULD_CHANGE,
                    "copying " + source.describe() + " to " + destination.describe() + " would change digests ("
                    + (plan != planned ? (toOci ? "its Docker manifests become OCI manifests" : "its OCI manifests become v2s2 manifests")
                            : planned.rewrittenFrom() != null ? "platformsIndex rewrite writes a new index"
                            : "the destination keeps no manifest")
                    + ") and preserveDigests is set"));
        }
        RegistryAccess dstAccess = destination instanceof RegistryDestination rd ? rd.access() : null;
        BlobTransfer blobs = new BlobTransfer(blobSource, destination, listener, cancellation, vertx,
                config.transfer().blobRetries(), dstAccess == null ? null : dstAccess.retryDelay(), flights,
                rewritesLayers ? compression : null, rewritesLayers ? recompressor() : null);
        Digest target = plan.target();
        if (!rewritesLayers && destination instanceof RegistryDestination rd && rd.reference().tag() != null
                && rd.reference().digest() != null && !rd.reference().digest().equals(target)) {
            // before anything moves: never push the tag with another digest than the one named
            return Future.failedFuture(new dev.ferry.error.FerryException(dev.ferry.error.ProblemType.REFERENCE_MISMATCH,
                    "the destination " + rd.reference() + " names digest " + rd.reference().digest() + ", but the copy would push "
                    + target + " under tag " + rd.reference().tag()));
        }
        // the signature gate: the policy decides on the source's own top manifest before anything is written
        if (rewritesLayers) {
            // the digests are known once the layers are written: blobs first, then the manifests that name them
            int parallel = destination.capabilities().parallelBlobs() ? o.parallelBlobs() : 1;
            return signatures.admit(source, planned.top(), listener)
                    .compose(admitted -> copyBlobs(blobs, listener, plan.blobs(), parallel))
                    .compose(v -> {
                        LayerRewrite.Result rewritten = LayerRewrite.apply(plan, blobs.rewritten(), compression, source.describe());
                        CopyPlan done = rewritten.plan();
                        if (destination instanceof RegistryDestination rd && rd.reference().tag() != null
                                && rd.reference().digest() != null && !rd.reference().digest().equals(done.target())) {
                            return Future.failedFuture(new dev.ferry.error.FerryException(dev.ferry.error.ProblemType.REFERENCE_MISMATCH,
                                    "the destination " + rd.reference() + " names digest " + rd.reference().digest()
                                    + ", but the recompressed image is " + done.target()));
                        }
                        AfterImagePush.PushedImage pushed = new AfterImagePush.PushedImage(source, destination, done, o,
                                pushedDigests(done), true);
                        return (done.index() == null ? Future.<Void>succeededFuture() : pushChildren(destination, listener, cancellation, done.images()))
                                .compose(w -> put(destination, listener, cancellation, topManifest(done), true)
                                        .recover(t -> Future.failedFuture(planned.sparse() ? sparseRefused(t, destination, planned) : t)))
                                .compose(d -> runSteps(pushed, listener, cancellation))
                                .map(w -> blobs.result(done.target()).withDigestsChanged(true).withDigestChanges(rewritten.changes()));
                    });
        }
        return signatures.admit(source, planned.top(), listener).compose(admitted -> {
            // the after-push steps start now (attached artifacts: discovery and their blobs), beside the image's blobs
            AfterImagePush.PushedImage pushed = new AfterImagePush.PushedImage(source, destination, plan, o,
                    pushedDigests(plan), changed);
            List<AfterImagePush.Started> started = start(pushed, listener, cancellation);
            Future<Digest> pointsAt = destinationChecked ? Future.succeededFuture(null) : destination.pointsAt();
            Future<CopyResult> copied = pointsAt.compose(current -> {
                // A registry only holds a manifest whose blobs (and children) it has: then there is nothing to move.
                if (target.equals(current)) {
                    CopyResult there = blobs.alreadyThere(plan.index() == null ? plan.blobs() : List.of(), target);
                    return afterPush(started, cancellation).map(v -> there);
                }
                int parallel = destination.capabilities().parallelBlobs() ? o.parallelBlobs() : 1;
                return copyBlobs(blobs, listener, plan.blobs(), parallel)
                        .compose(v -> plan.index() == null ? Future.succeededFuture() : pushChildren(destination, listener, cancellation, plan.images()))
                        .compose(v -> put(destination, listener, cancellation, topManifest(plan), true)
                                .recover(t -> Future.failedFuture(planned.sparse() ? sparseRefused(t, destination, planned) : t)))
                        .compose(d -> afterPush(started, cancellation))
                        .map(v -> blobs.result(target).withDigestsChanged(changed));
            });
            return settledThen(started, copied);
        });
    }

    /** Whatever happened, nothing a step started is still running once the copy moves on (commit or abort). */
    private static <T> Future<T> settledThen(List<AfterImagePush.Started> started, Future<T> copied) {
        return copied.transform(ar -> {
            if (ar.failed()) {
                started.forEach(AfterImagePush.Started::abandon);
            }
            return Future.join(started.stream().map(AfterImagePush.Started::settled).toList())
                    .transform(settled -> ar.succeeded() ? Future.succeededFuture(ar.result()) : Future.failedFuture(ar.cause()));
        });
    }

    /** Every step started and finished at once (the manifests are already there: a copy that rewrote its layers). */
    private Future<Void> runSteps(AfterImagePush.PushedImage pushed, CopyListener listener, Cancellation cancellation) {
        List<AfterImagePush.Started> started = start(pushed, listener, cancellation);
        return settledThen(started, afterPush(started, cancellation));
    }

    /** Starts every {@link AfterImagePush} step's early work, in order. */
    private List<AfterImagePush.Started> start(AfterImagePush.PushedImage pushed, CopyListener listener, Cancellation cancellation) {
        List<AfterImagePush.Started> started = new ArrayList<>();
        for (AfterImagePush step : afterPush) {
            try {
                started.add(step.start(pushed, listener, cancellation));
            } catch (RuntimeException e) {
                started.add(() -> Future.failedFuture(e));
            }
        }
        return started;
    }

    private LayerRecompressor recompressor() {
        java.nio.file.Path spool = compressSpool != null ? compressSpool
                : java.nio.file.Path.of(config.dataDir(), "compress-spool").toAbsolutePath().normalize();
        synchronized (this) {
            if (compressWorkers == null) {
                compressWorkers = LayerRecompressor.pool(vertx);
            }
        }
        return new LayerRecompressor(vertx, compressWorkers, spool, compressSpoolMax);
    }

    /**
     * A registry that checks an index's children (distribution 2.8 does) refuses the source's index when only some
     * platforms were copied: say so, and name the way out, instead of the registry's bare error code.
     */
    private static Throwable sparseRefused(Throwable t, ImageDestination destination, CopyPlan plan) {
        // distribution answers 400 MANIFEST_BLOB_UNKNOWN (or MANIFEST_UNKNOWN) naming a child it does not hold
        if (!(t instanceof dev.ferry.error.FerryException fe) || !fe.getMessage().contains("UNKNOWN")) {
            return t;
        }
        return new dev.ferry.error.FerryException(dev.ferry.error.ProblemType.SPARSE_INDEX_REFUSED,
                destination.describe() + " refused the source's index " + plan.index().digest() + " because it lists "
                + (plan.index().manifests().size() - plan.images().size()) + " of its " + plan.index().manifests().size()
                + " images that were not copied (platforms selects " + plan.images().size() + "); set platformsIndex: rewrite"
                + " to push a new index of the selected platforms only (its digest differs from the source's), or copy"
                + " all platforms (registry said: " + fe.getMessage() + ")");
    }

    /** The manifests at the destination once the copy is done: the top one, then an index's children. */
    private static List<Digest> pushedDigests(CopyPlan plan) {
        List<Digest> out = new ArrayList<>();
        out.add(plan.target());
        if (plan.index() != null) {
            plan.images().forEach(i -> out.add(i.digest()));
        }
        return out;
    }

    /** The started {@link AfterImagePush} steps' after-push work, one after the other; the first failure ends the chain. */
    private Future<Void> afterPush(List<AfterImagePush.Started> started, Cancellation cancellation) {
        Future<Void> chain = Future.succeededFuture();
        for (AfterImagePush.Started step : started) {
            chain = chain.compose(v -> cancellation.isCancelled() ? Future.failedFuture(new Cancellation.CancelledException())
                    : step.afterPush());
        }
        return chain;
    }

    /** What the destination reference points at: the index, or the one image (the selected platform's). */
    private static ManifestResult topManifest(CopyPlan plan) {
        if (plan.index() != null) {
            return plan.top();
        }
        ImageManifest image = plan.images().get(0);
        return image.digest().equals(plan.top().digest()) ? plan.top()
                : new ManifestResult(image.raw(), image.mediaType().value(), image.digest());
    }

    private Future<Void> pushChildren(ImageDestination destination, CopyListener listener, Cancellation cancellation,
                                      List<ImageManifest> children) {
        Future<Void> chain = Future.succeededFuture();
        for (ImageManifest child : children) {
            ManifestResult m = new ManifestResult(child.raw(), child.mediaType().value(), child.digest());
            chain = chain.compose(v -> put(destination, listener, cancellation, m, false).mapEmpty());
        }
        return chain;
    }

    /** One manifest write: none once the copy is cancelled; each reported when done. */
    private static Future<Digest> put(ImageDestination destination, CopyListener listener, Cancellation cancellation,
                                      ManifestResult m, boolean top) {
        if (cancellation.isCancelled()) {
            return Future.failedFuture(new Cancellation.CancelledException());
        }
        String mediaType = m.parse(destination.describe()).mediaType().value();
        return destination.putManifest(m, top).onSuccess(d ->
                listener.manifestPushed(d, mediaType, top ? destination.reference(d) : d.toString()));
    }

    private Future<Void> copyBlobs(BlobTransfer blobs, CopyListener listener, List<Descriptor> all, int parallel) {
        listener.planned(all.size(), all.stream().mapToLong(Descriptor::size).sum());
        List<Supplier<Future<?>>> tasks = new ArrayList<>();
        for (Descriptor d : all) {
            tasks.add(() -> blobs.copy(d));
        }
        return BoundedParallel.run(tasks, parallel);
    }

    /** The platform to pick from an index: the request's, else the configured default. */
    public Platform platform(CopyOptions o) {
        if (o.platform() != null) {
            return o.platform();
        }
        FerryConfig.DefaultPlatform d = config.platform();
        return Platform.of(d.os(), d.arch(), d.variant().orElse(null));
    }
}
