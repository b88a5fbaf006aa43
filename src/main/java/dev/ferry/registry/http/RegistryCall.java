package dev.ferry.registry.http;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * One request to a registry, described once so that every retry, re-authentication and redirect
 * sends the same thing, and every failure can name what was being done.
 *
 * @param method    HTTP method
 * @param path      path and query under the registry, starting with {@code /v2/}; or an absolute URL
 *                  (pagination {@code Link}s) on the same registry
 * @param headers   extra headers (Accept, Content-Type); never Authorization
 * @param body      request body or null
 * @param scope     token scope, e.g. {@code repository:lab/app:pull}
 * @param action    what this is for, e.g. "reading manifest latest in 127.0.0.1:5000/lab/app"
 * @param bodyLimit most bytes of a successful response body read into memory
 */
public record RegistryCall(HttpMethod method, String path, MultiMap headers, Buffer body, String scope,
                           String action, int bodyLimit) {

    public static RegistryCall get(String path, String scope, String action, int bodyLimit) {
        return new RegistryCall(HttpMethod.GET, path, MultiMap.caseInsensitiveMultiMap(), null, scope, action, bodyLimit);
    }

    public static RegistryCall head(String path, String scope, String action) {
        return new RegistryCall(HttpMethod.HEAD, path, MultiMap.caseInsensitiveMultiMap(), null, scope, action, 0);
    }

    public RegistryCall withHeader(String name, String value) {
        MultiMap copy = MultiMap.caseInsensitiveMultiMap().addAll(headers);
        copy.set(name, value);
        return new RegistryCall(method, path, copy, body, scope, action, bodyLimit);
    }

    public RegistryCall withPath(String newPath) {
        return new RegistryCall(method, newPath, headers, body, scope, action, bodyLimit);
    }
}
