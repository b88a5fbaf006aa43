package dev.ferry.webhook;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The webhooks: configured ones ({@code ferry.hooks."NAME".*}), checked at startup — a hook without exactly one
 * secret, with an empty secret file, or with a rule that does not compile stops Ferry from starting, so no hook is
 * ever open by mistake — and stored ones, created by admins through {@code /api/v1/hooks} (table {@code hooks},
 * shared by every replica, read at each delivery, secrets sealed with {@code ferry.store.secret-key}). A configured
 * hook is read-only: its name cannot be created, replaced or deleted through the API ({@code hook-read-only}).
 * Deliveries to either kind go the same way (verification, formats, rules, dedupe).
 */
@ApplicationScoped
@Startup
public class Hooks {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    /** One configured hook, ready to use. */
    public record Hook(String name, DeliverySignature signature, Optional<String> registry, int maxBodyBytes,
                       List<PromotionRule> rules) {

        /** The first rule that matches, if any. */
        public Optional<PromotionRule> ruleFor(String registry, PushedTag pushed) {
            return rules.stream().filter(r -> r.matches(registry, pushed.repository(), pushed.tag())).findFirst();
        }
    }

    private final Map<String, Hook> hooks;
    private final StoredHooks stored;
    private final dev.ferry.job.SecretBox box;
    private final com.fasterxml.jackson.databind.ObjectMapper json;
    private final java.time.Clock clock;

    public Hooks(FerryConfig config, StoredHooks stored, dev.ferry.job.SecretBox box,
                 com.fasterxml.jackson.databind.ObjectMapper json, java.time.Clock clock) {
        this.stored = stored;
        this.box = box;
        this.json = json;
        this.clock = clock;
        Map<String, Hook> all = new TreeMap<>();
        config.hooks().forEach((name, h) -> all.put(name, build(name, h)));
        this.hooks = Collections.unmodifiableMap(all);
    }

    /** The hook of that name: configured, else stored. */
    public Optional<Hook> find(String name) {
        Hook configured = hooks.get(name);
        if (configured != null || !NAME.matcher(name).matches()) {
            return Optional.ofNullable(configured);
        }
        return stored.find(name).map(this::fromRow);
    }

    /** All hooks, configured ones first, each group by name. */
    public List<Hook> all() {
        List<Hook> out = new ArrayList<>(hooks.values());
        stored.all().stream().filter(r -> !hooks.containsKey(r.name())).map(this::fromRow).forEach(out::add);
        return List.copyOf(out);
    }

    /** Whether {@code name} is a hook from configuration (read-only through the API). */
    public boolean isConfigured(String name) {
        return hooks.containsKey(name);
    }

    // ---- stored hooks: create, replace, delete (admins, through /api/v1/hooks) ----------------------------------

    /** What is stored of a hook besides its secret. */
    public record Definition(String registry, int maxBodyBytes, List<HookRequest.Rule> rules) {
    }

    /** Creates a stored hook; 409 hook-read-only for a configured name, 409 hook-exists for a stored one. */
    public Hook create(HookRequest r) {
        if (r.name() == null || r.name().isBlank()) {
            throw FerryException.invalidField("name", "a hook needs a name");
        }
        String name = checkName(r.name());
        refuseConfigured(name);
        Built b = validate(r, true);
        requireKey();
        java.time.Instant now = clock.instant();
        StoredHooks.Row row = new StoredHooks.Row(name, b.verification(), box.seal("hook:" + name, b.secret()), b.definition(), 1,
                now, now);
        if (!stored.insert(row)) {
            throw new FerryException(ProblemType.HOOK_EXISTS, "a hook named " + name + " exists already; replace it with PUT");
        }
        return fromRow(row);
    }

    /** Replaces a stored hook (without a secret in the request, its secret stays); 404 when there is none. */
    public Hook replace(String name, HookRequest r) {
        checkName(name);
        refuseConfigured(name);
        if (r.name() != null && !r.name().equals(name)) {
            throw FerryException.invalidField("name", "must be the hook's name in the path (" + name + ") or absent; hooks are not renamed");
        }
        StoredHooks.Row current = stored.find(name).orElseThrow(() -> notFound(name));
        Built b = validate(r, false);
        requireKey();
        String verification = b.secret() == null ? current.verification() : b.verification();
        String sealed = b.secret() == null ? current.secretSealed() : box.seal("hook:" + name, b.secret());
        StoredHooks.Row row = new StoredHooks.Row(name, verification, sealed, b.definition(), current.version() + 1,
                current.createdAt(), clock.instant());
        if (!stored.update(row, current.version())) {
            throw new FerryException(ProblemType.HOOK_EXISTS, "the hook " + name + " was changed or deleted meanwhile; read it and try again");
        }
        return fromRow(row);
    }

    public void delete(String name) {
        checkName(name);
        refuseConfigured(name);
        if (!stored.delete(name)) {
            throw notFound(name);
        }
    }

    /** When a stored hook was created and last changed, or empty for a configured one. */
    public Optional<StoredHooks.Row> storedRow(String name) {
        return hooks.containsKey(name) ? Optional.empty() : stored.find(name);
    }

    private static FerryException notFound(String name) {
        return new FerryException(ProblemType.HOOK_NOT_FOUND, "no webhook named " + name + " is stored");
    }

    private void refuseConfigured(String name) {
        if (hooks.containsKey(name)) {
            throw new FerryException(ProblemType.HOOK_READ_ONLY, "the hook " + name + " comes from configuration (ferry.hooks.\""
                    + name + "\"); change it there, not through the API");
        }
    }

    private void requireKey() {
        if (!box.enabled()) {
            throw new FerryException(ProblemType.CREDENTIALS_NEED_SECRET_KEY, "a stored hook's secret is kept encrypted with the "
                    + "store's key, and none is configured: set ferry.store.secret-key (FERRY_STORE_SECRET_KEY) on every replica");
        }
    }

    private static String checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw FerryException.invalidField("name", "a hook name is 1 to 64 letters, digits, '.', '_' or '-'");
        }
        return name;
    }

    private record Built(String verification, String secret, String definition) {
    }

    private static final Pattern REGISTRY = Pattern.compile("[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+](:[0-9]{1,5})?");
    private static final int MAX_SECRET = 1024;
    private static final int MAX_RULES = 100;
    private static final int MAX_BODY = 10 * 1024 * 1024;

    private Built validate(HookRequest r, boolean secretRequired) {
        List<FerryException.FieldError> errors = new ArrayList<>();
        String hmac = r.hmacSecret();
        String bearer = r.bearerSecret();
        if (hmac != null && bearer != null) {
            errors.add(new FerryException.FieldError("hmacSecret", "set exactly one of hmacSecret and bearerSecret"));
        } else if (hmac == null && bearer == null && secretRequired) {
            errors.add(new FerryException.FieldError("hmacSecret", "set exactly one of hmacSecret and bearerSecret"));
        }
        String secret = hmac != null ? hmac.strip() : bearer != null ? bearer.strip() : null;
        String secretField = hmac != null ? "hmacSecret" : "bearerSecret";
        if (secret != null && (secret.isEmpty() || secret.length() > MAX_SECRET)) {
            errors.add(new FerryException.FieldError(secretField, "must be 1 to " + MAX_SECRET + " characters"));
        }
        if (r.registry() != null && !REGISTRY.matcher(r.registry()).matches()) {
            errors.add(new FerryException.FieldError("registry", "must be a registry host[:port]"));
        }
        int maxBody = r.maxBodyBytes() == null ? 1048576 : r.maxBodyBytes();
        if (maxBody < 1 || maxBody > MAX_BODY) {
            errors.add(new FerryException.FieldError("maxBodyBytes", "must be from 1 to " + MAX_BODY));
        }
        List<HookRequest.Rule> rules = r.rules() == null ? List.of() : r.rules();
        if (rules.isEmpty() || rules.size() > MAX_RULES) {
            errors.add(new FerryException.FieldError("rules", "give 1 to " + MAX_RULES + " rules"));
        }
        List<HookRequest.Rule> normalised = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            HookRequest.Rule rule = rules.get(i);
            String where = "rules[" + i + "]";
            if (rule == null || rule.source() == null || rule.destination() == null) {
                errors.add(new FerryException.FieldError(where, "a rule needs source and destination"));
                continue;
            }
            HookRequest.Rule n = new HookRequest.Rule(rule.source(), rule.tagRegex() == null ? ".*" : rule.tagRegex(),
                    rule.destination(), rule.srcTlsVerify() == null || rule.srcTlsVerify(),
                    rule.destTlsVerify() == null || rule.destTlsVerify());
            try {
                PromotionRule.of(n.source(), n.tagRegex(), n.destination(), n.srcTlsVerify(), n.destTlsVerify());
                normalised.add(n);
            } catch (IllegalArgumentException e) {
                errors.add(new FerryException.FieldError(where, e.getMessage()));
            }
        }
        if (!errors.isEmpty()) {
            FerryException.FieldError first = errors.get(0);
            throw new FerryException(ProblemType.INVALID_REQUEST, first.field() + ": " + first.message(), errors, null);
        }
        try {
            String definition = json.writeValueAsString(new Definition(r.registry(), maxBody, List.copyOf(normalised)));
            return new Built(hmac != null ? "hmac-sha256" : "bearer", secret, definition);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Hook fromRow(StoredHooks.Row row) {
        Definition d;
        try {
            d = json.readValue(row.definition(), Definition.class);
        } catch (IOException e) {
            throw new IllegalStateException("the stored hook " + row.name() + " cannot be read", e);
        }
        byte[] secret = box.open("hook:" + row.name(), row.secretSealed()).map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
        if (secret == null) {
            // no configured key opens it (rotated away): the hook exists but no delivery can be verified
            io.quarkus.logging.Log.warnf("stored hook %s: no configured ferry.store.secret-key opens its secret; its deliveries "
                    + "are refused until it is replaced with a new secret", row.name());
            secret = new byte[32];
            new java.security.SecureRandom().nextBytes(secret);
        }
        DeliverySignature signature = "bearer".equals(row.verification()) ? new DeliverySignature.Bearer(secret)
                : new DeliverySignature.Hmac(secret);
        List<PromotionRule> rules = d.rules().stream().map(r -> PromotionRule.of(r.source(), r.tagRegex(), r.destination(),
                r.srcTlsVerify() == null || r.srcTlsVerify(), r.destTlsVerify() == null || r.destTlsVerify())).toList();
        return new Hook(row.name(), signature, Optional.ofNullable(d.registry()), d.maxBodyBytes(), rules);
    }

    private static Hook build(String name, FerryConfig.Hook h) {
        String where = "ferry.hooks.\"" + name + "\"";
        if (!NAME.matcher(name).matches()) {
            throw new IllegalStateException(where + ": a hook name is 1 to 64 letters, digits, '.', '_' or '-'");
        }
        List<DeliverySignature> signatures = new ArrayList<>();
        h.hmacSecret().ifPresent(s -> signatures.add(new DeliverySignature.Hmac(secret(where + ".hmac-secret", s))));
        h.hmacSecretFile().ifPresent(f -> signatures.add(new DeliverySignature.Hmac(secret(where + ".hmac-secret-file", read(where, f)))));
        h.bearerSecret().ifPresent(s -> signatures.add(new DeliverySignature.Bearer(secret(where + ".bearer-secret", s))));
        h.bearerSecretFile().ifPresent(f -> signatures.add(new DeliverySignature.Bearer(secret(where + ".bearer-secret-file", read(where, f)))));
        if (signatures.size() != 1) {
            throw new IllegalStateException(where + ": set exactly one of hmac-secret, hmac-secret-file, bearer-secret, "
                    + "bearer-secret-file (found " + signatures.size() + ")");
        }
        if (h.maxBodyBytes() < 1) {
            throw new IllegalStateException(where + ".max-body-bytes must be positive");
        }
        if (h.rules().isEmpty()) {
            throw new IllegalStateException(where + ": configure at least one rule (rules[0].source, rules[0].destination)");
        }
        List<PromotionRule> rules = new ArrayList<>();
        for (int i = 0; i < h.rules().size(); i++) {
            FerryConfig.HookRule r = h.rules().get(i);
            try {
                rules.add(PromotionRule.of(r.source(), r.tagRegex(), r.destination(), r.srcTlsVerify(), r.destTlsVerify()));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(where + ".rules[" + i + "]: " + e.getMessage());
            }
        }
        return new Hook(name, signatures.get(0), h.registry(), h.maxBodyBytes(), List.copyOf(rules));
    }

    private static byte[] secret(String property, String value) {
        String s = value.strip();
        if (s.isEmpty()) {
            throw new IllegalStateException(property + " is empty");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The first line of a secret file. */
    private static String read(String where, String file) {
        try {
            return Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream().findFirst().orElse("");
        } catch (IOException e) {
            throw new IllegalStateException(where + ": cannot read the secret file " + file);
        }
    }
}
