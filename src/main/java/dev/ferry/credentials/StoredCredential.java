package dev.ferry.credentials;

import java.time.Instant;

/**
 * What the listing shows of stored credentials: never the secret, nor the user name.
 *
 * @param host  the registry, exactly as images name it ({@code registry.example.com:5000})
 * @param kind  {@code basic} (user name and password) or {@code token} (a bearer token used as is)
 * @param setBy the caller who stored them
 * @param setAt when
 */
public record StoredCredential(String host, String kind, String setBy, Instant setAt) {
}
