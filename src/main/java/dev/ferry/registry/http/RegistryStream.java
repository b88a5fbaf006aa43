package dev.ferry.registry.http;

import io.vertx.core.http.HttpClientResponse;

/**
 * The outcome of opening a streamed download: either a 2xx response whose body has not been read
 * (paused, so the caller decides where it flows), or the registry's refusal with its (bounded) error body.
 * Exactly one of the two is non-null.
 *
 * @param response the paused, unread 2xx response, or null
 * @param refused  the non-2xx answer with its error document, or null
 */
public record RegistryStream(HttpClientResponse response, RegistryResponse refused) {
    public boolean isSuccess() {
        return response != null;
    }
}
