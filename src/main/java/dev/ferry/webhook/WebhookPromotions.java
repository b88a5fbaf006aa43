package dev.ferry.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.error.RequestFields;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobService;
import dev.ferry.security.Callers;
import dev.ferry.transfer.CopyJobs;
import dev.ferry.transfer.CopyRequest;
import dev.ferry.webhook.DeliverySignature;
import dev.ferry.webhook.Hooks;
import dev.ferry.webhook.PromotionRule;
import dev.ferry.webhook.PushedTag;
import dev.ferry.webhook.WebhookDeliveries;
import dev.ferry.webhook.WebhookPayloads;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a webhook delivery into copy jobs, in this order: the hook exists (404), the body is within the hook's
 * cap (413), the signature is valid (401) — all before a byte of the body is parsed — then the body is read
 * (400), each pushed tag is matched against the hook's rules, and each match becomes a copy job by digest,
 * unless an earlier delivery of the same event already started one.
 */
@ApplicationScoped
public class WebhookPromotions {
    /** A rule's destination that names a stored policy to run: {@code policy:NAME}. */
    static final String POLICY_PREFIX = "policy:";
    private static final java.util.regex.Pattern HOOK_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Hooks hooks;
    private final WebhookDeliveries deliveries;
    private final CopyJobs copies;
    private final JobService jobs;
    private final ObjectMapper json;
    private final dev.ferry.policy.PolicyService policies;
    /** Serialises the check-then-submit of deliveries in this process (the table's key guards other processes). */
    private final Object submitting = new Object();

    /** The jobs of a delivery (new or from an earlier delivery of the same events) and whether any is new. */
    public record Outcome(List<String> jobs, int ignored, boolean anyNew, List<WebhookPayloads.Rejected> rejected) {
    }

    private record Match(PushedTag pushed, String registry, PromotionRule rule) {
    }

    public WebhookPromotions(Hooks hooks, WebhookDeliveries deliveries, CopyJobs copies, JobService jobs, ObjectMapper json,
                             dev.ferry.policy.PolicyService policies) {
        this.policies = policies;
        this.hooks = hooks;
        this.deliveries = deliveries;
        this.copies = copies;
        this.jobs = jobs;
        this.json = json;
    }

    public Outcome receive(String name, String hubSignature, String authorization, byte[] body) {
        Hooks.Hook hook = hooks.find(name).orElseThrow(() -> new FerryException(ProblemType.HOOK_NOT_FOUND,
                HOOK_NAME.matcher(name).matches() ? "no webhook named " + name + " is configured" : "no such webhook"));
        byte[] raw = body == null ? new byte[0] : body;
        if (raw.length > hook.maxBodyBytes()) {
            throw new FerryException(ProblemType.PAYLOAD_TOO_LARGE,
                    "the delivery is larger than the " + hook.maxBodyBytes() + " bytes this hook accepts");
        }
        DeliverySignature.Outcome verified = hook.signature().check(hubSignature, authorization, raw);
        if (verified != DeliverySignature.Outcome.VALID) {
            throw new FerryException(ProblemType.HOOK_UNAUTHORIZED,
                    verified == DeliverySignature.Outcome.MISSING ? "signature missing" : "signature invalid");
        }
        WebhookPayloads.Parsed parsed = WebhookPayloads.parse(raw, json);

        int ignored = parsed.ignored();
        // a malformed event is refused alone: the valid ones of the same delivery are promoted
        List<WebhookPayloads.Rejected> rejected = new ArrayList<>(parsed.rejected());
        List<Match> matches = new ArrayList<>();
        for (PushedTag p : parsed.pushes()) {
            String registry = hook.registry().orElse(p.registry());
            String event = p.repository() + ":" + p.tag();
            if (registry == null) {
                rejected.add(new WebhookPayloads.Rejected(event,
                        "the event names no registry; send one, or configure ferry.hooks.\"" + hook.name() + "\".registry"));
                continue;
            }
            try {
                RequestFields.image("event", registry + "/" + p.repository() + ":" + p.tag() + "@" + p.digest());
            } catch (FerryException invalid) {
                rejected.add(new WebhookPayloads.Rejected(event, invalid.getMessage()));
                continue;
            }
            Optional<PromotionRule> rule = hook.ruleFor(registry, p);
            if (rule.isEmpty()) {
                ignored++;
            } else {
                matches.add(new Match(p, registry, rule.get()));
            }
        }

        Set<String> ids = new LinkedHashSet<>();
        boolean anyNew = false;
        synchronized (submitting) {
            for (Match m : matches) {
                Optional<String> earlier = deliveries.jobOf(hook.name(), m.pushed().eventKey());
                if (earlier.isPresent()) {
                    ids.add(earlier.get());
                    continue;
                }
                // a rule whose destination is "policy:NAME" runs that stored policy rather than a copy (issue 13)
                if (m.rule().destination().startsWith(POLICY_PREFIX)) {
                    String event = m.registry() + "/" + m.pushed().repository() + ":" + m.pushed().tag();
                    Optional<String> run = policies.runForWebhook(m.rule().destination().substring(POLICY_PREFIX.length()),
                            "hook " + hook.name() + ", push of " + event);
                    if (run.isEmpty()) {
                        ignored++;
                    } else if (deliveries.record(hook.name(), m.pushed().eventKey(), run.get(), Instant.now())) {
                        ids.add(run.get());
                        anyNew = true;
                    } else {
                        deliveries.jobOf(hook.name(), m.pushed().eventKey()).ifPresent(ids::add);
                    }
                    continue;
                }
                // out of order (BAD-INPUT row 28): never promote a push older than one already promoted
                String tagRef = m.registry() + "/" + m.pushed().repository() + ":" + m.pushed().tag();
                Instant pushedAt = m.pushed().pushedAt();
                Optional<WebhookDeliveries.Head> head = pushedAt == null ? Optional.empty() : deliveries.head(hook.name(), tagRef);
                if (head.isPresent() && head.get().pushedAt().isAfter(pushedAt)) {
                    Log.infof("webhook %s: not promoting %s@%s pushed at %s: a newer push (%s, at %s) was promoted already",
                            hook.name(), tagRef, m.pushed().digest(), pushedAt, head.get().digest(), head.get().pushedAt());
                    ignored++;
                    continue;
                }
                JobPlan plan;
                try {
                    plan = copies.plan(copyRequest(m));
                } catch (FerryException e) {
                    // The rule, not the sender, is at fault (e.g. a destination that is no valid reference, or a
                    // registry outside the policy): redelivering would not help, so the event is ignored, loudly.
                    Log.warnf("webhook %s: not promoting %s/%s:%s: %s", hook.name(), m.registry(), m.pushed().repository(),
                            m.pushed().tag(), e.getMessage());
                    ignored++;
                    continue;
                }
                JobService.Submitted submitted = jobs.submit("copy", Callers.current(), null, plan);
                String id = submitted.job().id();
                if (deliveries.record(hook.name(), m.pushed().eventKey(), id, Instant.now())) {
                    ids.add(id);
                    anyNew = true;
                    if (pushedAt != null && deliveries.advance(hook.name(), tagRef, pushedAt, m.pushed().digest(), id)) {
                        head.filter(h -> !h.digest().equals(m.pushed().digest())).ifPresent(h -> supersede(h.jobId(), id));
                    }
                } else {
                    jobs.cancel(submitted.job());
                    deliveries.jobOf(hook.name(), m.pushed().eventKey()).ifPresent(ids::add);
                }
            }
        }
        if (!rejected.isEmpty() && matches.isEmpty() && ignored == 0) {
            // nothing in the delivery is usable: refused as a whole, every event's problem listed
            throw new FerryException(ProblemType.INVALID_REQUEST, rejected.get(0).reason(), rejected.stream()
                    .map(r -> new FerryException.FieldError(r.event(), r.reason())).toList(), null);
        }
        return new Outcome(List.copyOf(ids), ignored, anyNew, List.copyOf(rejected));
    }

    /**
     * A newer push of the same tag was accepted while the promotion of an older one may still run: that one is
     * cancelled, so it cannot finish last and put the older image back under the tag (it pushes its manifest only
     * after its blobs, so a cancel leaves the destination's tag as it was).
     */
    private void supersede(String olderJob, String newerJob) {
        jobs.find(olderJob, null).filter(j -> !j.state().isTerminal()).ifPresent(j -> {
            Log.infof("webhook: cancelling promotion %s, superseded by %s (a newer push of the same tag)", olderJob, newerJob);
            jobs.cancel(j);
        });
    }

    /** A copy by digest from where the event says the push went, of every platform, so the digest is preserved. */
    private static CopyRequest copyRequest(Match m) {
        PushedTag p = m.pushed();
        String source = "docker://" + m.registry() + "/" + p.repository() + "@" + p.digest();
        String destination = m.rule().destinationFor(m.registry(), p);
        return new CopyRequest(source, destination, m.rule().srcTlsVerify(), m.rule().destTlsVerify(),
                null, null, null, null, null, null, true, null, null, null, null, null, null, null, null, null);
    }

    public List<Hooks.Hook> all() {
        return hooks.all();
    }
}
