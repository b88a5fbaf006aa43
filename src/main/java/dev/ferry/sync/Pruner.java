package dev.ferry.sync;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.ManifestHead;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.transfer.BoundedParallel;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Prune: delete at the destination the tags the source no longer has, within the sync's scope only — the destination
 * repositories the listed sources lead to, the tags there that the source's own filters (regex, semver, exclusion,
 * suffix) would select. Distribution deletes manifests by digest only, and a delete by digest removes every tag of
 * that manifest (skopeo#795), so a manifest that a tag outside the prune still points to is never deleted: that tag is
 * kept, and the outcome says why. At most {@code pruneMax} tags per run; a source that lists no tags prunes nothing.
 * In a dry run the plan is the result and nothing is deleted.
 */
final class Pruner {
    private static final int PARALLEL_HEADS = 8;

    private final RegistryClient registry;

    Pruner(RegistryClient registry) {
        this.registry = registry;
    }

    /** One source repository listed by tags, where its tags land, and every tag it has now. */
    record Scope(SyncSource source, ImageReference destinationRepository, Set<String> sourceTags) {
    }

    Future<List<PruneOutcome>> prune(List<Scope> scopes, SyncOptions o) {
        List<PruneOutcome> out = new ArrayList<>();
        int[] budget = {o.filters().pruneMax()};
        Future<Void> chain = Future.succeededFuture();
        for (Scope s : scopes) {
            chain = chain.compose(v -> pruneOne(s, o, budget).map(list -> {
                out.addAll(list);
                return null;
            }));
        }
        return chain.map(v -> out);
    }

    private Future<List<PruneOutcome>> pruneOne(Scope s, SyncOptions o, int[] budget) {
        ImageReference repo = s.destinationRepository();
        RegistryAccess access = o.destinationAccess();
        return registry.tagList(access, repo).recover(t -> t instanceof FerryException fe && fe.type() == ProblemType.REPOSITORY_NOT_FOUND
                ? Future.succeededFuture(List.of()) : Future.failedFuture(t)).compose(destTags -> {
            List<String> candidates = new ArrayList<>();
            for (String t : destTags) {
                String sourceTag = o.appendSuffix() == null ? t
                        : t.endsWith(o.appendSuffix()) ? t.substring(0, t.length() - o.appendSuffix().length()) : null;
                if (sourceTag != null && !sourceTag.isEmpty() && !dev.ferry.referrers.FallbackTags.isAttachmentTag(t)
                        && s.source().selects(sourceTag) && o.filters().keeps(sourceTag)
                        && !s.sourceTags().contains(sourceTag)) {
                    candidates.add(t);
                }
            }
            if (candidates.isEmpty()) {
                return Future.succeededFuture(List.<PruneOutcome>of());
            }
            if (s.sourceTags().isEmpty()) {
                return Future.succeededFuture(candidates.stream().map(t -> new PruneOutcome(repo.withTag(t).transportName(), null, "kept",
                        "the source lists no tags at all; nothing is pruned from an empty source")).toList());
            }
            Map<String, Digest> digests = new ConcurrentHashMap<>();
            List<Supplier<Future<?>>> heads = new ArrayList<>();
            for (String t : destTags) {
                heads.add(() -> registry.manifestHead(access, repo.withTag(t)).map((ManifestHead h) -> {
                    if (h != null) {
                        digests.put(t, h.digest());
                    }
                    return null;
                }));
            }
            return BoundedParallel.run(heads, PARALLEL_HEADS).compose(v -> decide(repo, access, candidates, destTags, digests, o, budget));
        });
    }

    private Future<List<PruneOutcome>> decide(ImageReference repo, RegistryAccess access, List<String> candidates, List<String> destTags,
                                              Map<String, Digest> digests, SyncOptions o, int[] budget) {
        Set<String> pruning = Set.copyOf(candidates);
        // in the order of the destination's tag list (lexical on distribution), so a capped prune goes tag by tag
        Map<Digest, List<String>> byDigest = new java.util.LinkedHashMap<>();
        for (String t : candidates) {
            Digest d = digests.get(t);
            if (d != null) {
                byDigest.computeIfAbsent(d, k -> new ArrayList<>()).add(t);
            }
        }
        List<PruneOutcome> out = new ArrayList<>();
        List<Future<?>> deletes = new ArrayList<>();
        for (Map.Entry<Digest, List<String>> e : byDigest.entrySet()) {
            Digest d = e.getKey();
            List<String> tags = e.getValue();
            List<String> others = destTags.stream().filter(t -> !pruning.contains(t) && d.equals(digests.get(t))).sorted().toList();
            if (!others.isEmpty()) {
                tags.forEach(t -> out.add(new PruneOutcome(repo.withTag(t).transportName(), d.toString(), "kept",
                        "manifest " + d + " is also tagged " + String.join(", ", others) + " (in use); the registry deletes by "
                                + "digest only, which would remove those tags too")));
                continue;
            }
            if (budget[0] < tags.size()) {
                tags.forEach(t -> out.add(new PruneOutcome(repo.withTag(t).transportName(), d.toString(), "kept",
                        "over pruneMax (" + o.filters().pruneMax() + " per run); pruned by a later run")));
                continue;
            }
            budget[0] -= tags.size();
            if (o.dryRun()) {
                tags.forEach(t -> out.add(new PruneOutcome(repo.withTag(t).transportName(), d.toString(), "planned", null)));
                continue;
            }
            int at = out.size();
            tags.forEach(t -> out.add(null));
            deletes.add(registry.manifestDelete(access, repo, d.toString()).transform(ar -> {
                for (int i = 0; i < tags.size(); i++) {
                    out.set(at + i, new PruneOutcome(repo.withTag(tags.get(i)).transportName(), d.toString(),
                            ar.succeeded() ? "pruned" : "failed", ar.succeeded() ? null : ar.cause().getMessage()));
                }
                return Future.succeededFuture();
            }));
        }
        return Future.all(deletes).map(v -> out);
    }
}
