package dev.ferry.sync;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.error.RequestFields;
import dev.ferry.job.FailureWithResult;
import dev.ferry.job.JobContext;
import dev.ferry.job.JobCopyListener;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobWork;
import dev.ferry.job.JobWorkFactory;
import dev.ferry.job.StoredRequests;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.OciFormatException;
import dev.ferry.registry.AccessOptions;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryAccessFactory;
import dev.ferry.sync.ImageOutcome;
import dev.ferry.sync.SemverConstraint;
import dev.ferry.sync.SyncListener;
import dev.ferry.sync.SyncNaming;
import dev.ferry.sync.SyncOptions;
import dev.ferry.sync.SyncSource;
import dev.ferry.sync.Syncer;
import dev.ferry.transfer.CopyListener;
import dev.ferry.transfer.CopyOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Turns a sync request (JSON, or skopeo's YAML source document plus query options) into a job: every name,
 * regex and constraint is checked before the job is accepted, credentials never reach the stored request, and
 * after a restart the job is planned again from what was stored (unless it needed credentials).
 */
@ApplicationScoped
public class SyncJobs implements JobWorkFactory {
    static final int DEFAULT_PARALLEL_IMAGES = 4;
    private static final Set<String> YAML_KEYS = Set.of("images", "images-by-tag-regex", "images-by-semver", "credentials",
            "tls-verify");
    private static final YAMLFactory YAML = new YAMLFactory();

    private final Syncer syncer;
    private final RegistryAccessFactory access;
    private final ObjectMapper json;
    private final dev.ferry.signature.SigningRequests signing;

    public SyncJobs(Syncer syncer, RegistryAccessFactory access, ObjectMapper json, dev.ferry.signature.SigningRequests signing) {
        this.signing = signing;
        this.syncer = syncer;
        this.access = access;
        this.json = json;
    }

    @Override
    public String type() {
        return "sync";
    }

    /** A JSON request: one source repository (or image) with its filters. */
    public JobPlan plan(SyncRequest r) {
        SyncOptions options = options(r);
        ImageReference source = source(r.source());
        if (source.tag() != null || source.digest() != null) {
            if (r.tagRegex() != null) {
                throw FerryException.invalidField("tagRegex", "selects tags of a repository; the source names one image");
            }
            if (r.semver() != null) {
                throw FerryException.invalidField("semver", "selects tags of a repository; the source names one image");
            }
        }
        if (r.tagRegex() != null && r.semver() != null) {
            throw FerryException.invalidField("semver", "give tagRegex or semver, not both");
        }
        RegistryAccess srcAccess = access.forReference(source, r.sourceAccess(), "src");
        List<String> refs = source.digest() != null ? List.of(source.digest().toString())
                : source.tag() != null ? List.of(source.tag()) : List.of();
        SyncSource s = new SyncSource(source.withTag(null).withDigest(null), srcAccess, refs, regex("tagRegex", r.tagRegex()),
                semver("semver", r.semver()));
        SyncOptions checked = destinations(options, List.of(s), r.destinationAccess(), r);
        return new JobPlan(stored(r, null, List.of()), work(List.of(s), checked), StoredRequests.secrets(json, r));
    }

    /** skopeo's YAML source document as it is, with the destination and options from {@code r}. */
    public JobPlan planYaml(String yaml, SyncRequest r) {
        return planYaml(yamlTree(yaml), r);
    }

    /** skopeo's YAML source document read as a tree (scalars as written), credentials included; 400 when unreadable. */
    public JsonNode yamlTree(String yaml) {
        if (yaml == null || yaml.isBlank()) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "a YAML document (skopeo sync --src yaml) is required");
        }
        JsonNode tree;
        try (JsonParser p = YAML.createParser(yaml)) {
            p.nextToken();
            tree = scalarsAsText(p);
        } catch (IOException e) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "the YAML document cannot be read: "
                    + e.getMessage().lines().findFirst().orElse("syntax error"));
        }
        return tree;
    }

    private JobPlan planYaml(JsonNode tree, SyncRequest r) {
        SyncOptions options = options(r);
        if (!tree.isObject() || tree.isEmpty()) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "the YAML document must map registries to what to sync from them");
        }
        List<SyncSource> sources = new ArrayList<>();
        List<String> redacted = new ArrayList<>();
        ObjectNode storedYaml = tree.deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> registry = it.next();
            String host = registry.getKey();
            JsonNode spec = registry.getValue();
            String at = "yaml: " + host;
            if (!spec.isObject()) {
                throw FerryException.invalidField(at, "must be a mapping with images, images-by-tag-regex or images-by-semver");
            }
            spec.fieldNames().forEachRemaining(k -> {
                if (!YAML_KEYS.contains(k)) {
                    throw FerryException.invalidField(at + "." + k, "is not supported (supported: " + String.join(", ", YAML_KEYS.stream().sorted().toList()) + ")");
                }
            });
            String creds = null;
            if (spec.has("credentials")) {
                JsonNode c = spec.get("credentials");
                if (!c.path("username").isTextual() || !c.path("password").isTextual()) {
                    throw FerryException.invalidField(at + ".credentials", "needs username and password");
                }
                creds = c.get("username").asText() + ":" + c.get("password").asText();
                ((ObjectNode) storedYaml.get(host)).remove("credentials");
                redacted.add(at + ".credentials");
            }
            Boolean tlsVerify = null;
            if (spec.has("tls-verify")) {
                String v = spec.get("tls-verify").asText();
                if (!v.equals("true") && !v.equals("false")) {
                    throw FerryException.invalidField(at + ".tls-verify", "must be true or false");
                }
                tlsVerify = Boolean.valueOf(v);
            }
            AccessOptions ao = new AccessOptions(creds, null, null, tlsVerify, r.retryTimes(), r.retryDelay());
            for (Iterator<Map.Entry<String, JsonNode>> repos = spec.path("images").fields(); repos.hasNext(); ) {
                Map.Entry<String, JsonNode> e = repos.next();
                String field = at + ".images." + e.getKey();
                ImageReference repo = yamlRepository(field, host, e.getKey());
                List<String> refs = new ArrayList<>();
                if (!e.getValue().isNull() && !e.getValue().isArray()) {
                    throw FerryException.invalidField(field, "must be a list of tags or digests");
                }
                for (JsonNode t : e.getValue()) {
                    refs.add(reference(field, repo, t.asText()));
                }
                sources.add(new SyncSource(repo, access.forReference(repo, ao, "src"), refs, null, null));
            }
            for (Iterator<Map.Entry<String, JsonNode>> repos = spec.path("images-by-tag-regex").fields(); repos.hasNext(); ) {
                Map.Entry<String, JsonNode> e = repos.next();
                String field = at + ".images-by-tag-regex." + e.getKey();
                ImageReference repo = yamlRepository(field, host, e.getKey());
                sources.add(new SyncSource(repo, access.forReference(repo, ao, "src"), List.of(), regex(field, e.getValue().asText()), null));
            }
            for (Iterator<Map.Entry<String, JsonNode>> repos = spec.path("images-by-semver").fields(); repos.hasNext(); ) {
                Map.Entry<String, JsonNode> e = repos.next();
                String field = at + ".images-by-semver." + e.getKey();
                ImageReference repo = yamlRepository(field, host, e.getKey());
                sources.add(new SyncSource(repo, access.forReference(repo, ao, "src"), List.of(), null, semver(field, e.getValue().asText())));
            }
        }
        if (sources.isEmpty()) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "the YAML document names no images");
        }
        SyncOptions checked = destinations(options, sources, r.destinationAccess(), r);
        return new JobPlan(stored(r, storedYaml, redacted), work(sources, checked), StoredRequests.secrets(json, r));
    }

    private JobWork work(List<SyncSource> sources, SyncOptions options) {
        return ctx -> syncer.sync(sources, options, new JobSyncListener(ctx), ctx.cancellation())
                .<JsonNode>map(result -> json.valueToTree(result))
                .recover(t -> {
                    if (t instanceof Syncer.SyncFailedException f) {
                        return io.vertx.core.Future.failedFuture(new FailureWithResult(f.type(), f.getMessage(), json.valueToTree(f.result())));
                    }
                    return io.vertx.core.Future.failedFuture(t);
                });
    }

    private SyncOptions options(SyncRequest r) {
        String destination = SyncNaming.destinationPrefix(RequestFields.required("destination", r.destination()));
        try {
            ImageReference.parse(destination + "/probe:latest");
        } catch (OciFormatException e) {
            throw new FerryException(ProblemType.INVALID_REFERENCE, "destination: " + destination
                    + " is not a registry or registry/namespace", List.of(new FerryException.FieldError("destination", e.getMessage())), e);
        }
        if (r.appendSuffix() != null && !r.appendSuffix().matches("[A-Za-z0-9._-]{1,64}")) {
            throw FerryException.invalidField("appendSuffix", "must be 1 to 64 letters, digits, '.', '_' or '-' (it ends a tag)");
        }
        int parallelImages = r.parallelImages() == null ? DEFAULT_PARALLEL_IMAGES : r.parallelImages();
        if (parallelImages < 1 || parallelImages > 16) {
            throw FerryException.invalidField("parallelImages", "must be between 1 and 16");
        }
        int parallelBlobs = r.imageParallelCopies() == null ? CopyOptions.DEFAULT_PARALLEL_BLOBS : r.imageParallelCopies();
        if (parallelBlobs < 1 || parallelBlobs > 64) {
            throw FerryException.invalidField("imageParallelCopies", "must be between 1 and 64");
        }
        // the destination's access is made per destination repository, once the sources are known (destinations())
        return new SyncOptions(destination, null, Boolean.TRUE.equals(r.scoped()), r.appendSuffix(),
                Boolean.TRUE.equals(r.keepGoing()), Boolean.TRUE.equals(r.dryRun()), parallelImages,
                dev.ferry.transfer.CopyJobs.conversion(new CopyOptions(Boolean.TRUE.equals(r.all()), null, parallelBlobs)
                        .withReferrers(dev.ferry.referrers.ReferrerRequests.options(r.referrers(), r.referrerArtifactTypes()))
                        .withPlatforms(platforms(r)), r.format(), r.preserveDigests(), r.destCompressFormat(), r.destCompressLevel()),
                TagFilters.of(r));
    }

    static final int MAX_PLATFORMS = 16;

    /** {@code platforms} and {@code platformsIndex} checked, or null when no subset is asked for. */
    static dev.ferry.transfer.PlatformChoice platforms(SyncRequest r) {
        String mode = r.platformsIndex();
        if (mode != null && !mode.equals("keep") && !mode.equals("rewrite")) {
            throw FerryException.invalidField("platformsIndex", "must be keep or rewrite");
        }
        if (r.platforms() == null) {
            if (mode != null) {
                throw FerryException.invalidField("platformsIndex", "applies to platforms, which is not given");
            }
            return null;
        }
        if (r.platforms().isEmpty() || r.platforms().size() > MAX_PLATFORMS) {
            throw FerryException.invalidField("platforms", "must list 1 to " + MAX_PLATFORMS + " platforms (os/arch[/variant])");
        }
        if (Boolean.TRUE.equals(r.all())) {
            throw FerryException.invalidField("platforms", "selects some platforms; all copies every platform: give one of them");
        }
        List<dev.ferry.oci.Platform> out = new ArrayList<>();
        for (int i = 0; i < r.platforms().size(); i++) {
            String p = r.platforms().get(i);
            if (p == null || p.length() > 64 || !p.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")) {
                throw FerryException.invalidField("platforms[" + i + "]", "must be os/arch or os/arch/variant, e.g. linux/arm64/v8");
            }
            out.add(dev.ferry.oci.Platform.parse(p));
        }
        return new dev.ferry.transfer.PlatformChoice(out, "rewrite".equals(mode));
    }

    /**
     * Checks every destination repository the sources lead to (names, and registry policy for writing each one) and
     * returns the options with the destination registry's access.
     */
    private SyncOptions destinations(SyncOptions o, List<SyncSource> sources, AccessOptions destination, SyncRequest r) {
        RegistryAccess first = null;
        List<ImageReference> repositories = new ArrayList<>();
        for (SyncSource s : sources) {
            ImageReference to = checkNaming(o, s);
            repositories.add(to);
            RegistryAccess a = access.forReference(to, destination, "dest");
            if (o.filters().prune()) {
                // prune deletes at the destination: the caller must be allowed to (secured mode)
                access.forReference(to, destination, "dest", dev.ferry.security.Action.DELETE);
            }
            first = first == null ? a : first;
        }
        // skopeo sync's --sign-by, --sign-by-sigstore-private-key, --sign-identity, --remove-signatures
        dev.ferry.signature.SigningRequest signed = signing.check(r.signBy(), r.signBySigstorePrivateKey(), r.signIdentity(),
                r.removeSignatures(), repositories);
        return new SyncOptions(o.destination(), first, o.scoped(), o.appendSuffix(), o.keepGoing(), o.dryRun(),
                o.parallelImages(), o.copy().withSigning(signed), o.filters());
    }

    /** A destination name that cannot be valid is a 400 now (skopeo fails on it too, e.g. scoped with a source port). */
    private static ImageReference checkNaming(SyncOptions o, SyncSource s) {
        try {
            return SyncNaming.destination(o.destination(), s.repository().withTag("latest"), o.scoped(), o.appendSuffix());
        } catch (FerryException e) {
            String field = o.scoped() ? "scoped" : "destination";
            throw new FerryException(ProblemType.INVALID_REFERENCE, field + ": " + e.getMessage(),
                    List.of(new FerryException.FieldError(field, e.getMessage())), e);
        }
    }

    private static ImageReference source(String value) {
        String s = RequestFields.required("source", value);
        try {
            return ImageReference.parseRepository(s);
        } catch (OciFormatException notARepository) {
            return RequestFields.image("source", s);
        }
    }

    private static ImageReference yamlRepository(String field, String host, String repo) {
        try {
            ImageReference ref = ImageReference.parseRepository(host + "/" + repo);
            if (!ref.registry().equals(ImageReference.parseRepository(host + "/x").registry())) {
                throw new OciFormatException("the repository must not name another registry");
            }
            return ref;
        } catch (OciFormatException e) {
            throw new FerryException(ProblemType.INVALID_REFERENCE, field + ": " + e.getMessage(),
                    List.of(new FerryException.FieldError(field, e.getMessage())), e);
        }
    }

    private static String reference(String field, ImageReference repo, String tagOrDigest) {
        try {
            if (tagOrDigest.contains(":")) {
                return Digest.parse(tagOrDigest).toString();
            }
            return repo.withTag(tagOrDigest).tag();
        } catch (OciFormatException e) {
            throw new FerryException(ProblemType.INVALID_REFERENCE, field + ": " + e.getMessage(),
                    List.of(new FerryException.FieldError(field, e.getMessage())), e);
        }
    }

    private static Pattern regex(String field, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Pattern.compile(value);
        } catch (PatternSyntaxException e) {
            throw FerryException.invalidField(field, "is not a valid regular expression: " + e.getDescription());
        }
    }

    private static SemverConstraint semver(String field, String value) {
        if (value == null) {
            return null;
        }
        try {
            return SemverConstraint.parse(value);
        } catch (IllegalArgumentException e) {
            throw FerryException.invalidField(field, "is not a valid semver constraint: " + e.getMessage());
        }
    }

    /** The request as stored and shown: secrets removed, the names of removed fields listed. */
    private JsonNode stored(SyncRequest r, ObjectNode yaml, List<String> redactedYaml) {
        ObjectNode node = StoredRequests.of(json, r, redactedYaml);
        if (yaml != null) {
            node.set("yaml", yaml);
        }
        return node;
    }

    /** Fields a policy run or a retry adds to the stored request (what started it); not part of the sync itself. */
    public static final List<String> LINK_FIELDS = List.of("policy", "trigger", "dueAt", "retryOf");

    @Override
    public JobWork resume(JsonNode storedRequest) {
        return replan(storedRequest).work();
    }

    /**
     * Plans again from a stored request (a job's, or a policy's with its secrets put back): its link fields are
     * ignored, and it is refused (job-not-resumable) when secrets it needs were removed.
     */
    public JobPlan replan(JsonNode storedRequest) {
        ObjectNode copy = StoredRequests.resumable(storedRequest);
        LINK_FIELDS.forEach(copy::remove);
        JsonNode yaml = copy.remove("yaml");
        SyncRequest r = StoredRequests.read(json, copy, SyncRequest.class);
        return yaml != null ? planYaml(yaml, r) : plan(r);
    }

    /** Reads a YAML value as a tree whose scalars keep their text as written ({@code 1.10} stays "1.10", not 1.1). */
    private static JsonNode scalarsAsText(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    o.set(name, scalarsAsText(p));
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = JsonNodeFactory.instance.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    a.add(scalarsAsText(p));
                }
                return a;
            }
            case VALUE_NULL -> {
                return JsonNodeFactory.instance.nullNode();
            }
            default -> {
                return JsonNodeFactory.instance.textNode(p.getText());
            }
        }
    }

    /** Image events and the blob progress of every copy of the sync. */
    private static final class JobSyncListener implements SyncListener {
        private final JobContext ctx;
        private final CopyListener copies;

        JobSyncListener(JobContext ctx) {
            this.ctx = ctx;
            this.copies = new JobCopyListener(ctx, true);
        }

        @Override
        public void imageStarted(String source, String destination) {
            ObjectNode data = ctx.newData();
            data.put("status", "started");
            data.put("source", source);
            data.put("destination", destination);
            ctx.event("image", data);
        }

        @Override
        public void imageEnded(ImageOutcome o) {
            ObjectNode data = ctx.newData();
            data.put("status", o.state());
            data.put("source", o.source());
            data.put("destination", o.destination());
            if (o.action() != null) {
                data.put("action", o.action());
            }
            if (o.digest() != null) {
                data.put("digest", o.digest());
            }
            if (o.bytes() != null) {
                data.put("bytes", o.bytes());
            }
            if (o.reason() != null) {
                data.put("reason", o.reason());
            }
            if (o.sourceDigest() != null) {
                data.put("sourceDigest", o.sourceDigest());
                data.put("digestChanged", true);
            }
            ctx.event("image", data);
        }

        @Override
        public CopyListener copies() {
            return copies;
        }
    }
}
