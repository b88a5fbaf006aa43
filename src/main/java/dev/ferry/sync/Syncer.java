package dev.ferry.sync;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.MediaType;
import dev.ferry.oci.Platform;
import dev.ferry.registry.ManifestHead;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.transfer.Cancellation;
import dev.ferry.transfer.CopyPlanner;
import dev.ferry.transfer.ImageCopier;
import dev.ferry.transfer.RegistrySource;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * skopeo sync between registries: list what the sources select, name each image at the destination, then copy
 * the images a bounded number at a time. An image whose destination already has the source's manifest digest
 * is skipped after two HEADs (no manifest or blob is read); everything else goes through {@link ImageCopier}
 * (which moves each blob once, also across the images copied at the same time). Without {@code keepGoing} the
 * first failure stops new images from starting; either way the sync fails when an image failed, with every
 * image listed in {@link SyncFailedException#result()}.
 */
@ApplicationScoped
public class Syncer {
    private final RegistryClient registry;
    private final ImageCopier copier;
    private final FerryConfig config;

    public Syncer(RegistryClient registry, ImageCopier copier, FerryConfig config) {
        this.registry = registry;
        this.copier = copier;
        this.config = config;
    }

    /** One image to sync. */
    /** One image to copy; {@code sourceTags}: every tag of its source repository when the sync listed them, else null. */
    record Item(RegistryAccess srcAccess, ImageReference source, ImageReference destination, java.util.Set<String> sourceTags) {
        Item(RegistryAccess srcAccess, ImageReference source, ImageReference destination) {
            this(srcAccess, source, destination, null);
        }
    }

    /** The sync failed for {@code failed} images; the result lists them all. */
    public static final class SyncFailedException extends FerryException {
        private final transient SyncResult result;

        SyncFailedException(ProblemType type, String detail, SyncResult result) {
            super(type, detail);
            this.result = result;
        }

        public SyncResult result() {
            return result;
        }
    }

    public Future<SyncResult> sync(List<SyncSource> sources, SyncOptions o, SyncListener listener, Cancellation cancellation) {
        List<Pruner.Scope> scopes = java.util.Collections.synchronizedList(new ArrayList<>());
        return enumerate(sources, o, scopes).compose(items -> run(items, o, listener, cancellation)).compose(result ->
                !o.filters().prune() || cancellation.isCancelled() ? Future.succeededFuture(result)
                        : new Pruner(registry).prune(sortedScopes(scopes, sources), o).map(result::withPrune));
    }

    private static List<Pruner.Scope> sortedScopes(List<Pruner.Scope> scopes, List<SyncSource> sources) {
        List<Pruner.Scope> out = new ArrayList<>(scopes);
        out.sort(java.util.Comparator.comparingInt(sc -> sources.indexOf(sc.source())));
        return out;
    }

    /** The images every source selects, in source order, each with its destination. */
    Future<List<Item>> enumerate(List<SyncSource> sources, SyncOptions o) {
        return enumerate(sources, o, new ArrayList<>());
    }

    /** As above; each source listed by tags also adds its prune scope to {@code scopes}. */
    private Future<List<Item>> enumerate(List<SyncSource> sources, SyncOptions o, List<Pruner.Scope> scopes) {
        List<Future<List<Item>>> lists = new ArrayList<>();
        for (SyncSource s : sources) {
            java.util.concurrent.atomic.AtomicReference<java.util.Set<String>> listed = new java.util.concurrent.atomic.AtomicReference<>();
            Future<List<String>> refs = s.references().isEmpty()
                    ? registry.tagList(s.access(), s.repository()).compose(tags -> {
                        listed.set(java.util.Set.copyOf(tags));
                        scopes.add(new Pruner.Scope(s, SyncNaming.destination(o.destination(), s.repository().withTag("latest"),
                                o.scoped(), o.appendSuffix()).withTag(null), java.util.Set.copyOf(tags)));
                        return select(s, tags, o);
                    })
                    : Future.succeededFuture(s.references());
            lists.add(refs.map(rs -> {
                List<Item> items = new ArrayList<>();
                for (String r : rs) {
                    ImageReference src = r.startsWith("sha256:") || r.contains(":")
                            ? s.repository().withDigest(Digest.parse(r)) : s.repository().withTag(r);
                    if (o.filters().only() != null && !o.filters().only().contains(src.transportName())) {
                        continue;
                    }
                    items.add(new Item(s.access(), src, SyncNaming.destination(o.destination(), src, o.scoped(), o.appendSuffix()),
                            listed.get()));
                }
                return items;
            }));
        }
        return Future.all(lists).map(all -> {
            Map<ImageReference, Item> distinct = new LinkedHashMap<>();
            for (Future<List<Item>> f : lists) {
                f.result().forEach(i -> distinct.putIfAbsent(i.destination(), i));
            }
            return List.copyOf(distinct.values());
        });
    }

    /**
     * The copy options of one image: the sync's, plus the source tags it listed, so that finding an image's attached
     * artifacts costs no second listing of the same repository per image (30 images: 30 tag lists fewer).
     */
    private static dev.ferry.transfer.CopyOptions copyOptions(Item item, SyncOptions o) {
        dev.ferry.transfer.CopyOptions c = o.copy();
        return item.sourceTags() == null || !c.referrers().enabled() ? c
                : c.withReferrers(c.referrers().withSourceTags(item.sourceTags()));
    }

    /** Config reads at once when a filter needs creation times. */
    static final int PARALLEL_CONFIG_READS = 8;

    /** The tags of a listing that the source and the sync's filters select, in listing order. */
    private Future<List<String>> select(SyncSource s, List<String> tags, SyncOptions o) {
        TagFilters f = o.filters();
        List<String> picked = tags.stream().filter(s::selects).filter(f::keeps)
                // attachment tags (sha256-<hex>[.sig|.att|.sbom]) travel with their image (referrers/)
                .filter(t -> !o.copy().referrers().enabled() || !dev.ferry.referrers.FallbackTags.isAttachmentTag(t))
                .toList();
        if (!f.needsCreated()) {
            return Future.succeededFuture(f.newest(picked, Map.of(), java.time.Instant.now()));
        }
        Map<String, java.time.Instant> created = new java.util.concurrent.ConcurrentHashMap<>();
        List<java.util.function.Supplier<Future<?>>> reads = new ArrayList<>();
        for (String t : picked) {
            reads.add(() -> createdOf(s.access(), s.repository().withTag(t), o).map(at -> {
                if (at != null) {
                    created.put(t, at);
                }
                return null;
            }));
        }
        return dev.ferry.transfer.BoundedParallel.run(reads, PARALLEL_CONFIG_READS)
                .map(v -> f.newest(picked, created, java.time.Instant.now()));
    }

    /** The image config's {@code created} (for an index: the selected platform's), or null when it has none. */
    private Future<java.time.Instant> createdOf(RegistryAccess access, ImageReference ref, SyncOptions o) {
        return registry.manifestGet(access, ref).compose(m -> {
            Manifest parsed = m.parse(ref);
            if (parsed instanceof ImageIndex index) {
                ImageReference child = ref.withTag(null).withDigest(CopyPlanner.pick(index, platform(o), ref.toString()).digest());
                return registry.manifestGet(access, child).compose(cm -> configCreated(access, child, cm.parse(child)));
            }
            return configCreated(access, ref, parsed);
        }).recover(t -> Future.succeededFuture(null));
    }

    private Future<java.time.Instant> configCreated(RegistryAccess access, ImageReference ref, Manifest m) {
        if (!(m instanceof ImageManifest image)) {
            return Future.succeededFuture(null);
        }
        return registry.blobGetBounded(access, ref, image.config().digest(), config.limits().manifestBytes(),
                "reading the config of " + ref).map(bytes -> {
            Object created = new io.vertx.core.json.JsonObject(io.vertx.core.buffer.Buffer.buffer(bytes)).getValue("created");
            if (!(created instanceof String text)) {
                return null;
            }
            try {
                return java.time.OffsetDateTime.parse(text).toInstant();
            } catch (java.time.DateTimeException e) {
                return null;
            }
        });
    }

    /** Images checked at once (two HEADs each); copies are bounded by parallelImages on top of this. */
    static final int PARALLEL_CHECKS = 16;

    /** What the images of one sync share: the copy slots, and the first copy of each digest into each repository. */
    private static final class Shared {
        final Limiter copies;
        /** repository@digest -> the first copy of it (later tags of the same digest only push the manifest). */
        final Map<String, Future<Void>> firstCopies = new java.util.concurrent.ConcurrentHashMap<>();
        final Map<String, Future<ManifestResult>> manifests = new java.util.concurrent.ConcurrentHashMap<>();
        /** In a dry run: repository@blob digests already counted as bytes to move. */
        final java.util.Set<String> plannedBlobs = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /** Destination repository -> its tags, listed once per sync when immutable tags are configured. */
        final Map<String, Future<java.util.Set<String>>> destinationTags = new java.util.concurrent.ConcurrentHashMap<>();
        /** Set when an image failed without keepGoing: copies not yet started never start. */
        final AtomicBoolean stop = new AtomicBoolean();

        Shared(int parallelImages) {
            this.copies = new Limiter(parallelImages);
        }
    }

    /** An image whose copy was never started because another failed (keepGoing off). */
    private static final class NotStarted extends RuntimeException {
        NotStarted() {
            super("not started", null, false, false);
        }
    }

    /** Runs {@code copy} in a copy slot, unless the sync has been stopped by then. */
    private static <T> Future<T> inSlot(Shared shared, java.util.function.Supplier<Future<T>> copy) {
        return shared.copies.submit(() -> shared.stop.get() ? Future.failedFuture(new NotStarted()) : copy.get());
    }

    /** At most {@code limit} tasks running; the others wait in order. Safe from any thread. */
    static final class Limiter {
        private final int limit;
        private int running;
        private final java.util.ArrayDeque<Runnable> waiting = new java.util.ArrayDeque<>();

        Limiter(int limit) {
            this.limit = limit;
        }

        <T> Future<T> submit(java.util.function.Supplier<Future<T>> task) {
            Promise<T> p = Promise.promise();
            Runnable start = () -> {
                Future<T> f;
                try {
                    f = task.get();
                } catch (RuntimeException e) {
                    f = Future.failedFuture(e);
                }
                f.onComplete(ar -> {
                    release();
                    p.handle(ar);
                });
            };
            boolean now;
            synchronized (this) {
                now = running < limit;
                if (now) {
                    running++;
                } else {
                    waiting.add(start);
                }
            }
            if (now) {
                start.run();
            }
            return p.future();
        }

        private void release() {
            Runnable next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    running--;
                }
            }
            if (next != null) {
                next.run();
            }
        }
    }

    private Future<SyncResult> run(List<Item> items, SyncOptions o, SyncListener listener, Cancellation cancellation) {
        Shared shared = new Shared(o.parallelImages());
        ImageOutcome[] outcomes = new ImageOutcome[items.size()];
        ProblemType[] problems = new ProblemType[items.size()];
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = shared.stop;
        AtomicInteger workers = new AtomicInteger(Math.max(1, Math.min(Math.max(PARALLEL_CHECKS, o.parallelImages()), items.size())));
        Promise<SyncResult> done = Promise.promise();
        Runnable[] worker = new Runnable[1];
        worker[0] = () -> {
            int i = stop.get() || cancellation.isCancelled() ? items.size() : next.getAndIncrement();
            if (i >= items.size()) {
                if (workers.decrementAndGet() == 0) {
                    done.handle(conclude(items, outcomes, problems, cancellation));
                }
                return;
            }
            Item item = items.get(i);
            Future<ImageOutcome> one;
            try {
                one = o.dryRun() ? plan(item, o, shared) : syncOne(item, o, listener, cancellation, shared);
            } catch (RuntimeException e) {
                one = Future.failedFuture(e);
            }
            one.recover(t -> {
                if (t instanceof NotStarted) {
                    return Future.succeededFuture(null);
                }
                problems[i] = t instanceof FerryException fe ? fe.type() : ProblemType.INTERNAL;
                return Future.succeededFuture(failed(item, t));
            }).onComplete(ar -> {
                ImageOutcome outcome = ar.result();
                if (outcome == null) {
                    worker[0].run();
                    return;
                }
                outcomes[i] = outcome;
                listener.imageEnded(outcome);
                if ("failed".equals(outcome.state()) && !o.keepGoing()) {
                    stop.set(true);
                }
                worker[0].run();
            });
        };
        int n = workers.get();
        if (items.isEmpty()) {
            return Future.succeededFuture(SyncResult.of(List.of()));
        }
        for (int w = 0; w < n; w++) {
            worker[0].run();
        }
        return done.future();
    }

    /** Every image that was tried, in listing order; a failure when any failed (or cancelled). */
    private static io.vertx.core.AsyncResult<SyncResult> conclude(List<Item> items, ImageOutcome[] outcomes, ProblemType[] problems,
                                                                  Cancellation cancellation) {
        if (cancellation.isCancelled()) {
            return Future.failedFuture(new Cancellation.CancelledException());
        }
        List<ImageOutcome> listed = new ArrayList<>();
        ImageOutcome firstFailure = null;
        ProblemType type = ProblemType.REGISTRY_ERROR;
        int notStarted = 0;
        for (int i = 0; i < outcomes.length; i++) {
            ImageOutcome o = outcomes[i];
            if (o == null) {
                notStarted++;
                continue;
            }
            if ("failed".equals(o.state()) && firstFailure == null) {
                firstFailure = o;
                type = problems[i] != null ? problems[i] : type;
            }
            listed.add(o);
        }
        SyncResult result = SyncResult.of(listed);
        if (result.failed() == 0) {
            return Future.succeededFuture(result);
        }
        String detail = result.failed() + " of " + items.size() + " images failed"
                + (notStarted > 0 ? " (" + notStarted + " not started: keepGoing is off)" : "")
                + "; first " + firstFailure.source() + " -> " + firstFailure.destination() + ": " + firstFailure.reason();
        return Future.failedFuture(new SyncFailedException(type, detail, result));
    }

    private static ImageOutcome failed(Item item, Throwable t) {
        String why = t instanceof FerryException fe ? fe.getMessage()
                : t instanceof Cancellation.CancelledException ? "cancelled" : "unexpected failure: " + t.getClass().getSimpleName();
        return new ImageOutcome(item.source().transportName(), item.destination().transportName(), "failed", null, null, null, why);
    }

    /**
     * The digest the destination should end up with ({@code target}): the source's; without all, the selected
     * platform's; with platforms rewritten, the rewritten index's, and then {@code rewrittenFrom} is the source's.
     */
    record Expected(Digest target, Digest rewrittenFrom) {
    }

    /**
     * Source index digest + platform choice -> the digest of the index Ferry rewrites from it. The rewrite is
     * deterministic, so once known, a re-run asks the source for a HEAD only (no GET of the index) as for any image;
     * the first run after a start reads the index once. Bounded; the eldest entries go.
     */
    private final Map<String, Digest> rewrites = java.util.Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Digest> eldest) {
            return size() > REWRITES_KEPT;
        }
    });
    static final int REWRITES_KEPT = 4096;

    private Future<Expected> sourceDigest(Item item, SyncOptions o) {
        return registry.manifestHead(item.srcAccess(), item.source()).compose(head -> {
            if (head == null) {
                return Future.failedFuture(noSuchImage(item));
            }
            return expected(item, o, head, pinned -> registry.manifestGet(item.srcAccess(), pinned));
        });
    }

    private static FerryException noSuchImage(Item item) {
        return new FerryException(ProblemType.IMAGE_NOT_FOUND,
                "checking manifest " + item.source().reference() + " in " + item.source().name() + ": no such image");
    }

    /** The source's top manifest read whole (a missing one is the same problem as after a HEAD). */
    private Future<ManifestResult> readSource(Item item) {
        return registry.manifestGet(item.srcAccess(), item.source()).recover(t -> Future.failedFuture(
                t instanceof FerryException fe && (fe.type() == ProblemType.IMAGE_NOT_FOUND || fe.type() == ProblemType.REPOSITORY_NOT_FOUND)
                        ? noSuchImage(item) : t));
    }

    /**
     * What {@link #sourceDigest(Item, SyncOptions)} says, from what the source said at a HEAD ({@code head}); {@code read}
     * gives the manifest by digest when an index must be looked into.
     */
    private Future<Expected> expected(Item item, SyncOptions o, ManifestHead head,
                                      java.util.function.Function<ImageReference, Future<ManifestResult>> read) {
        {
            dev.ferry.transfer.PlatformChoice subset = o.copy().platforms();
            if (o.copy().all() || head.mediaType() == null || !MediaType.of(head.mediaType()).isIndex()
                    || (subset != null && !subset.rewrite())) {
                return Future.succeededFuture(new Expected(head.digest(), null));
            }
            String key = subset == null ? null : head.digest() + " " + subset;
            Digest known = key == null ? null : rewrites.get(key);
            if (known != null) {
                return Future.succeededFuture(new Expected(known, known.equals(head.digest()) ? null : head.digest()));
            }
            ImageReference pinned = item.source().withDigest(head.digest());
            return read.apply(pinned).map(m -> {
                Manifest parsed = m.parse(pinned);
                if (!(parsed instanceof ImageIndex index)) {
                    return new Expected(m.digest(), null);
                }
                if (subset == null) {
                    return new Expected(CopyPlanner.pick(index, platform(o), pinned.toString()).digest(), null);
                }
                Digest rewritten = CopyPlanner.subset(index, subset, pinned.toString()).rewrite().digest();
                rewrites.put(key, rewritten);
                return new Expected(rewritten, rewritten.equals(head.digest()) ? null : head.digest());
            });
        }
    }

    /**
     * Whether the item is an immutable tag the destination has already: one tag list per destination repository
     * answers it for every tag there, and the source is not asked at all.
     */
    private Future<Boolean> immutablePresent(Item item, SyncOptions o, Shared shared) {
        if (!o.filters().isImmutable(item.source().tag()) || item.destination().tag() == null) {
            return Future.succeededFuture(false);
        }
        ImageReference repo = item.destination().withTag(null);
        return destinationTags(item, o, shared).map(tags -> tags != null && tags.contains(item.destination().tag()));
    }

    /**
     * The tags of the item's destination repository, listed once per sync (shared by every image synced there): empty
     * when the repository does not exist yet; null when it cannot be listed (then each image is asked with a HEAD).
     */
    private Future<java.util.Set<String>> destinationTags(Item item, SyncOptions o, Shared shared) {
        ImageReference repo = item.destination().withTag(null).withDigest(null);
        return shared.destinationTags.computeIfAbsent(repo.name(), k -> registry.tagList(o.destinationAccess(), repo)
                .<java.util.Set<String>>map(java.util.Set::copyOf)
                .recover(t -> Future.succeededFuture(t instanceof FerryException fe && fe.type() == ProblemType.REPOSITORY_NOT_FOUND
                        ? java.util.Set.of() : null)));
    }

    private static final String IMMUTABLE_PRESENT = "immutable tag present at the destination (not read at the source)";

    private Future<ImageOutcome> syncOne(Item item, SyncOptions o, SyncListener listener, Cancellation cancellation, Shared shared) {
        return immutablePresent(item, o, shared).compose(present -> present
                ? Future.succeededFuture(new ImageOutcome(item.source().transportName(), item.destination().transportName(),
                        "skipped", null, null, 0L, IMMUTABLE_PRESENT))
                : syncChanged(item, o, listener, cancellation, shared));
    }

    /**
     * An image the sync may have to copy. A tag the destination's listing lacks is not asked for with a HEAD there, and
     * the source manifest the copy needs is read once, whole (no HEAD first): a new image costs no request more than
     * the copy itself. Otherwise both sides are asked with a HEAD, and an unchanged image is skipped without a GET.
     */
    private Future<ImageOutcome> syncChanged(Item item, SyncOptions o, SyncListener listener, Cancellation cancellation, Shared shared) {
        Future<java.util.Set<String>> listed = item.destination().tag() == null ? Future.succeededFuture(null)
                : destinationTags(item, o, shared);
        return listed.compose(tags -> {
            if (tags != null && !tags.contains(item.destination().tag())) {
                return readSource(item).compose(top -> expected(item, o, new ManifestHead(top.digest(), top.contentType()),
                                pinned -> pinned.digest().equals(top.digest()) ? Future.succeededFuture(top)
                                        : registry.manifestGet(item.srcAccess(), pinned))
                        .compose(expected -> changed(item, o, listener, cancellation, shared, expected, null, top)));
            }
            Future<ManifestHead> there = registry.manifestHead(o.destinationAccess(), item.destination());
            return sourceDigest(item, o).compose(expected -> there.compose(head ->
                    changed(item, o, listener, cancellation, shared, expected, head, null)));
        });
    }

    /**
     * The image, given what the source should end up as ({@code expected}) and what the destination has ({@code head},
     * null: nothing under the tag); {@code top}: the source manifest when already read, else null.
     */
    private Future<ImageOutcome> changed(Item item, SyncOptions o, SyncListener listener, Cancellation cancellation, Shared shared,
                                         Expected expected, ManifestHead head, ManifestResult top) {
        String src = item.source().transportName();
        String dst = item.destination().transportName();
        {
            Digest digest = expected.target();
            if (head != null && head.digest().equals(digest)) {
                return Future.succeededFuture(new ImageOutcome(src, dst, "skipped", null, digest.toString(), 0L,
                        expected.rewrittenFrom() != null ? "the destination has the index rewritten for these platforms"
                                : "the destination has this digest").rewrittenFrom(expected.rewrittenFrom()));
            }
            if (cancellation.isCancelled()) {
                return Future.failedFuture(new Cancellation.CancelledException());
            }
            listener.imageStarted(src, dst);
            String key = item.destination().name() + "@" + digest;
            Promise<Void> mine = Promise.promise();
            Future<Void> first = shared.firstCopies.putIfAbsent(key, mine.future());
            if (first == null) {
                if (top != null && top.digest().equals(digest)) {
                    shared.manifests.putIfAbsent(item.source().name() + "@" + digest, Future.succeededFuture(top));
                }
                return inSlot(shared, () -> copier.copyChecked(item.srcAccess(), item.source(), o.destinationAccess(),
                                item.destination(), copyOptions(item, o), listener.copies(), cancellation, top))
                        .onComplete(ar -> mine.handle(ar.mapEmpty()))
                        .map(r -> new ImageOutcome(src, dst, "copied", null, r.digest().toString(), r.bytesCopied(), null)
                                .rewrittenFrom(expected.rewrittenFrom()));
            }
            // the same manifest is being copied into this repository under another tag: once that is done, only
            // this tag's manifest is pushed (its blobs and children are there); if it failed, copy in full
            return first.transform(ar -> ar.succeeded()
                    ? inSlot(shared, () -> tagOnly(item, expected, o, listener, shared))
                            .map(pushed -> new ImageOutcome(src, dst, "copied", null, digest.toString(), 0L, null)
                                    .rewrittenFrom(expected.rewrittenFrom()))
                    : inSlot(shared, () -> copier.copyChecked(item.srcAccess(), item.source(), o.destinationAccess(),
                                    item.destination(), copyOptions(item, o), listener.copies(), cancellation, top))
                            .map(r -> new ImageOutcome(src, dst, "copied", null, r.digest().toString(), r.bytesCopied(), null)
                                    .rewrittenFrom(expected.rewrittenFrom())));
        }
    }

    /**
     * Pushes the manifest {@code digest} (read once per sync) under the destination's tag: read at the source, or for a
     * rewritten index (which only the destination holds) at the destination, where the first copy pushed it.
     */
    private Future<Digest> tagOnly(Item item, Expected expected, SyncOptions o, SyncListener listener, Shared shared) {
        Digest digest = expected.target();
        boolean rewritten = expected.rewrittenFrom() != null;
        ImageReference byDigest = (rewritten ? item.destination() : item.source()).withTag(null).withDigest(digest);
        Future<ManifestResult> raw = shared.manifests.computeIfAbsent(byDigest.name() + "@" + digest,
                k -> registry.manifestGet(rewritten ? o.destinationAccess() : item.srcAccess(), byDigest));
        return raw.compose(m -> {
            String mediaType = m.parse(byDigest).mediaType().value();
            ImageReference to = item.destination();
            return registry.manifestPut(o.destinationAccess(), to, mediaType, m.raw()).onSuccess(d ->
                    listener.copies().manifestPushed(d, mediaType, to.tag() != null ? to.tag() : d.toString()));
        });
    }

    /**
     * A dry run of one image: its digest, and the bytes of the blobs the destination lacks (each asked with a HEAD),
     * a blob shared with another image of the sync counted once, so the bytes of all images add up to what would move.
     */
    private Future<ImageOutcome> plan(Item item, SyncOptions o, Shared shared) {
        return immutablePresent(item, o, shared).compose(present -> present
                ? Future.succeededFuture(new ImageOutcome(item.source().transportName(), item.destination().transportName(),
                        "planned", "skip", null, 0L, IMMUTABLE_PRESENT))
                : planChanged(item, o, shared));
    }

    private Future<ImageOutcome> planChanged(Item item, SyncOptions o, Shared shared) {
        String src = item.source().transportName();
        String dst = item.destination().transportName();
        Future<ManifestHead> there = registry.manifestHead(o.destinationAccess(), item.destination());
        return CopyPlanner.plan(new RegistrySource(registry, item.srcAccess(), item.source()), o.copy(), platform(o))
                .compose(plan -> there.compose(head -> {
                    Digest digest = plan.target();
                    if (head != null && head.digest().equals(digest)) {
                        return Future.succeededFuture(new ImageOutcome(src, dst, "planned", "skip", digest.toString(), 0L, null)
                                .rewrittenFrom(plan.rewrittenFrom()));
                    }
                    return missingBytes(plan.images(), item.destination(), o, shared)
                            .map(bytes -> new ImageOutcome(src, dst, "planned", "copy", digest.toString(), bytes, null)
                                    .rewrittenFrom(plan.rewrittenFrom()));
                }));
    }

    private Future<Long> missingBytes(List<ImageManifest> images, ImageReference destination, SyncOptions o, Shared shared) {
        Map<Digest, Descriptor> blobs = new LinkedHashMap<>();
        for (ImageManifest image : images) {
            blobs.putIfAbsent(image.config().digest(), image.config());
            for (Descriptor layer : image.layers()) {
                if (!layer.mediaType().isForeignLayer()) {
                    blobs.putIfAbsent(layer.digest(), layer);
                }
            }
        }
        List<Future<Long>> sizes = new ArrayList<>();
        for (Descriptor d : blobs.values()) {
            // a blob several planned images need into one repository is counted once (by the first to ask)
            sizes.add(registry.blobHead(o.destinationAccess(), destination, d.digest()).map(present ->
                    present || !shared.plannedBlobs.add(destination.name() + "@" + d.digest()) ? 0L : d.size()));
        }
        return Future.all(sizes).map(v -> sizes.stream().mapToLong(Future::result).sum());
    }

    private Platform platform(SyncOptions o) {
        if (o.copy().platforms() != null) {
            return o.copy().platforms().platforms().get(0);
        }
        if (o.copy().platform() != null) {
            return o.copy().platform();
        }
        FerryConfig.DefaultPlatform d = config.platform();
        return Platform.of(d.os(), d.arch(), d.variant().orElse(null));
    }


}
