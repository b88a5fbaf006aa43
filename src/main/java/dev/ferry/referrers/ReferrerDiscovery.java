package dev.ferry.referrers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.OciFormatException;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.transfer.ReferrerOptions;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * What is attached to an image in a registry repository. The referrers API first
 * ({@code GET /v2/<name>/referrers/<digest>}, with the {@code artifactType} filter when one type is asked for);
 * where the registry has none (404, as distribution 2.8; remembered per registry for ten minutes, so it is not asked
 * again for every image), the {@code sha256-<hex>} fallback index tag. cosign's
 * {@code .sig/.att/.sbom} tags are read in both cases (cosign writes them whatever the registry supports). Filtered
 * by artifact type here too, since a registry may ignore the filter. Which of the schema's tags exist is read from one
 * tag list (a repository too large to list is asked tag by tag). Referrers of referrers are not followed.
 */
@ApplicationScoped
public class ReferrerDiscovery {
    /** How long a registry that answered "no referrers API" is not asked again (it may be upgraded meanwhile). */
    static final java.time.Duration API_ABSENCE_TTL = java.time.Duration.ofMinutes(10);
    private final RegistryClient registry;
    private final java.time.Clock clock;
    private final java.util.Map<String, java.time.Instant> withoutApi = new java.util.concurrent.ConcurrentHashMap<>();

    public ReferrerDiscovery(RegistryClient registry, java.time.Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    private final java.util.Map<String, java.time.Instant> indexingBySubject = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A destination answered a referrer's push with {@code OCI-Subject}: it indexes referrers itself, so a copy there
     * does not read its fallback index ahead (remembered as long as an absent API).
     */
    void rememberIndexesBySubject(String registryHost) {
        indexingBySubject.put(registryHost, clock.instant().plus(API_ABSENCE_TTL));
    }

    /** Whether {@code registryHost} recently answered a referrer's push with {@code OCI-Subject}. */
    boolean knownToIndexBySubject(String registryHost) {
        java.time.Instant until = indexingBySubject.get(registryHost);
        return until != null && clock.instant().isBefore(until);
    }

    private boolean knownWithoutApi(String registryHost) {
        java.time.Instant until = withoutApi.get(registryHost);
        return until != null && clock.instant().isBefore(until);
    }

    /** Everything attached to {@code subject} in {@code repo} that {@code options} wants: referrers, then cosign tags. */
    public Future<List<Found>> attachedTo(RegistryAccess access, ImageReference repo, Digest subject, ReferrerOptions options) {
        return attachedTo(access, repo, subject, options, tags(access, repo));
    }

    /**
     * Which tags the repository has, to know which schema tags exist: one tag list instead of four manifest GETs per
     * image (most images have none of them); null (then each is asked for) when the repository is too large to list.
     */
    public Future<java.util.Set<String>> tags(RegistryAccess access, ImageReference repo) {
        return registry.tagList(access, repo)
                .map(all -> (java.util.Set<String>) new java.util.HashSet<>(all))
                .otherwise((java.util.Set<String>) null);
    }

    /** As above, with the repository's tags already asked for ({@link #tags}), e.g. once for every platform image. */
    public Future<List<Found>> attachedTo(RegistryAccess access, ImageReference repo, Digest subject, ReferrerOptions options,
                                          Future<java.util.Set<String>> present) {
        String filter = options.artifactTypes().size() == 1 ? options.artifactTypes().get(0) : null;
        Future<List<JsonNode>> api = referrersApi(access, repo, subject, filter);
        Future<List<Found>> referrers = api.compose(list -> {
            if (list != null) {
                return Future.succeededFuture(fromDescriptors(subject, list, "api"));
            }
            return present.compose(tags -> tags != null && !tags.contains(FallbackTags.indexTag(subject))
                    ? Future.succeededFuture(List.<Found>of()) : fallbackIndex(access, repo, subject));
        });
        List<Future<Found>> tags = new ArrayList<>();
        for (String tag : FallbackTags.cosignTags(subject)) {
            tags.add(present.compose(known -> known != null && !known.contains(tag) ? Future.succeededFuture((Found) null)
                    : cosignTag(access, repo, subject, tag)));
        }
        return Future.all(referrers, Future.all(new ArrayList<>(tags))).map(v -> {
            List<Found> all = new ArrayList<>();
            referrers.result().forEach(all::add);
            tags.forEach(t -> {
                if (t.result() != null) {
                    all.add(t.result());
                }
            });
            return all.stream().filter(f -> options.wants(f.artifactType())).toList();
        });
    }

    /**
     * The referrers API's answer for {@code subject}, or null where the registry has none. One image at a time asks a
     * registry not yet known either way: the images copied beside it (a sync's, an index's platforms) wait for that
     * first answer instead of each sending its own probe to a registry that will answer 404 to all of them. A probe that
     * failed (not a 404) tells the waiters nothing: each then asks for itself.
     */
    private Future<List<JsonNode>> referrersApi(RegistryAccess access, ImageReference repo, Digest subject, String filter) {
        String host = access.registry();
        if (knownWithoutApi(host)) {
            return Future.succeededFuture(null);
        }
        java.time.Instant hasApiUntil = withApi.get(host);
        if (hasApiUntil != null && clock.instant().isBefore(hasApiUntil)) {
            return registry.referrersGet(access, repo, subject, filter).onSuccess(list -> {
                if (list == null) { // downgraded meanwhile
                    withApi.remove(host);
                    withoutApi.put(host, clock.instant().plus(API_ABSENCE_TTL));
                }
            });
        }
        io.vertx.core.Promise<Boolean> mine = io.vertx.core.Promise.promise();
        Future<Boolean> first = probing.putIfAbsent(host, mine.future());
        if (first != null) {
            return first.compose(hasApi -> hasApi ? registry.referrersGet(access, repo, subject, filter) : Future.succeededFuture(null));
        }
        return registry.referrersGet(access, repo, subject, filter).onComplete(ar -> {
            if (ar.succeeded()) {
                (ar.result() == null ? withoutApi : withApi).put(host, clock.instant().plus(API_ABSENCE_TTL));
            }
            probing.remove(host, mine.future());
            mine.complete(!(ar.succeeded() && ar.result() == null));
        });
    }

    /** Registries that answered the referrers API (remembered as long as an absence), so nobody waits for a probe. */
    private final java.util.Map<String, java.time.Instant> withApi = new java.util.concurrent.ConcurrentHashMap<>();

    /** The registries being asked for the first time whether they have the referrers API (true: have it, or unknown). */
    private final java.util.Map<String, Future<Boolean>> probing = new java.util.concurrent.ConcurrentHashMap<>();

    private Future<List<Found>> fallbackIndex(RegistryAccess access, ImageReference repo, Digest subject) {
        return absentAsNull(registry.manifestGet(access, repo.withDigest(null).withTag(FallbackTags.indexTag(subject))))
                .map(m -> {
                    if (m == null) {
                        return List.<Found>of();
                    }
                    Manifest parsed;
                    try {
                        parsed = Manifest.parse(m.raw(), m.contentType());
                    } catch (OciFormatException e) {
                        return List.<Found>of(); // not an index: nobody's referrers list
                    }
                    if (!(parsed instanceof ImageIndex index)) {
                        return List.<Found>of();
                    }
                    return index.manifests().stream().map(d -> new Found(subject, d.digest(), d.mediaType().value(),
                            d.artifactType(), d.size(), "tag", null, null)).toList();
                });
    }

    private Future<Found> cosignTag(RegistryAccess access, ImageReference repo, Digest subject, String tag) {
        return absentAsNull(registry.manifestGet(access, repo.withDigest(null).withTag(tag))).map(m -> {
            if (m == null) {
                return null;
            }
            Manifest parsed = m.parse(repo.name() + ":" + tag);
            return new Found(subject, m.digest(), parsed.mediaType().value(), FallbackTags.artifactType(parsed),
                    m.raw().length, "tag", tag, m);
        });
    }

    private static List<Found> fromDescriptors(Digest subject, List<JsonNode> descriptors, String via) {
        List<Found> out = new ArrayList<>();
        for (JsonNode d : descriptors) {
            try {
                Digest digest = Digest.parse(d.path("digest").asText(""));
                String artifactType = d.path("artifactType").isTextual() ? d.get("artifactType").asText() : null;
                out.add(new Found(subject, digest, d.path("mediaType").asText(null), artifactType,
                        d.path("size").asLong(-1), via, null, null));
            } catch (OciFormatException e) {
                // a descriptor without a valid digest names nothing that can be copied
            }
        }
        return out;
    }

    /** A manifest that does not exist (404: no such tag, or no such repository) as null. */
    static Future<ManifestResult> absentAsNull(Future<ManifestResult> read) {
        return read.recover(t -> t instanceof FerryException fe && (fe.type() == ProblemType.IMAGE_NOT_FOUND
                || fe.type() == ProblemType.REPOSITORY_NOT_FOUND) ? Future.succeededFuture(null) : Future.failedFuture(t));
    }
}
