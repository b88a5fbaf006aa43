package dev.ferry.registry;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.MediaType;
import dev.ferry.registry.http.RegistryCall;
import dev.ferry.registry.http.RegistryResponse;
import dev.ferry.registry.http.RegistryTransport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Distribution operations, one method each, noun first. Registry semantics only: what a status means,
 * which digest to verify, how to follow pages. The wire is {@link RegistryTransport}.
 */
@ApplicationScoped
public class RegistryClient {
    private final RegistryTransport transport;
    private final FerryConfig config;
    private final ObjectMapper json;

    public RegistryClient(RegistryTransport transport, FerryConfig config, ObjectMapper json) {
        this.transport = transport;
        this.config = config;
        this.json = json;
    }

    static String pullScope(ImageReference ref) {
        return "repository:" + ref.repository() + ":pull";
    }

    /**
     * Reads the manifest that {@code ref} names (its digest if present, else its tag), verifying the digest
     * when one was asked for. Fails with image-not-found or repository-not-found when absent.
     */
    public Future<ManifestResult> manifestGet(RegistryAccess access, ImageReference ref) {
        String reference = ref.reference();
        String action = "reading manifest " + reference + " in " + ref.name();
        RegistryCall call = RegistryCall.get("/v2/" + ref.repository() + "/manifests/" + reference, pullScope(ref), action,
                        config.limits().manifestBytes())
                .withHeader("Accept", MediaType.acceptHeader());
        return transport.exchange(access, call).compose(resp -> {
            if (!resp.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.IMAGE_NOT_FOUND));
            }
            byte[] raw = resp.body().getBytes();
            Digest actual;
            if (ref.digest() != null) {
                if (!ref.digest().matches(raw)) {
                    return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                            action + ": the manifest served does not match digest " + ref.digest()));
                }
                actual = ref.digest();
            } else {
                actual = Digest.sha256Of(raw);
                String announced = resp.header("Docker-Content-Digest");
                if (announced != null && announced.startsWith("sha256:") && !announced.equals(actual.toString())) {
                    return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                            action + ": the manifest served does not match the Docker-Content-Digest the registry announced"));
                }
            }
            return Future.succeededFuture(new ManifestResult(raw, resp.header("Content-Type"), actual));
        });
    }

    /**
     * Reads a small blob (an image config) whole into memory, up to {@code limit} bytes, verifying
     * its digest. Layers are never read this way.
     */
    public Future<byte[]> blobGetBounded(RegistryAccess access, ImageReference repo, Digest digest, int limit, String what) {
        String action = "reading " + what + " " + digest + " in " + repo.name();
        RegistryCall call = RegistryCall.get("/v2/" + repo.repository() + "/blobs/" + digest, pullScope(repo), action, limit);
        return transport.exchange(access, call).compose(resp -> {
            if (!resp.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(resp, action, ProblemType.BLOB_NOT_FOUND));
            }
            byte[] bytes = resp.body().getBytes();
            if (!digest.matches(bytes)) {
                return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                        action + ": the content served does not match its digest"));
            }
            return Future.succeededFuture(bytes);
        });
    }

    /**
     * Whether the repository exists, asked with a one-tag page: false only when the registry says
     * NAME_UNKNOWN. Used to tell "no such repository" from "no such tag" after a manifest 404.
     */
    public Future<Boolean> repositoryExists(RegistryAccess access, ImageReference repo) {
        String action = "checking repository " + repo.name();
        RegistryCall call = RegistryCall.get("/v2/" + repo.repository() + "/tags/list?n=1", pullScope(repo), action,
                config.limits().smallBodyBytes());
        return transport.exchange(access, call)
                .map(resp -> !(resp.status() == 404 && "NAME_UNKNOWN".equals(RegistryErrors.code(resp))));
    }

    /** All tags of the repository, following {@code Link} pagination to the end. */
    public Future<List<String>> tagList(RegistryAccess access, ImageReference repo) {
        String action = "listing tags of " + repo.name();
        List<String> tags = new ArrayList<>();
        String first = "/v2/" + repo.repository() + "/tags/list?n=" + config.limits().tagPageSize();
        return tagPage(access, repo, first, action, tags, 1);
    }

    private Future<List<String>> tagPage(RegistryAccess access, ImageReference repo, String path, String action,
                                         List<String> tags, int page) {
        RegistryCall call = RegistryCall.get(path, pullScope(repo), action + " (page " + page + ")",
                config.limits().manifestBytes());
        return transport.exchange(access, call).compose(resp -> {
            if (!resp.isSuccess()) {
                return Future.failedFuture(RegistryErrors.failure(resp, call.action(), ProblemType.REPOSITORY_NOT_FOUND));
            }
            try {
                JsonNode body = json.readTree(resp.body().getBytes());
                JsonNode list = body == null ? null : body.get("tags");
                if (list != null && list.isArray()) {
                    list.forEach(t -> {
                        if (t.isTextual()) {
                            tags.add(t.asText());
                        }
                    });
                } else if (list != null && !list.isNull()) {
                    return Future.failedFuture(invalid(call.action(), "tags is not a list"));
                }
            } catch (Exception e) {
                return Future.failedFuture(invalid(call.action(), "the tag list is not JSON"));
            }
            String next = nextLink(resp);
            if (next == null) {
                return Future.succeededFuture(tags);
            }
            if (page >= config.limits().tagPages()) {
                return Future.failedFuture(invalid(call.action(), "more than " + config.limits().tagPages() + " pages of tags"));
            }
            String nextPath;
            try {
                nextPath = URI.create(resp.url()).resolve(next).toString();
            } catch (IllegalArgumentException e) {
                return Future.failedFuture(invalid(call.action(), "invalid Link header"));
            }
            return tagPage(access, repo, nextPath, action, tags, page + 1);
        });
    }

    private static FerryException invalid(String action, String why) {
        return new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, action + ": " + why);
    }

    /** The target of {@code rel="next"} in an RFC 8288 Link header, or null. */
    static String nextLink(RegistryResponse resp) {
        List<String> links = resp.headers().getAll("Link");
        for (String header : links) {
            for (String part : header.split(",")) {
                int lt = part.indexOf('<');
                int gt = part.indexOf('>');
                if (lt >= 0 && gt > lt && part.substring(gt).replace(" ", "").contains("rel=\"next\"")) {
                    return part.substring(lt + 1, gt).trim();
                }
            }
        }
        return null;
    }
}
