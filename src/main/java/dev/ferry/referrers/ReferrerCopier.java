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
 * Copies what is attached to an image after the image ({@link AfterImagePush}, order 100): for each manifest the copy
 * put at the destination (the top one, and each platform image of an index), its referrers and cosign tags as
 * {@link ReferrerDiscovery} finds them at the source.
 * <p>
 * Per artifact, cheapest first: the destination already has it (a HEAD by digest, or its cosign tag already points at
 * that digest) → {@code exists}; else its blobs (HEAD, mount within one registry, else streamed and verified), for an
 * index its child manifests by digest, then the manifest itself, by its exact bytes: a referrer by its digest, a
 * cosign tag under its tag (a different manifest under that tag at the destination is replaced: the source is what is
 * promoted). A registry that answers a referrer's push with {@code OCI-Subject} indexes it itself; otherwise Ferry
 * maintains the destination's {@code sha256-<hex>} fallback index: what is there is kept, exactly, and the missing
 * descriptors appended (two copies updating the same fallback tag at the same moment can lose one's entry: the
 * registry API has no conditional write; a later copy adds it again).
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

    /** One artifact's outcome, before the fallback index decides how a copied referrer was indexed. */
    private record Done(Found found, String status, String ociSubject, Manifest manifest, String failure) {
    }

    @Override
    public Future<Void> imagePushed(PushedImage image, CopyListener listener, Cancellation cancellation) {
        if (!image.options().referrers().enabled()) {
            return Future.succeededFuture();
        }
        Digest top = image.pushed().get(0);
        if (!(image.source() instanceof RegistrySource src) || !(image.destination() instanceof RegistryDestination dst)) {
            listener.attachment(new Attachment(top, null, null, null, null, null, "skipped",
                    "attached artifacts travel between registries only"));
            return Future.succeededFuture();
        }
        if (image.digestsChanged()) {
            listener.attachment(new Attachment(top, null, null, null, null, null, "skipped",
                    "the copy changed digests, so the artifacts attached to the source's digests name nothing here"));
            return Future.succeededFuture();
        }
        List<Future<List<Found>>> found = new ArrayList<>();
        java.util.Set<String> listed = image.options().referrers().sourceTags();
        Future<java.util.Set<String>> tags = listed != null ? Future.succeededFuture(listed)
                : discovery.tags(src.access(), src.reference());
        for (Digest subject : image.pushed()) {
            found.add(discovery.attachedTo(src.access(), src.reference(), subject, image.options().referrers(), tags));
        }
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        return Future.join(new ArrayList<>(found)).transform(ignored -> {
            List<Future<Void>> subjects = new ArrayList<>();
            for (int i = 0; i < found.size(); i++) {
                Digest subject = image.pushed().get(i);
                Future<List<Found>> f = found.get(i);
                if (f.failed()) {
                    if (f.cause() instanceof Cancellation.CancelledException) {
                        return Future.failedFuture(f.cause());
                    }
                    String why = "listing what is attached to " + subject + " failed: " + f.cause().getMessage();
                    failures.add(why);
                    listener.attachment(new Attachment(subject, null, null, null, null, null, "failed", why));
                    continue;
                }
                subjects.add(copySubject(src, dst, subject, f.result(), listener, cancellation, failures));
            }
            return Future.join(new ArrayList<>(subjects)).transform(all -> {
                for (Future<Void> one : subjects) {
                    if (one.failed()) {
                        return Future.<Void>failedFuture(one.cause());
                    }
                }
                return Future.<Void>succeededFuture();
            });
        }).compose(v -> failures.isEmpty() ? Future.<Void>succeededFuture()
                : Future.failedFuture(new FerryException(ProblemType.REFERRERS_INCOMPLETE, "the image is at "
                        + dst.describe() + ", but " + failures.size() + " of its attached artifacts could not be copied: "
                        + failures.get(0))));
    }

    /** Every artifact of one subject, one after the other; then the fallback index if the destination needs one. */
    private Future<Void> copySubject(RegistrySource src, RegistryDestination dst, Digest subject, List<Found> found,
                                     CopyListener listener, Cancellation cancellation, List<String> failures) {
        Done[] slots = new Done[found.size()];
        List<java.util.function.Supplier<Future<?>>> tasks = new ArrayList<>();
        for (int i = 0; i < found.size(); i++) {
            Found f = found.get(i);
            int slot = i;
            tasks.add(() -> cancelled(cancellation) ? Future.failedFuture(new Cancellation.CancelledException())
                    : copyOne(src, dst, f, cancellation).transform(ar -> {
                        if (ar.failed() && ar.cause() instanceof Cancellation.CancelledException) {
                            return Future.failedFuture(ar.cause());
                        }
                        slots[slot] = ar.succeeded() ? ar.result() : new Done(f, "failed", null, null, ar.cause().getMessage());
                        return Future.succeededFuture();
                    }));
        }
        List<Done> done = new ArrayList<>();
        return dev.ferry.transfer.BoundedParallel.run(tasks, PARALLEL_ARTIFACTS).compose(v -> {
            java.util.Collections.addAll(done, slots);
            return indexFallback(dst, subject, done);
        }).transform(ar -> {
            String indexed = ar.succeeded() ? ar.result() : null;
            for (Done d : done) {
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
                    detail = "updating the fallback tag " + FallbackTags.indexTag(subject) + " failed: " + ar.cause().getMessage();
                    failures.add(f.digest() + ": " + detail);
                } else {
                    detail = indexed;
                }
                String artifactType = f.artifactType() != null || d.manifest() == null ? f.artifactType()
                        : FallbackTags.artifactType(d.manifest());
                listener.attachment(new Attachment(subject, f.digest(), f.mediaType(), artifactType, f.via(), f.tag(),
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

    /** One artifact: skipped when there, else its blobs (and children), then its manifest. */
    private Future<Done> copyOne(RegistrySource src, RegistryDestination dst, Found f, Cancellation cancellation) {
        ImageReference to = f.cosignTag() ? dst.reference().withDigest(null).withTag(f.tag())
                : dst.reference().withTag(null).withDigest(f.digest());
        Future<ManifestResult> read = f.manifest() != null ? Future.succeededFuture(f.manifest())
                : registry.manifestGet(src.access(), src.reference().withTag(null).withDigest(f.digest()));
        return read.compose(m -> {
            Manifest parsed = m.parse(src.describe() + "@" + m.digest());
            return registry.manifestHead(dst.access(), to).compose(head -> {
                if (head != null && head.digest().equals(m.digest())) {
                    return Future.succeededFuture(new Done(f, "exists", null, parsed, null));
                }
                return content(src, dst, parsed, cancellation)
                        .compose(v -> registry.manifestPutAnswered(dst.access(), to, parsed.mediaType().value(), m.raw()))
                        .map(put -> new Done(f, "copied", put.ociSubject(), parsed, null));
            });
        });
    }

    /** The blobs of an image manifest, or an index's children (blobs, then the child by digest). */
    private Future<Void> content(RegistrySource src, RegistryDestination dst, Manifest m, Cancellation cancellation) {
        if (m instanceof ImageManifest image) {
            return blobs(src, dst, image, cancellation);
        }
        Future<Void> chain = Future.succeededFuture();
        for (Descriptor child : ((ImageIndex) m).manifests()) {
            chain = chain.compose(v -> registry.manifestGet(src.access(), src.reference().withTag(null).withDigest(child.digest()))
                    .compose(cm -> {
                        Manifest c = cm.parse(src.describe() + "@" + child.digest());
                        if (!(c instanceof ImageManifest ci)) {
                            return Future.failedFuture(new FerryException(ProblemType.UNSUPPORTED_MANIFEST,
                                    "attached artifact " + m.digest() + ": nested indexes are not supported"));
                        }
                        ImageReference childRef = dst.reference().withTag(null).withDigest(child.digest());
                        return blobs(src, dst, ci, cancellation)
                                .compose(v2 -> registry.manifestPut(dst.access(), childRef, ci.mediaType().value(), cm.raw()))
                                .<Void>mapEmpty();
                    }));
        }
        return chain;
    }

    private Future<Void> blobs(RegistrySource src, RegistryDestination dst, ImageManifest image, Cancellation cancellation) {
        List<Descriptor> all = new ArrayList<>();
        all.add(image.config());
        all.addAll(image.layers());
        List<java.util.function.Supplier<Future<?>>> tasks = new ArrayList<>();
        java.util.Set<Digest> distinct = new java.util.HashSet<>();
        for (Descriptor blob : all) {
            if (blob.mediaType().isForeignLayer() || !distinct.add(blob.digest())) {
                continue;
            }
            tasks.add(() -> cancelled(cancellation) ? Future.failedFuture(new Cancellation.CancelledException())
                    : blob(src, dst, blob, cancellation));
        }
        return dev.ferry.transfer.BoundedParallel.run(tasks, PARALLEL_ARTIFACTS);
    }

    /** Present → nothing; same registry → mount; else streamed, verified as it passes. */
    private Future<Void> blob(RegistrySource src, RegistryDestination dst, Descriptor blob, Cancellation cancellation) {
        RegistryAccess to = dst.access();
        return registry.blobHead(to, dst.reference(), blob.digest()).compose(there -> {
            if (there) {
                return Future.succeededFuture();
            }
            boolean sameRegistry = src.access().registry().equals(to.registry())
                    && !src.reference().repository().equals(dst.reference().repository());
            Future<Boolean> mounted = sameRegistry
                    ? registry.blobMount(to, dst.reference(), blob.digest(), src.reference()).otherwise(false)
                    : Future.succeededFuture(false);
            return mounted.compose(m -> m ? Future.<Void>succeededFuture()
                    : registry.blobCopyStream(src.access(), src.reference(), to, dst.reference(), blob, watch(cancellation))
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
     * ({@code OCI-Subject} absent). Succeeds with {@code index-tag} when the tag was written, {@code indexed} when
     * it already listed everything, or null when nothing needed it.
     */
    private Future<String> indexFallback(RegistryDestination dst, Digest subject, List<Done> done) {
        List<Done> referrers = done.stream().filter(d -> !d.found().cosignTag() && !"failed".equals(d.status())).toList();
        if (referrers.isEmpty() || referrers.stream().anyMatch(d -> d.ociSubject() != null)) {
            return Future.succeededFuture(null);
        }
        boolean anyPushed = referrers.stream().anyMatch(d -> "copied".equals(d.status()));
        ImageReference tag = dst.reference().withDigest(null).withTag(FallbackTags.indexTag(subject));
        List<ObjectNode> descriptors = referrers.stream().map(d -> FallbackTags.descriptor(d.manifest(),
                d.found().artifactType() != null ? d.found().artifactType() : FallbackTags.artifactType(d.manifest()))).toList();
        return ReferrerDiscovery.absentAsNull(registry.manifestGet(dst.access(), tag)).compose(existing -> {
            byte[] merged = FallbackTags.merge(existing == null ? null : existing.raw(), descriptors);
            if (merged == null) {
                return Future.succeededFuture("index-tag");
            }
            // every referrer was already there: only a destination without the API needs the tag
            Future<Boolean> needed = anyPushed ? Future.succeededFuture(true)
                    : registry.referrersGet(dst.access(), dst.reference(), subject, null).map(api -> api == null);
            return needed.compose(need -> !need ? Future.succeededFuture("subject")
                    : registry.manifestPut(dst.access(), tag, MediaType.OCI_INDEX.value(), merged).map("index-tag"));
        });
    }
}
