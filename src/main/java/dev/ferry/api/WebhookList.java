package dev.ferry.api;

import dev.ferry.webhook.Hooks;
import java.util.List;

/** The webhooks, configured ones first, without their secrets. */
public record WebhookList(List<Webhook> hooks) {

    static WebhookList of(List<Hooks.Hook> hooks, java.util.function.Predicate<String> configured) {
        return new WebhookList(hooks.stream().map(h -> Webhook.of(h, configured.test(h.name()))).toList());
    }
}
