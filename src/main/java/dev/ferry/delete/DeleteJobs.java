package dev.ferry.delete;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.error.RequestFields;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobWork;
import dev.ferry.job.JobWorkFactory;
import dev.ferry.job.StoredRequests;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryAccessFactory;
import dev.ferry.registry.RegistryClient;
import dev.ferry.transfer.BoundedParallel;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Turns a delete request into a job. Distribution deletes manifests by digest only, and deleting a
 * manifest removes every tag that points at it (skopeo#795), so a delete by tag is refused with 409 and
 * the other tags listed, unless {@code force}. The plan is made before the job is accepted: the digest is
 * fixed then, so a tag that moves afterwards cannot redirect the delete.
 */
@ApplicationScoped
public class DeleteJobs implements JobWorkFactory {
    private static final Duration PLAN_TIMEOUT = Duration.ofMinutes(10);
    private static final int MAX_LISTED_TAGS = 50;

    private final RegistryClient registry;
    private final RegistryAccessFactory access;
    private final ObjectMapper json;

    public DeleteJobs(RegistryClient registry, RegistryAccessFactory access, ObjectMapper json) {
        this.registry = registry;
        this.access = access;
        this.json = json;
    }

    @Override
    public String type() {
        return "delete";
    }

    /** Validates and plans (talking to the registry); blocks, so call from a worker thread. */
    public JobPlan plan(DeleteRequest r) {
        ImageReference image = RequestFields.image("image", r.image());
        RegistryAccess a = access.forReference(image, r.access(), "", dev.ferry.security.Action.DELETE);
        JsonNode stored = StoredRequests.of(json, r);
        if (Boolean.TRUE.equals(r.tagOnly())) {
            if (image.digest() != null || image.tag() == null) {
                throw FerryException.invalidField("tagOnly", "needs an image reference with a tag and no digest");
            }
            ImageReference tagged = image;
            return new JobPlan(stored, ctx -> registry.manifestDelete(a, tagged, tagged.tag())
                    .map(v -> result(null, tagged.tag(), List.of(tagged.tag()))), StoredRequests.secrets(json, r));
        }
        // the planning step is a synchronous call: answered within the synchronous-call deadline
        Planned planned = await(registry.withinDeadline("planning the delete of " + image, scope -> {
            RegistryAccess within = a.within(scope);
            Future<Digest> resolved = image.digest() != null ? Future.succeededFuture(image.digest())
                    : registry.manifestHead(within, image).map(head -> head == null ? null : head.digest());
            return resolved.compose(d -> d == null
                    ? Future.failedFuture(new FerryException(ProblemType.IMAGE_NOT_FOUND, "deleting " + image + ": no such image"))
                    : tagsPointingAt(within, image, d).map(tags -> new Planned(d, tags)));
        }));
        Digest digest = planned.digest();
        // by tag or by digest, deleting the manifest removes every tag that points at it: the result lists them all
        List<String> removed = planned.tags();
        if (image.digest() == null && !Boolean.TRUE.equals(r.force())) {
            List<String> others = new ArrayList<>(removed);
            others.remove(image.tag());
            if (!others.isEmpty()) {
                List<String> shown = others.size() > MAX_LISTED_TAGS ? others.subList(0, MAX_LISTED_TAGS) : others;
                throw new FerryException(ProblemType.DELETE_WOULD_REMOVE_TAGS, "deleting " + image + " deletes manifest "
                        + digest + ", which tags " + String.join(", ", shown) + (others.size() > shown.size() ? " and " + (others.size() - shown.size()) + " more" : "")
                        + " also point at; they would disappear too. Send force: true to delete anyway, or tagOnly: true "
                        + "to remove only this tag where the registry supports it");
            }
        }
        ImageReference repo = image;
        return new JobPlan(stored, ctx -> registry.manifestDelete(a, repo, digest.toString())
                .map(v -> result(digest, digest.toString(), removed)), StoredRequests.secrets(json, r));
    }

    private JsonNode result(Digest digest, String deleted, List<String> tagsRemoved) {
        ObjectNode out = json.createObjectNode();
        if (digest != null) {
            out.put("digest", digest.toString());
        }
        out.put("deleted", deleted);
        out.set("tagsRemoved", json.valueToTree(tagsRemoved));
        return out;
    }

    /** The manifest a delete removes and the tags that point at it. */
    private record Planned(Digest digest, List<String> tags) {
    }

    /** Every tag of the repository whose manifest digest is {@code digest} (HEAD requests, 8 at a time), sorted. */
    private Future<List<String>> tagsPointingAt(RegistryAccess a, ImageReference image, Digest digest) {
        return registry.tagList(a, image).compose(tags -> {
            List<String> matching = Collections.synchronizedList(new ArrayList<>());
            List<Supplier<Future<?>>> checks = new ArrayList<>();
            for (String tag : tags) {
                checks.add(() -> registry.manifestHead(a, image.withDigest(null).withTag(tag)).map(head -> {
                    if (head != null && digest.equals(head.digest())) {
                        matching.add(tag);
                    }
                    return head;
                }));
            }
            return BoundedParallel.run(checks, 8).map(done -> {
                List<String> sorted = new ArrayList<>(matching);
                Collections.sort(sorted);
                return sorted;
            });
        });
    }

    private static <T> T await(Future<T> f) {
        try {
            // the synchronous-call deadline ends the planning first; this only guards against a lost future
            return f.toCompletionStage().toCompletableFuture().get(PLAN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new FerryException(ProblemType.INTERNAL, "planning a delete failed", e.getCause());
        } catch (TimeoutException e) {
            throw new FerryException(ProblemType.REGISTRY_TIMEOUT, "planning a delete took longer than " + PLAN_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FerryException(ProblemType.INTERNAL, "interrupted");
        }
    }

    @Override
    public JobWork resume(JsonNode storedRequest) {
        return plan(StoredRequests.resume(json, storedRequest, DeleteRequest.class)).work();
    }
}
