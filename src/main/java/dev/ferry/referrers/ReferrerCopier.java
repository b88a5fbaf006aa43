package dev.ferry.referrers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.MediaType;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.registry.StreamWatch;
import dev.ferry.transfer.AfterImagePush;
import dev.ferry.transfer.Attachment;
import dev.ferry.transfer.Cancellation;
import dev.ferry.transfer.CopyListener;
import dev.ferry.transfer.RegistryDestination;
import dev.ferry.transfer.RegistrySource;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies what is attached to an image with the image ({@link AfterImagePush}, order 100): for each manifest the copy
 * puts at the destination (the top one, and each platform image of an index), its referrers and cosign tags as
 * {@link ReferrerDiscovery} finds them at the source.
 * <p>
 * In two phases, so that a promotion waits for little more than its own image. Early ({@link #start}: once the
 * signature gate admitted the source, while the image's blobs are copied): discovery at the source, each artifact's
 * manifest read, a HEAD at the destination (already there by digest, or its cosign tag already points at that
 * digest → {@code exists}, nothing more), else its blobs (a HEAD for one over {@link #SMALL_BLOB}, mount within one
 * registry, else streamed and verified; for an index its children's blobs), and the destination's {@code sha256-<hex>} fallback index read
 * ahead. No manifest is written early. After the image's manifests ({@link Started#afterPush}): each artifact's
 * manifest by its exact bytes (an index's children first): a referrer by its digest, a cosign tag under its tag (a
 * different manifest under that tag at the destination is replaced: the source is what is promoted); then the events.
 * A registry that answers a referrer's push with {@code OCI-Subject} indexes it itself; otherwise Ferry maintains the
 * destination's fallback index: what is there is kept, exactly, and the missing descriptors appended (two copies
 * updating the same fallback tag at the same moment can lose one's entry: the registry API has no conditional write;
 * a later copy adds it again).
 * <p>
 * Where it skips (with one {@code referrer} event saying why): a source or destination that is not a registry
 * (oci:, dir:, archives: skopeo does not carry attachments there either), and a copy that changed digests (an OCI
 * conversion), since the artifacts name the source's digests. A failed artifact does not stop the others; the copy
 * then fails with {@code referrers-incomplete} naming how many and the first reason (the image itself is already
 * there; running the copy again retries only what is missing).
 */
@ApplicationScoped
public class ReferrerCopier implements AfterImagePush {
    private final RegistryClient registry;
    private final ReferrerDiscovery discovery;

    public ReferrerCopier(RegistryClient registry, ReferrerDiscovery discovery) {
        this.registry = registry;
        this.discovery = discovery;
    }

    /** Artifacts of one image copied at once (each one's blobs at once too). */
    static final int PARALLEL_ARTIFACTS = 4;

    @Override
    public int order() {
        return 100;
    }

    /**
     * One artifact after the early phase: its manifest read, and either already at the destination, or its blobs (and
     * an index's children's blobs) there, the manifest (and children) still to write; or the reason it failed.
     */
    private record Prepared(Found found, ManifestResult manifest, Manifest parsed, boolean exists,
                            List<ManifestResult> children, String failure) {
        static Prepared failed(Found f, String why) {
            return new Prepared(f, null, null, false, List.of(), why);
        }
    }

    /** One subject after the early phase: what is attached (or why listing failed), and its fallback index read ahead. */
    private record Subject(Digest digest, String listingFailure, List<Prepared> artifacts, Future<ManifestResult> index) {
    }

    /** When early work starts nothing new: the copy was cancelled, or failed ({@link Started#abandon}). */
    private record Stop(Cancellation cancellation, java.util.concurrent.atomic.AtomicBoolean abandoned) {
        boolean now() {
            return cancellation.isCancelled() || abandoned.get();
        }
    }

    /** One artifact's outcome, before the fallback index decides how a copied referrer was indexed. */
    private record Done(Found found, String status, String ociSubject, Manifest manifest, String failure) {
    }

    @Override
    public Future<Void> imagePushed(PushedImage image, CopyListener listener, Cancellation cancellation) {
        return start(image, listener, cancellation).afterPush();
    }

    @Override
    public Started start(PushedImage image, CopyListener listener, Cancellation cancellation) {
        if (!image.options().referrers().enabled()) {
            return Future::succeededFuture;
        }
        Digest top = image.pushed().get(0);
        if (!(image.source() instanceof RegistrySource src) || !(image.destination() instanceof RegistryDestination dst)) {
            return skipped(listener, top, "attached artifacts travel between registries only");
        }
        if (image.digestsChanged()) {
            return skipped(listener, top, "the copy changed digests, so the artifacts attached to the source's digests name nothing here");
        }
        java.util.concurrent.atomic.AtomicBoolean abandoned = new java.util.concurrent.atomic.AtomicBoolean();
        Stop stop = new Stop(cancellation, abandoned);
        java.util.Set<String> listed = image.options().referrers().sourceTags();
        Future<java.util.Set<String>> tags = listed != null ? Future.succeededFuture(listed)
                : discovery.tags(src.access(), src.reference());
        List<Future<Subject>> subjects = new ArrayList<>();
        for (Digest subject : image.pushed()) {
            subjects.add(discovery.attachedTo(src.access(), src.reference(), subject, image.options().referrers(), tags)
                    .transform(ar -> {
                        if (ar.failed()) {
                            return ar.cause() instanceof Cancellation.CancelledException ? Future.failedFuture(ar.cause())
                                    : Future.succeededFuture(new Subject(subject, "listing what is attached to " + subject
                                    + " failed: " + ar.cause().getMessage(), List.of(), null));
                        }
                        return prepareSubject(src, dst, subject, ar.result(), stop);
                    }));
        }
        Future<List<Subject>> early = Future.join(new ArrayList<>(subjects)).transform(ignored -> {
            List<Subject> out = new ArrayList<>();
            for (Future<Subject> f : subjects) {
                if (f.failed()) {
                    return Future.failedFuture(f.cause());
                }
                out.add(f.result());
            }
            return Future.succeededFuture(out);
        });
        return new Started() {
            @Override
            public Future<Void> afterPush() {
                return early.compose(prepared -> finish(dst, prepared, listener, cancellation));
            }

            @Override
            public void abandon() {
                abandoned.set(true);
            }

            @Override
            public Future<Void> settled() {
                return early.transform(ar -> {
                    List<Future<?>> reads = new ArrayList<>();
                    if (ar.succeeded()) {
                        ar.result().stream().filter(s -> s.index() != null).forEach(s -> reads.add(s.index()));
                    }
                    return Future.join(reads).<Void>mapEmpty().otherwiseEmpty();
                });
            }
        };
    }

    private static Started skipped(CopyListener listener, Digest top, String why) {
        return () -> {
            listener.attachment(new Attachment(top, null, null, null, null, null, "skipped", why));
            return Future.succeededFuture();
        };
    }

    /**
     * The early phase of one subject: every artifact prepared (at most {@link #PARALLEL_ARTIFACTS} at once), and its
     * destination fallback index read ahead when a referrer (not a cosign tag) travels and the destination is not known
     * to index referrers itself.
     */
    private Future<Subject> prepareSubject(RegistrySource src, RegistryDestination dst, Digest subject, List<Found> found,
                                           Stop stop) {
        Future<ManifestResult> index = null;
        if (found.stream().anyMatch(f -> !f.cosignTag()) && !discovery.knownToIndexBySubject(dst.access().registry())) {
            index = ReferrerDiscovery.absentAsNull(registry.manifestGet(dst.access(), fallbackTag(dst, subject)));
        }
        Future<ManifestResult> readAhead = index;
        Prepared[] slots = new Prepared[found.size()];
        List<java.util.function.Supplier<Future<?>>> tasks = new ArrayList<>();
        for (int i = 0; i < found.size(); i++) {
            Found f = found.get(i);
            int slot = i;
            tasks.add(() -> stop.now() ? Future.failedFuture(new Cancellation.CancelledException())
                    : prepareOne(src, dst, f, stop).transform(ar -> {
                        if (ar.failed() && ar.cause() instanceof Cancellation.CancelledException) {
                            return Future.failedFuture(ar.cause());
                        }
                        slots[slot] = ar.succeeded() ? ar.result() : Prepared.failed(f, ar.cause().getMessage());
                        return Future.succeededFuture();
                    }));
        }
        return dev.ferry.transfer.BoundedParallel.run(tasks, PARALLEL_ARTIFACTS)
                .map(v -> new Subject(subject, null, java.util.Arrays.asList(slots), readAhead));
    }

    /** One artifact, early: its manifest read; there already → exists; else its blobs (an index's children's too). */
    private Future<Prepared> prepareOne(RegistrySource src, RegistryDestination dst, Found f, Stop stop) {
        Future<ManifestResult> read = f.manifest() != null ? Future.succeededFuture(f.manifest())
                : registry.manifestGet(src.access(), src.reference().withTag(null).withDigest(f.digest()));
        return read.compose(m -> {
            Manifest parsed = m.parse(src.describe() + "@" + m.digest());
            return registry.manifestHead(dst.access(), destination(dst, f)).compose(head -> {
                if (head != null && head.digest().equals(m.digest())) {
                    return Future.succeededFuture(new Prepared(f, m, parsed, true, List.of(), null));
                }
                return content(src, dst, parsed, stop).map(children -> new Prepared(f, m, parsed, false, children, null));
            });
        });
    }

    private static ImageReference destination(RegistryDestination dst, Found f) {
        return f.cosignTag() ? dst.reference().withDigest(null).withTag(f.tag())
                : dst.reference().withTag(null).withDigest(f.digest());
    }

    private static ImageReference fallbackTag(RegistryDestination dst, Digest subject) {
        return dst.reference().withDigest(null).withTag(FallbackTags.indexTag(subject));
    }

    /** After the image's manifests: every subject's artifacts written and reported; failures counted into one error. */
    private Future<Void> finish(RegistryDestination dst, List<Subject> subjects, CopyListener listener, Cancellation cancellation) {
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Future<Void>> all = new ArrayList<>();
        for (Subject s : subjects) {
            if (s.listingFailure() != null) {
                failures.add(s.listingFailure());
                listener.attachment(new Attachment(s.digest(), null, null, null, null, null, "failed", s.listingFailure()));
                continue;
            }
            all.add(finishSubject(dst, s, listener, cancellation, failures));
        }
        return Future.join(new ArrayList<>(all)).transform(ignored -> {
            for (Future<Void> one : all) {
                if (one.failed()) {
                    return Future.<Void>failedFuture(one.cause());
                }
            }
            return failures.isEmpty() ? Future.<Void>succeededFuture()
                    : Future.failedFuture(new FerryException(ProblemType.REFERRERS_INCOMPLETE, "the image is at "
                    + dst.describe() + ", but " + failures.size() + " of its attached artifacts could not be copied: "
                    + failures.get(0)));
        });
    }

    /** One subject's manifests (at most {@link #PARALLEL_ARTIFACTS} at once), then its fallback index, then its events. */
    private Future<Void> finishSubject(RegistryDestination dst, Subject subject, CopyListener listener, Cancellation cancellation,
                                       List<String> failures) {
        List<Prepared> prepared = subject.artifacts();
        Done[] slots = new Done[prepared.size()];
        List<java.util.function.Supplier<Future<?>>> tasks = new ArrayList<>();
        for (int i = 0; i < prepared.size(); i++) {
            Prepared p = prepared.get(i);
            int slot = i;
            if (p.failure() != null || p.exists()) {
                slots[slot] = p.failure() != null ? new Done(p.found(), "failed", null, null, p.failure())
                        : new Done(p.found(), "exists", null, p.parsed(), null);
                continue;
            }
            tasks.add(() -> cancelled(cancellation) ? Future.failedFuture(new Cancellation.CancelledException())
                    : write(dst, p).transform(ar -> {
                        if (ar.failed() && ar.cause() instanceof Cancellation.CancelledException) {
                            return Future.failedFuture(ar.cause());
                        }
                        slots[slot] = ar.succeeded() ? ar.result() : new Done(p.found(), "failed", null, null, ar.cause().getMessage());
                        return Future.succeededFuture();
                    }));
        }
        List<Done> done = new ArrayList<>();
        return dev.ferry.transfer.BoundedParallel.run(tasks, PARALLEL_ARTIFACTS).compose(v -> {
            java.util.Collections.addAll(done, slots);
            return indexFallback(dst, subject, done);
        }).transform(ar -> {
            String indexed = ar.succeeded() ? ar.result() : null;
            Digest digest = subject.digest();
            for (Done d : done) {
                if (d == null) {
                    continue; // cancelled before this one was written
                }
                Found f = d.found();
                String detail;
                String status = d.status();
                if ("failed".equals(status)) {
                    detail = d.failure();
                    failures.add(f.digest() + ": " + d.failure());
                } else if (f.cosignTag()) {
                    detail = "tag";
                } else if (d.ociSubject() != null) {
                    detail = "subject";
                } else if (ar.failed()) {
                    status = "failed";
                    detail = "updating the fallback tag " + FallbackTags.indexTag(digest) + " failed: " + ar.cause().getMessage();
                    failures.add(f.digest() + ": " + detail);
                } else {
                    detail = indexed;
                }
                String artifactType = f.artifactType() != null || d.manifest() == null ? f.artifactType()
                        : FallbackTags.artifactType(d.manifest());
                listener.attachment(new Attachment(digest, f.digest(), f.mediaType(), artifactType, f.via(), f.tag(),
                        status, detail));
            }
            if (ar.failed() && ar.cause() instanceof Cancellation.CancelledException) {
                return Future.failedFuture(ar.cause());
            }
            return Future.succeededFuture();
        });
    }

    private static boolean cancelled(Cancellation c) {
        return c.isCancelled();
    }

    /** One prepared artifact's manifests: an index's children by digest, then the manifest itself, exact bytes. */
    private Future<Done> write(RegistryDestination dst, Prepared p) {
        Future<Void> children = Future.succeededFuture();
        for (ManifestResult child : p.children()) {
            ImageReference childRef = dst.reference().withTag(null).withDigest(child.digest());
            children = children.compose(v -> registry.manifestPut(dst.access(), childRef, child.contentType(), child.raw()).mapEmpty());
        }
        return children.compose(v -> registry.manifestPutAnswered(dst.access(), destination(dst, p.found()),
                        p.parsed().mediaType().value(), p.manifest().raw()))
                .map(put -> {
                    if (put.ociSubject() != null) {
                        discovery.rememberIndexesBySubject(dst.access().registry());
                    }
                    return new Done(p.found(), "copied", put.ociSubject(), p.parsed(), null);
                });
    }

    /**
     * The blobs of an image manifest, or of an index's children (each child read and checked, its blobs copied): the
     * children, to be written later by their exact bytes.
     */
    private Future<List<ManifestResult>> content(RegistrySource src, RegistryDestination dst, Manifest m,
                                                 Stop stop) {
        if (m instanceof ImageManifest image) {
            return blobs(src, dst, image, stop).map(v -> List.<ManifestResult>of());
        }
        List<ManifestResult> children = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (Descriptor child : ((ImageIndex) m).manifests()) {
            chain = chain.compose(v -> registry.manifestGet(src.access(), src.reference().withTag(null).withDigest(child.digest()))
                    .compose(cm -> {
                        Manifest c = cm.parse(src.describe() + "@" + child.digest());
                        if (!(c instanceof ImageManifest ci)) {
                            return Future.failedFuture(new FerryException(ProblemType.UNSUPPORTED_MANIFEST,
                                    "attached artifact " + m.digest() + ": nested indexes are not supported"));
                        }
                        children.add(new ManifestResult(cm.raw(), ci.mediaType().value(), cm.digest()));
                        return blobs(src, dst, ci, stop);
                    }));
        }
        return chain.map(v -> children);
    }

    private Future<Void> blobs(RegistrySource src, RegistryDestination dst, ImageManifest image, Stop stop) {
        List<Descriptor> all = new ArrayList<>();
        all.add(image.config());
        all.addAll(image.layers());
        List<java.util.function.Supplier<Future<?>>> tasks = new ArrayList<>();
        java.util.Set<Digest> distinct = new java.util.HashSet<>();
        for (Descriptor blob : all) {
            if (blob.mediaType().isForeignLayer() || !distinct.add(blob.digest())) {
                continue;
            }
            tasks.add(() -> stop.now() ? Future.failedFuture(new Cancellation.CancelledException())
                    : blob(src, dst, blob, stop));
        }
        return dev.ferry.transfer.BoundedParallel.run(tasks, PARALLEL_ARTIFACTS);
    }

    /**
     * Blobs up to this size are not asked for (HEAD) at the destination before they are written: they are only written
     * for an artifact whose manifest the destination does not have, and then they are almost never there either;
     * writing one that is there anyway costs about what the HEAD would (one request), while asking first costs a round
     * trip for every one that is not.
     */
    static final long SMALL_BLOB = 256 * 1024;

    /** Present → nothing (asked only for a blob over {@link #SMALL_BLOB}); same registry → mount; else streamed, verified as it passes. */
    private Future<Void> blob(RegistrySource src, RegistryDestination dst, Descriptor blob, Stop stop) {
        RegistryAccess to = dst.access();
        Future<Boolean> present = blob.size() >= 0 && blob.size() <= SMALL_BLOB ? Future.succeededFuture(false)
                : registry.blobHead(to, dst.reference(), blob.digest());
        return present.compose(there -> {
            if (there) {
                return Future.succeededFuture();
            }
            boolean sameRegistry = src.access().registry().equals(to.registry())
                    && !src.reference().repository().equals(dst.reference().repository());
            Future<Boolean> mounted = sameRegistry
                    ? registry.blobMount(to, dst.reference(), blob.digest(), src.reference()).otherwise(false)
                    : Future.succeededFuture(false);
            return mounted.compose(m -> m ? Future.<Void>succeededFuture()
                    : registry.blobCopyStream(src.access(), src.reference(), to, dst.reference(), blob, watch(stop.cancellation()))
                    .<Void>mapEmpty());
        });
    }

    private static StreamWatch watch(Cancellation cancellation) {
        return new StreamWatch() {
            @Override
            public void bytes(long n) {
            }

            @Override
            public Runnable onAbort(Runnable abort) {
                return cancellation.onCancel(abort);
            }
        };
    }

    /**
     * Keeps the destination's fallback index in step when a referrer was written without the registry indexing it
     * ({@code OCI-Subject} absent), from the index read ahead (else read now). Succeeds with {@code index-tag} when the
     * tag was written or already listed everything, {@code subject} when the destination has the API, or null when
     * nothing needed it.
     */
    private Future<String> indexFallback(RegistryDestination dst, Subject subject, List<Done> done) {
        List<Done> referrers = done.stream().filter(d -> d != null && !d.found().cosignTag() && !"failed".equals(d.status())).toList();
        if (referrers.isEmpty() || referrers.stream().anyMatch(d -> d.ociSubject() != null)) {
            return Future.succeededFuture(null);
        }
        boolean anyPushed = referrers.stream().anyMatch(d -> "copied".equals(d.status()));
        ImageReference tag = fallbackTag(dst, subject.digest());
        List<ObjectNode> descriptors = referrers.stream().map(d -> FallbackTags.descriptor(d.manifest(),
                d.found().artifactType() != null ? d.found().artifactType() : FallbackTags.artifactType(d.manifest()))).toList();
        Future<ManifestResult> read = subject.index() != null ? subject.index()
                : ReferrerDiscovery.absentAsNull(registry.manifestGet(dst.access(), tag));
        return read.compose(existing -> {
            byte[] merged = FallbackTags.merge(existing == null ? null : existing.raw(), descriptors);
            if (merged == null) {
                return Future.succeededFuture("index-tag");
            }
            // every referrer was already there: only a destination without the API needs the tag
            Future<Boolean> needed = anyPushed ? Future.succeededFuture(true)
                    : registry.referrersGet(dst.access(), dst.reference(), subject.digest(), null).map(api -> api == null);
            return needed.compose(need -> !need ? Future.succeededFuture("subject")
                    : registry.manifestPut(dst.access(), tag, MediaType.OCI_INDEX.value(), merged).map("index-tag"));
        });
    }
}
