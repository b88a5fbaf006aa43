package dev.ferry.registry.http;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bearer tokens per realm + service + credentials + scope, kept until shortly before they expire.
 * Keys hold a hash of the credentials, never the credentials themselves.
 */
final class TokenCache {
    private static final int MAX_ENTRIES = 10_000;

    record Token(String value, Instant expiresAt) {
    }

    private final Map<String, Token> tokens = new ConcurrentHashMap<>();

    static String key(String realm, String service, String credentialsKey, String scope) {
        return realm + '|' + service + '|' + credentialsKey + '|' + scope;
    }

    String get(String key, Instant now) {
        Token t = tokens.get(key);
        if (t == null) {
            return null;
        }
        if (!now.isBefore(t.expiresAt())) {
            tokens.remove(key, t);
            return null;
        }
        return t.value();
    }

    void put(String key, Token token) {
        if (tokens.size() >= MAX_ENTRIES) {
            Instant now = Instant.now();
            tokens.values().removeIf(t -> !now.isBefore(t.expiresAt()));
            if (tokens.size() >= MAX_ENTRIES) {
                tokens.clear();
            }
        }
        tokens.put(key, token);
    }

    void invalidate(String key) {
        tokens.remove(key);
    }
}
