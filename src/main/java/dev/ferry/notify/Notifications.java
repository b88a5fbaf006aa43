package dev.ferry.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.job.JobService;
import dev.ferry.job.SecretBox;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Ferry's {@link Notifier}: when a run ends, one delivery per target whose {@code on} matches is recorded in the
 * delivery log (the CloudEvents document is built then, so every attempt sends the same bytes), and the sender is
 * woken. Targets are the run's own (a policy's) plus the globally configured ones ({@code ferry.notifications.targets});
 * one delivery per job and target URL, however often the end is reported. Global targets are checked at startup
 * (a URL the outbound rules refuse stops Ferry with a message naming the property).
 */
@ApplicationScoped
@Startup
public class Notifications implements Notifier {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    /** A target from configuration, checked. */
    record Configured(String name, URI url, NotificationTarget.When on, Optional<byte[]> secret) {
    }

    private final NotificationSettings settings;
    private final NotificationDeliveries deliveries;
    private final NotificationSender sender;
    private final SecretBox box;
    private final JobService jobs;
    private final Clock clock;
    private final ObjectMapper json;
    private final NotificationUrls urls;
    private final Map<String, Configured> configured;
    /** Policy-target secrets of deliveries recorded here while no store key is set (never written anywhere). */
    private final Map<String, byte[]> memorySecrets = new ConcurrentHashMap<>();

    public Notifications(NotificationSettings settings, NotificationDeliveries deliveries, NotificationSender sender,
                         SecretBox box, JobService jobs, Clock clock, ObjectMapper json, NotificationUrls urls) {
        this.settings = settings;
        this.deliveries = deliveries;
        this.sender = sender;
        this.box = box;
        this.jobs = jobs;
        this.clock = clock;
        this.json = json;
        this.urls = urls;
        NotificationTarget.When defaultOn = when(settings.on(), "ferry.notifications.on");
        Map<String, Configured> all = new TreeMap<>();
        settings.targets().forEach((name, t) -> all.put(name, configured(name, t, defaultOn)));
        this.configured = java.util.Collections.unmodifiableMap(all);
        sender.secrets(this::secretOf);
    }

    private Configured configured(String name, NotificationSettings.Target t, NotificationTarget.When defaultOn) {
        String where = "ferry.notifications.targets.\"" + name + "\"";
        if (!NAME.matcher(name).matches()) {
            throw new IllegalStateException(where + ": a target name is 1 to 64 letters, digits, '.', '_' or '-'");
        }
        URI url;
        try {
            url = urls.check(t.url());
        } catch (dev.ferry.error.FerryException e) {
            throw new IllegalStateException(where + ".url: " + e.getMessage());
        }
        Optional<String> secret = t.secretFile().map(f -> firstLine(where, f)).or(t::secret);
        if (secret.isPresent() && secret.get().isBlank()) {
            throw new IllegalStateException(where + ": the secret is empty");
        }
        NotificationTarget.When on = t.on().map(o -> when(o, where + ".on")).orElse(defaultOn);
        return new Configured(name, url, on, secret.map(s -> s.strip().getBytes(StandardCharsets.UTF_8)));
    }

    private static String firstLine(String where, String file) {
        try {
            return Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream().findFirst().orElse("");
        } catch (IOException e) {
            throw new IllegalStateException(where + ": cannot read the secret file " + file);
        }
    }

    /** {@code all}, {@code failures} or {@code changes}, as configuration and the API spell it. */
    public static NotificationTarget.When when(String value, String where) {
        try {
            return NotificationTarget.When.valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + " must be all, failures or changes, not " + value);
        }
    }

    /** The globally configured targets (never their secrets). */
    List<Configured> configuredTargets() {
        return List.copyOf(configured.values());
    }

    static boolean wanted(NotificationTarget.When on, RunEnded run) {
        boolean failed = !"succeeded".equals(run.state());
        return switch (on) {
            case ALL -> true;
            case FAILURES -> failed;
            case CHANGES -> failed || run.changed();
        };
    }

    @Override
    public void runEnded(RunEnded run, List<NotificationTarget> targets) {
        if ((targets == null || targets.isEmpty()) && configured.isEmpty()) {
            return; // nobody to tell: no CloudEvent is built for the job (every job end comes through here)
        }
        // the same URL twice (a policy target that is also global) is one delivery: the run's own wins
        Map<String, Runnable> byKey = new LinkedHashMap<>();
        String payload = cloudEvent(run);
        String type = eventType(run);
        Instant now = clock.instant();
        for (NotificationTarget t : targets == null ? List.<NotificationTarget>of() : targets) {
            if (!wanted(t.on(), run)) {
                continue;
            }
            URI url;
            try {
                url = urls.check(t.url());
            } catch (dev.ferry.error.FerryException e) {
                Log.warnf("notification of job %s to %s not recorded: %s", run.jobId(), NotificationUrls.shown(t.url()), e.getMessage());
                continue;
            }
            String key = key(url.toString());
            byKey.putIfAbsent(key, () -> recordPolicyTarget(run, url, key, type, payload, t.secret(), now));
        }
        for (Configured c : configured.values()) {
            if (!wanted(c.on(), run)) {
                continue;
            }
            String key = key(c.url().toString());
            byKey.putIfAbsent(key, () -> record(new NotificationDeliveries.Delivery(UUID.randomUUID().toString(), run.jobId(), key,
                    c.url().toString(), c.name(), run.policy(), type, payload, c.secret().isPresent() ? "config" : "none", null,
                    NotificationDeliveries.PENDING, 0, null, null, jobs.replica(), now, now, null)));
        }
        byKey.values().forEach(Runnable::run);
        if (!byKey.isEmpty()) {
            sender.kick();
        }
    }

    private void recordPolicyTarget(RunEnded run, URI url, String key, String type, String payload, Optional<String> secret,
                                    Instant now) {
        String id = UUID.randomUUID().toString();
        String mode = "none";
        String sealed = null;
        if (secret.isPresent() && !secret.get().isEmpty()) {
            if (box.enabled()) {
                mode = "sealed";
                sealed = box.seal("notification:" + id, secret.get());
            } else {
                mode = "memory";
                memorySecrets.put(id, secret.get().getBytes(StandardCharsets.UTF_8));
            }
        }
        boolean recorded = record(new NotificationDeliveries.Delivery(id, run.jobId(), key, url.toString(), null, run.policy(), type,
                payload, mode, sealed, NotificationDeliveries.PENDING, 0, null, null, jobs.replica(), now, now, null));
        if (!recorded) {
            memorySecrets.remove(id);
        }
    }

    private boolean record(NotificationDeliveries.Delivery d) {
        boolean recorded = deliveries.record(d);
        if (recorded) {
            Log.debugf("notification %s of job %s to %s recorded", d.id(), d.jobId(), NotificationUrls.shown(d.url()));
        }
        return recorded;
    }

    /**
     * The HMAC key of a delivery: absent when it is unsigned; {@code null} inside the optional is not used — a key that
     * should exist but cannot be found (rotated store key, a restart without one) makes the sender give up.
     */
    SecretLookup secretOf(NotificationDeliveries.Delivery d) {
        switch (d.secretMode()) {
            case "none":
                return SecretLookup.unsigned();
            case "config": {
                Configured c = d.targetName() == null ? null : configured.get(d.targetName());
                return c != null && c.secret().isPresent() ? SecretLookup.of(c.secret().get())
                        : SecretLookup.missing("target " + d.targetName() + " is no longer configured with a secret");
            }
            case "sealed":
                return box.open("notification:" + d.id(), d.secretSealed())
                        .map(s -> SecretLookup.of(s.getBytes(StandardCharsets.UTF_8)))
                        .orElseGet(() -> SecretLookup.missing("no configured ferry.store.secret-key opens the target's secret"));
            case "memory": {
                byte[] s = memorySecrets.get(d.id());
                return s != null ? SecretLookup.of(s) : SecretLookup.missing(
                        "the target's secret was held in memory by the replica that recorded it (no ferry.store.secret-key), which restarted");
            }
            default:
                return SecretLookup.missing("unknown secret mode");
        }
    }

    /** The key to sign with, or why there is none. */
    record SecretLookup(byte[] key, String missing) {
        static SecretLookup unsigned() {
            return new SecretLookup(null, null);
        }

        static SecretLookup of(byte[] key) {
            return new SecretLookup(key, null);
        }

        static SecretLookup missing(String why) {
            return new SecretLookup(null, why);
        }
    }

    static String eventType(RunEnded run) {
        return "dev.ferry.job." + run.state();
    }

    /** The CloudEvents 1.0 structured-mode JSON document of a run's end. */
    String cloudEvent(RunEnded run) {
        ObjectNode ce = json.createObjectNode();
        ce.put("specversion", "1.0");
        ce.put("id", run.jobId());
        ce.put("source", settings.source());
        ce.put("type", eventType(run));
        ce.put("subject", run.jobId());
        ce.put("time", (run.endedAt() == null ? clock.instant() : run.endedAt()).toString());
        ce.put("datacontenttype", "application/json");
        if (run.policy() != null) {
            ce.put("ferrypolicy", run.policy());
        }
        ObjectNode data = ce.putObject("data");
        data.put("jobId", run.jobId());
        data.put("jobType", run.jobType());
        data.put("job", "/api/v1/jobs/" + run.jobId());
        if (run.policy() != null) {
            data.put("policy", run.policy());
        }
        data.put("state", run.state());
        data.put("changed", run.changed());
        if (run.endedAt() != null) {
            data.put("endedAt", run.endedAt().toString());
        }
        if (run.summary() != null && run.summary().isObject()) {
            run.summary().fields().forEachRemaining(e -> data.set(e.getKey(), e.getValue()));
        }
        try {
            return json.writeValueAsString(ce);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String key(String url) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    List<String> configuredNames() {
        return new ArrayList<>(configured.keySet());
    }
}
