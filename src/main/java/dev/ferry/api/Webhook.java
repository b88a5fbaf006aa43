package dev.ferry.api;

import dev.ferry.webhook.Hooks;
import dev.ferry.webhook.PromotionRule;
import java.util.List;

/**
 * One webhook as the API shows it, never with its secret: which kind of verification it uses, and {@code source}:
 * {@code config} (from {@code ferry.hooks."NAME"}, read-only through the API) or {@code api} (created through it).
 *
 * @param verification {@code hmac-sha256} (X-Hub-Signature-256) or {@code bearer} (Authorization: Bearer)
 * @param registry     the configured source registry, or null when events name it
 */
public record Webhook(String name, String source, String url, String verification, String registry, int maxBodyBytes,
                      List<Rule> rules) {

    public record Rule(String source, String tagRegex, String destination, boolean srcTlsVerify, boolean destTlsVerify) {
    }

    static Webhook of(Hooks.Hook h, boolean configured) {
        return new Webhook(h.name(), configured ? "config" : "api", "/api/v1/hooks/" + h.name(), h.signature().kind(),
                h.registry().orElse(null), h.maxBodyBytes(), h.rules().stream().map(Webhook::rule).toList());
    }

    private static Rule rule(PromotionRule r) {
        return new Rule(r.source(), r.tagRegex(), r.destination(), r.srcTlsVerify(), r.destTlsVerify());
    }
}
