package dev.ferry.registry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * What Ferry presents to one registry. Secrets never appear in {@link #toString()}; {@link #cacheKey()}
 * is a one-way hash so token caches never hold a password as a key.
 */
public sealed interface Credentials {

    /** A stable, non-reversible key for caches. */
    String cacheKey();

    record Anonymous() implements Credentials {
        @Override
        public String cacheKey() {
            return "anonymous";
        }

        @Override
        public String toString() {
            return "anonymous";
        }
    }

    /** User name and password, like skopeo's {@code --creds user:password}. */
    record Basic(String username, String password) implements Credentials {
        @Override
        public String cacheKey() {
            return "basic:" + sha256(username + "\u0000" + password);
        }

        public String authorizationHeader() {
            return "Basic " + Base64.getEncoder().encodeToString(
                    (username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "basic(" + username + ":***)";
        }
    }

    /** A bearer token used as is, like skopeo's {@code --registry-token}. */
    record RegistryToken(String token) implements Credentials {
        @Override
        public String cacheKey() {
            return "token:" + sha256(token);
        }

        @Override
        public String toString() {
            return "registry-token(***)";
        }
    }

    Credentials ANONYMOUS = new Anonymous();

    /** Parses skopeo's {@code user:password} form; the password may itself contain colons. */
    static Basic parseUserPassword(String creds) {
        int colon = creds.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("credentials must be written user:password");
        }
        return new Basic(creds.substring(0, colon), creds.substring(colon + 1));
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
