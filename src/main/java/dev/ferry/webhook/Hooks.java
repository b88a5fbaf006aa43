package dev.ferry.webhook;

import dev.ferry.config.FerryConfig;
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
 * The configured webhooks ({@code ferry.hooks."NAME".*}), checked at startup: a hook without exactly one secret,
 * with an empty secret file, or with a rule that does not compile stops Ferry from starting, so no hook is ever
 * open by mistake.
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

    public Hooks(FerryConfig config) {
        Map<String, Hook> all = new TreeMap<>();
        config.hooks().forEach((name, h) -> all.put(name, build(name, h)));
        this.hooks = Collections.unmodifiableMap(all);
    }

    public Optional<Hook> find(String name) {
        return Optional.ofNullable(hooks.get(name));
    }

    /** All hooks, by name. */
    public List<Hook> all() {
        return List.copyOf(hooks.values());
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
