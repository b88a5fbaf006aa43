package dev.ferry.registry.http;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * A registry's answer, with its body read (bounded). For non-2xx answers the body is the registry's
 * error document, read up to the small-body cap.
 *
 * @param url the URL that finally answered (after redirects), for resolving relative links
 */
public record RegistryResponse(int status, MultiMap headers, Buffer body, String url) {
    public boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    public String header(String name) {
        return headers.get(name);
    }
}
