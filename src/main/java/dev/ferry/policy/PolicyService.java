package dev.ferry.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.job.Job;
import dev.ferry.job.JobError;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobRepository;
import dev.ferry.job.JobService;
import dev.ferry.job.SecretBox;
import dev.ferry.job.StoreException;
import dev.ferry.job.StoredRequests;
import dev.ferry.notify.NotificationTarget;
import dev.ferry.sync.SyncJobs;
import dev.ferry.sync.SyncRequest;
import dev.ferry.sync.TagFilters;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Stored sync policies: validated and planned like {@code POST /api/v1/sync} when created (so a policy that could not
 * run is refused at once), kept in the job store's database with their credentials and notification secrets sealed
 * by {@link SecretBox} (never shown back), and run as {@code sync} jobs linked to the policy — manually, by webhook, or
 * by {@link PolicyScheduler}. At most one run of a policy is active at a time, across replicas: every run start locks
 * the policy's row and looks for an active run in the transaction that records the run.
 */
@ApplicationScoped
public class PolicyService {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final int MAX_NOTIFICATIONS = 10;

    private final PolicyStore store;
    private final JobService jobs;
    private final SyncJobs syncs;
    private final SecretBox box;
    private final ObjectMapper json;
    private final Clock clock;
    private final PolicyConfig config;
    private final dev.ferry.notify.NotificationUrls urls;

    public PolicyService(PolicyStore store, JobService jobs, SyncJobs syncs, SecretBox box, ObjectMapper json, Clock clock,
                         PolicyConfig config, dev.ferry.notify.NotificationUrls urls) {
        this.urls = urls;
        this.store = store;
        this.jobs = jobs;
        this.syncs = syncs;
        this.box = box;
        this.json = json;
        this.clock = clock;
        this.config = config;
    }

    /** A policy as the API shows it: never a secret. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PolicyView(String name, String description, boolean enabled, JsonNode sync, PolicyRequest.Triggers triggers,
                             List<NotificationView> notifications, Instant nextDue, Instant createdAt, Instant updatedAt,
                             long revision) {
    }

    /** A notification target as shown: whether a secret is set, never the secret. */
    public record NotificationView(String url, String on, boolean secretSet) {
    }

    /** One run of a policy, from its job. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Run(String id, String state, String trigger, Instant dueAt, String retryOf, Instant createdAt,
                      Instant startedAt, Instant finishedAt, Long durationMs, Boolean dryRun, Integer copied, Integer skipped,
                      Integer failed, Integer pruned, JobError error) {
    }

    /** A due time that did not start a run, and why. */
    public record Skipped(Instant dueAt, String reason, String runningJob, Instant recordedAt) {
    }

    /** A page of runs, newest first, and the skipped due times (newest first, up to 50). */
    public record Runs(List<Run> items, int offset, int limit, long total, List<Skipped> skipped) {
    }

    /** What a policy's row holds, read back. */
    record Spec(String name, String description, boolean enabled, ObjectNode sync, PolicyRequest.Triggers triggers,
                List<NotificationView> notifications) {
        Schedule schedule() {
            return PolicyService.schedule(triggers);
        }
    }

    /** What is sealed: the sync's secret fields, the YAML with its credentials, the notification secrets. */
    record Secrets(ObjectNode sync, JsonNode yaml, List<String> notifications) {
    }

    // ---- create, replace, delete, read -------------------------------------------------------------

    public PolicyView create(PolicyRequest r, String caller) {
        if (r == null) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "a JSON policy is required");
        }
        String name = name(r.name());
        if (store.list().size() >= config.max()) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "there are " + config.max() + " policies already (ferry.policies.max)");
        }
        Checked c = check(name, r, null, List.of());
        Instant now = clock.instant();
        try {
            store.create(new PolicyStore.Row(name, caller, c.spec, c.sealed, c.nextDue(now), now, now, 1));
        } catch (PolicyStore.NameTakenException e) {
            throw new FerryException(ProblemType.POLICY_EXISTS, "a policy named " + name + " exists already; PUT /api/v1/policies/"
                    + name + " replaces it");
        } catch (StoreException e) {
            throw new FerryException(ProblemType.STORE_UNAVAILABLE, "the policy could not be stored", e);
        }
        return get(name);
    }

    public PolicyView replace(String name, PolicyRequest r) {
        if (r == null) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "a JSON policy is required");
        }
        PolicyStore.Row old = row(name);
        if (r.name() != null && !r.name().equals(name)) {
            throw FerryException.invalidField("name", "is " + name + " in the path; a policy cannot be renamed");
        }
        List<String> urls = spec(old).notifications().stream().map(NotificationView::url).toList();
        Checked c = check(name, r, secrets(old), urls);
        Instant now = clock.instant();
        if (!store.replace(name, c.spec, c.sealed, c.nextDue(now), now)) {
            throw notFound(name);
        }
        return get(name);
    }

    public void delete(String name) {
        if (!store.delete(checkedName(name))) {
            throw notFound(name);
        }
    }

    public PolicyView get(String name) {
        return view(row(name));
    }

    public List<PolicyView> list() {
        return store.list().stream().map(this::view).toList();
    }

    private PolicyView view(PolicyStore.Row row) {
        Spec s = spec(row);
        return new PolicyView(s.name(), s.description(), s.enabled(), s.sync(), s.triggers(), s.notifications(), row.nextDue(),
                row.createdAt(), row.updatedAt(), row.revision());
    }

    private record Checked(String spec, String sealed, Schedule schedule, boolean enabled) {
        Instant nextDue(Instant now) {
            return enabled && schedule != null ? schedule.nextAfter(now) : null;
        }
    }

    /** Validates a request as a whole (400 naming the field) and returns what to store. */
    private Checked check(String name, PolicyRequest r, Secrets before, List<String> beforeUrls) {
        if (r.description() != null && r.description().length() > 1000) {
            throw FerryException.invalidField("description", "at most 1000 characters");
        }
        if (r.sync() == null) {
            throw FerryException.invalidField("sync", "is required: the fields of POST /api/v1/sync (with yaml: destination and options)");
        }
        SyncRequest sync = r.sync();
        if (sync.onlyImages() != null) {
            throw FerryException.invalidField("sync.onlyImages", "is set by a retry, not stored in a policy");
        }
        JobPlan plan;
        JsonNode yamlTree = null;
        if (r.yaml() != null) {
            if (sync.source() != null) {
                throw FerryException.invalidField("sync.source", "give yaml or sync.source, not both");
            }
            yamlTree = syncs.yamlTree(r.yaml());
            plan = syncs.planYaml(r.yaml(), sync);
        } else {
            plan = syncs.plan(sync);
        }
        Schedule schedule = schedule(r.triggers());
        if (r.triggers() != null && r.triggers().interval() != null
                && TagFilters.duration("triggers.interval", r.triggers().interval()).compareTo(config.minInterval()) < 0) {
            throw FerryException.invalidField("triggers.interval", "must be at least " + config.minInterval().toMillis() + " ms (ferry.policies.min-interval)");
        }
        List<NotificationView> shown = new ArrayList<>();
        List<String> notifySecrets = new ArrayList<>();
        List<PolicyRequest.Notification> ns = r.notifications() == null ? List.of() : r.notifications();
        if (ns.size() > MAX_NOTIFICATIONS) {
            throw FerryException.invalidField("notifications", "at most " + MAX_NOTIFICATIONS + " targets");
        }
        for (int i = 0; i < ns.size(); i++) {
            PolicyRequest.Notification n = ns.get(i);
            String field = "notifications[" + i + "]";
            if (n == null || n.url() == null) {
                throw FerryException.invalidField(field + ".url", "is required");
            }
            URI u;
            try {
                u = URI.create(n.url());
            } catch (IllegalArgumentException e) {
                throw FerryException.invalidField(field + ".url", "is not a URL");
            }
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null
                    || u.getUserInfo() != null || n.url().length() > 2048) {
                throw FerryException.invalidField(field + ".url", "must be an http or https URL with a host and no user info");
            }
            try {
                // the notifier's own rules (the outbound and registry policies notification URLs share), checked now
                urls.check(n.url());
            } catch (FerryException e) {
                throw new FerryException(e.type(), field + ".url: " + e.getMessage(),
                        List.of(new FerryException.FieldError(field + ".url", e.getMessage())), null);
            }
            String on = n.on() == null ? "failures" : n.on();
            try {
                NotificationTarget.When.valueOf(on.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw FerryException.invalidField(field + ".on", "must be all, failures or changes");
            }
            String secret = n.secret();
            if (secret != null && (secret.isEmpty() || secret.length() > 1024)) {
                throw FerryException.invalidField(field + ".secret", "must be 1 to 1024 characters");
            }
            if (secret == null && before != null) {
                secret = keptSecret(before, beforeUrls, n.url());
            }
            notifySecrets.add(secret);
            shown.add(new NotificationView(n.url(), on.toLowerCase(Locale.ROOT), secret != null));
        }
        ObjectNode stored = (ObjectNode) plan.storedRequest();
        boolean yamlSecrets = stored.has("redacted") && stored.get("redacted").toString().contains("yaml:");
        Secrets secrets = new Secrets(plan.secrets(), yamlSecrets ? yamlTree : null, notifySecrets);
        boolean anySecret = secrets.sync() != null || secrets.yaml() != null || notifySecrets.stream().anyMatch(java.util.Objects::nonNull);
        if (anySecret && !box.enabled()) {
            throw FerryException.invalidField(secrets.sync() != null || secrets.yaml() != null ? "sync" : "notifications",
                    "a policy's credentials and secrets are stored only encrypted: set ferry.store.secret-key first");
        }
        boolean enabled = r.enabled() == null || r.enabled();
        ObjectNode spec = json.createObjectNode();
        spec.put("name", name);
        if (r.description() != null) {
            spec.put("description", r.description());
        }
        spec.put("enabled", enabled);
        spec.set("sync", stored);
        spec.set("triggers", json.valueToTree(r.triggers() == null ? new PolicyRequest.Triggers(null, null) : r.triggers()));
        spec.set("notifications", json.valueToTree(shown));
        String sealed = anySecret ? box.seal("policy:" + name, write(secrets)) : null;
        return new Checked(spec.toString(), sealed, schedule, enabled);
    }

    /** The earlier secret of a notification to the same URL (a replace that leaves the secret out keeps it). */
    private static String keptSecret(Secrets before, List<String> beforeUrls, String url) {
        int i = beforeUrls.indexOf(url);
        return i >= 0 && i < before.notifications().size() ? before.notifications().get(i) : null;
    }

    static Schedule schedule(PolicyRequest.Triggers t) {
        if (t == null) {
            return null;
        }
        if (t.interval() != null && t.cron() != null) {
            throw FerryException.invalidField("triggers", "give interval or cron, not both");
        }
        if (t.interval() != null) {
            return new Schedule.Every(TagFilters.duration("triggers.interval", t.interval()));
        }
        if (t.cron() != null) {
            try {
                return new Schedule.Cron(CronExpression.parse(t.cron()));
            } catch (IllegalArgumentException e) {
                throw FerryException.invalidField("triggers.cron", e.getMessage());
            }
        }
        return null;
    }

    // ---- runs ------------------------------------------------------------------------------------

    /**
     * Starts a run now ({@code trigger}: manual or webhook), unless one is active (409 policy-run-active, naming it).
     * {@code dryRun}: the run plans only (and shows what a prune would delete).
     */
    public JobService.Submitted runNow(String name, String trigger, boolean dryRun) {
        PolicyStore.Row row = row(name);
        JobPlan plan = planRun(row, trigger, null, dryRun, null, null);
        Optional<JobService.Submitted> s = submitRun(name, row.caller(), plan, new JobRepository.Link(name, null, null));
        if (s.isPresent()) {
            return s.get();
        }
        PolicyStore.Row now = row(name);
        Optional<String> active = jobs.pageOfPolicy(now.name(), 0, 20).items().stream().filter(j -> !j.state().isTerminal())
                .map(Job::id).findFirst();
        throw new FerryException(ProblemType.POLICY_RUN_ACTIVE, "policy " + name + " has a run that is still active"
                + active.map(id -> " (job " + id + ")").orElse("") + "; runs of one policy never overlap");
    }

    /**
     * A webhook push that a hook rule sends to this policy ({@code destination: policy:NAME}): a run now, or, while
     * a run is active, a skip recorded in the policy's history (that run may already have listed the tags). Empty
     * when no run started; never throws for the sender's sake (the rule, not the delivery, is at fault).
     */
    public Optional<String> runForWebhook(String name, String what) {
        try {
            return Optional.of(runNow(name, "webhook", false).job().id());
        } catch (FerryException e) {
            if (e.type() == ProblemType.POLICY_RUN_ACTIVE) {
                String active = jobs.pageOfPolicy(name, 0, 20).items().stream().filter(j -> !j.state().isTerminal())
                        .map(Job::id).findFirst().orElse(null);
                store.recordSkip(name, clock.instant(), "webhook (" + what + "): a run was still active", active);
            } else {
                Log.warnf("webhook: policy %s not run for %s: %s", name, what, e.getMessage());
            }
            return Optional.empty();
        }
    }

    /**
     * Records a run of the policy unless another run is active. A run that ended on this replica a moment ago, whose
     * end is still on its way to the store (the API already shows it ended), is waited for (up to 2 s) rather than
     * answered 409: a caller who saw the run end may start the next at once.
     */
    private Optional<JobService.Submitted> submitRun(String name, String caller, JobPlan plan, JobRepository.Link link) {
        for (int attempt = 0; ; attempt++) {
            Optional<JobService.Submitted> s = jobs.submitLinked("sync", caller, plan, link,
                    (c, id) -> PolicyStore.lockAndFindActive(c, name, id).isEmpty() && PolicyStore.exists(c, name));
            if (s.isPresent() || attempt >= 20) {
                return s;
            }
            boolean onlyEnding = jobs.pageOfPolicy(name, 0, 20).items().stream().allMatch(j -> j.state().isTerminal());
            if (!onlyEnding) {
                return s;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return s;
            }
        }
    }

    /** Fires one due time of a schedule (called by the scheduler on every replica; one of them fires it). */
    void fireDue(PolicyStore.Row row, Instant now) {
        Spec spec = spec(row);
        Schedule schedule = spec.schedule();
        Instant due = row.nextDue();
        if (due == null) {
            return;
        }
        if (schedule == null || !spec.enabled()) {
            store.advance(row.name(), due, null, now, null);
            return;
        }
        Instant next = schedule.nextAfter(due, now);
        PolicyStore.Busy busy = store.skipIfBusy(row.name(), due, next, now);
        if (busy != PolicyStore.Busy.FREE) {
            if (busy == PolicyStore.Busy.SKIPPED) {
                Log.infof("policy %s: due time %s skipped, its previous run is still active", row.name(), due);
            }
            return;
        }
        String trigger = spec.triggers().cron() != null ? "cron" : "interval";
        JobPlan plan;
        try {
            plan = planRun(row, trigger, due, false, null, null);
        } catch (FerryException e) {
            store.advance(row.name(), due, next, now, "not started: " + e.getMessage());
            Log.warnf("policy %s: due time %s not started: %s", row.name(), due, e.getMessage());
            return;
        }
        String name = row.name();
        jobs.submitLinked("sync", row.caller(), plan, new JobRepository.Link(name, due, null),
                (c, id) -> PolicyStore.fire(c, name, due, next) && PolicyStore.activeRun(c, name, id).isEmpty())
                .ifPresent(s -> Log.infof("policy %s: due time %s started run %s", name, due, s.job().id()));
    }

    /** The run's plan: the policy's sync with its secrets put back, planned afresh, plus what started it. */
    JobPlan planRun(PolicyStore.Row row, String trigger, Instant dueAt, boolean dryRun, List<String> onlyImages, String retryOf) {
        Spec spec = spec(row);
        Secrets secrets = secrets(row);
        ObjectNode request = StoredRequests.withSecrets(spec.sync(), secrets == null ? null : secrets.sync());
        if (secrets != null && secrets.yaml() != null) {
            request.set("yaml", secrets.yaml());
            stripYamlRedactions(request);
        }
        if (dryRun) {
            request.put("dryRun", true);
        }
        if (onlyImages != null) {
            request.set("onlyImages", json.valueToTree(onlyImages));
        }
        JobPlan plan = syncs.replan(request);
        ObjectNode shown = ((ObjectNode) plan.storedRequest()).deepCopy();
        shown.put("policy", row.name());
        shown.put("trigger", trigger);
        if (retryOf != null) {
            shown.put("retryOf", retryOf);
        }
        if (dueAt != null) {
            shown.put("dueAt", dueAt.toString());
        }
        return new JobPlan(shown, plan.work(), plan.secrets());
    }

    private static void stripYamlRedactions(ObjectNode request) {
        JsonNode redacted = request.get("redacted");
        if (redacted == null) {
            return;
        }
        ArrayNode left = request.arrayNode();
        redacted.forEach(n -> {
            if (!n.asText().startsWith("yaml:")) {
                left.add(n);
            }
        });
        if (left.isEmpty()) {
            request.remove("redacted");
        } else {
            request.set("redacted", left);
        }
    }

    /** Secrets a retry may bring again (a one-off sync's are never kept after it ends). */
    public record RetryRequest(String srcCreds, String destCreds, String srcRegistryToken, String destRegistryToken) {
        @Override
        public String toString() {
            return "RetryRequest[redacted]";
        }
    }

    /**
     * Retries what failed in a sync job or a policy run: a new {@code sync} job over only the images that failed
     * ({@code onlyImages}), linked to the old one ({@code retryOf}). A policy run is retried with the policy's current
     * sync (and stored credentials), as a run of that policy (so it never overlaps another); a one-off sync with its
     * stored request, credentials given again in {@code body} when it had any.
     */
    public JobService.Submitted retry(String jobId, String visibleTo, String caller, RetryRequest body) {
        Job old = jobs.find(jobId, visibleTo).orElseThrow(() -> new FerryException(ProblemType.JOB_NOT_FOUND, "no job " + jobId));
        if (!"sync".equals(old.type())) {
            throw new FerryException(ProblemType.JOB_NOT_RETRYABLE, "job " + jobId + " is a " + old.type()
                    + " job; only sync jobs and policy runs are retried image by image (submit a copy again)");
        }
        if (!old.state().isTerminal()) {
            throw new FerryException(ProblemType.JOB_NOT_RETRYABLE, "job " + jobId + " is still " + old.state().wire() + "; retry it once it has ended");
        }
        List<String> failed = new ArrayList<>();
        if (old.result() != null) {
            old.result().path("images").forEach(i -> {
                if ("failed".equals(i.path("state").asText())) {
                    failed.add(i.path("source").asText());
                }
            });
        }
        if (failed.isEmpty()) {
            throw new FerryException(ProblemType.JOB_NOT_RETRYABLE, "job " + jobId + " " + old.state().wire()
                    + " with no failed image listed; nothing to retry" + (old.state() == dev.ferry.job.JobState.SUCCEEDED ? ""
                    : " (it failed before listing images: submit it again)"));
        }
        JobRepository.Link link = jobs.link(jobId).orElse(JobRepository.Link.NONE);
        Optional<PolicyStore.Row> policy = link.policy() == null ? Optional.empty() : store.find(link.policy());
        if (policy.isPresent()) {
            String name = policy.get().name();
            JobPlan plan = planRun(policy.get(), "retry", null, false, failed, jobId);
            return submitRun(name, policy.get().caller(), plan, new JobRepository.Link(name, null, jobId))
                    .orElseThrow(() -> new FerryException(ProblemType.POLICY_RUN_ACTIVE, "policy " + name
                            + " has a run that is still active; retry once it has ended"));
        }
        ObjectNode request = old.request().deepCopy();
        SyncJobs.LINK_FIELDS.forEach(request::remove);
        if (body != null) {
            request = StoredRequests.withSecrets(request, StoredRequests.secrets(json, body));
        }
        request.set("onlyImages", json.valueToTree(failed));
        request.remove("dryRun");
        JobPlan plan = syncs.replan(request);
        ObjectNode shown = ((ObjectNode) plan.storedRequest()).deepCopy();
        shown.put("retryOf", jobId);
        if (link.policy() != null) {
            shown.put("policy", link.policy());
        }
        return jobs.submitLinked("sync", caller, new JobPlan(shown, plan.work(), plan.secrets()),
                new JobRepository.Link(link.policy(), null, jobId), JobRepository.Admission.ALWAYS).orElseThrow();
    }

    public Runs runs(String name, int offset, int limit) {
        row(name);
        JobService.Page page = jobs.pageOfPolicy(name, offset, limit);
        List<Run> items = page.items().stream().map(PolicyService::run).toList();
        List<Skipped> skipped = store.skips(name, 50).stream()
                .map(s -> new Skipped(s.dueAt(), s.reason(), s.runningJob(), s.recordedAt())).toList();
        return new Runs(items, offset, limit, page.total(), skipped);
    }

    static Run run(Job j) {
        JsonNode req = j.request();
        JsonNode res = j.result();
        return new Run(j.id(), j.state().wire(), text(req, "trigger"), req.hasNonNull("dueAt") ? Instant.parse(req.get("dueAt").asText()) : null,
                text(req, "retryOf"), j.createdAt(), j.startedAt(), j.finishedAt(), j.durationMs(),
                req.path("dryRun").asBoolean(false) ? Boolean.TRUE : null,
                count(res, "copied"), count(res, "skipped"), count(res, "failed"), count(res, "pruned"), j.error());
    }

    private static String text(JsonNode n, String field) {
        return n != null && n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    private static Integer count(JsonNode n, String field) {
        return n != null && n.hasNonNull(field) ? n.get(field).asInt() : null;
    }

    /** The notification targets of a policy, secrets opened (for the notifier only). Empty when there is no policy. */
    public List<NotificationTarget> targets(String name) {
        Optional<PolicyStore.Row> row = store.find(name);
        if (row.isEmpty()) {
            return List.of();
        }
        Spec spec = spec(row.get());
        Secrets secrets = secrets(row.get());
        List<NotificationTarget> out = new ArrayList<>();
        for (int i = 0; i < spec.notifications().size(); i++) {
            NotificationView n = spec.notifications().get(i);
            String secret = secrets != null && i < secrets.notifications().size() ? secrets.notifications().get(i) : null;
            out.add(new NotificationTarget(n.url(), NotificationTarget.When.valueOf(n.on().toUpperCase(Locale.ROOT)), Optional.ofNullable(secret)));
        }
        return out;
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static String name(String name) {
        if (name == null) {
            throw FerryException.invalidField("name", "is required");
        }
        if (!NAME.matcher(name).matches()) {
            throw FerryException.invalidField("name", "must be 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    private static String checkedName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new FerryException(ProblemType.POLICY_NOT_FOUND, "no such policy");
        }
        return name;
    }

    private PolicyStore.Row row(String name) {
        return store.find(checkedName(name)).orElseThrow(() -> notFound(name));
    }

    private static FerryException notFound(String name) {
        return new FerryException(ProblemType.POLICY_NOT_FOUND, "no policy named " + name);
    }

    Spec spec(PolicyStore.Row row) {
        try {
            JsonNode n = json.readTree(row.spec());
            List<NotificationView> ns = new ArrayList<>();
            n.path("notifications").forEach(x -> ns.add(new NotificationView(x.get("url").asText(), x.get("on").asText(),
                    x.path("secretSet").asBoolean())));
            JsonNode t = n.path("triggers");
            return new Spec(row.name(), n.hasNonNull("description") ? n.get("description").asText() : null, n.path("enabled").asBoolean(true),
                    (ObjectNode) n.get("sync"), new PolicyRequest.Triggers(text(t, "interval"), text(t, "cron")), ns);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new FerryException(ProblemType.INTERNAL, "the stored policy " + row.name() + " cannot be read");
        }
    }

    private Secrets secrets(PolicyStore.Row row) {
        if (row.secrets() == null) {
            return null;
        }
        Optional<String> plain = box.enabled() ? box.open("policy:" + row.name(), row.secrets()) : Optional.empty();
        if (plain.isEmpty()) {
            throw new FerryException(ProblemType.JOB_NOT_RESUMABLE, "the stored secrets of policy " + row.name()
                    + " open with none of the configured keys (ferry.store.secret-key rotated away?); PUT the policy again");
        }
        try {
            JsonNode n = json.readTree(plain.get());
            List<String> notify = new ArrayList<>();
            n.path("notifications").forEach(x -> notify.add(x.isNull() ? null : x.asText()));
            return new Secrets(n.hasNonNull("sync") ? (ObjectNode) n.get("sync") : null, n.hasNonNull("yaml") ? n.get("yaml") : null, notify);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new FerryException(ProblemType.INTERNAL, "the stored secrets of policy " + row.name() + " cannot be read");
        }
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    Duration tick() {
        return config.tick();
    }
}
