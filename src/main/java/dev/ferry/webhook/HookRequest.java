package dev.ferry.webhook;

import java.util.List;

/**
 * A hook as created or replaced through {@code /api/v1/hooks} (the same fields as {@code ferry.hooks."NAME".*}, in
 * camelCase). Exactly one of {@code hmacSecret} and {@code bearerSecret} on create; on replace, neither keeps the
 * current secret. Secrets are write-only: stored encrypted, never shown.
 *
 * @param name         1 to 64 letters, digits, '.', '_' or '-' (on replace: the path's name, or absent)
 * @param maxBodyBytes largest delivery read (default 1048576)
 */
public record HookRequest(String name, String hmacSecret, String bearerSecret, String registry, Integer maxBodyBytes,
                          List<Rule> rules) {

    /** One promotion rule, as {@code ferry.hooks."NAME".rules[i].*}. */
    public record Rule(String source, String tagRegex, String destination, Boolean srcTlsVerify, Boolean destTlsVerify) {
    }

    @Override
    public String toString() {
        return "HookRequest[name=" + name + ", secrets=***]";
    }
}
