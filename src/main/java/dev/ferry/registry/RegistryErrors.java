package dev.ferry.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.registry.http.RegistryResponse;

/**
 * Turns a registry's non-2xx answer into one clear problem. The registry's own error code and a
 * sanitised, shortened message are kept; the raw body is never echoed.
 */
final class RegistryErrors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MESSAGE = 200;

    private RegistryErrors() {
    }

    /** The first distribution error code in the body, e.g. {@code MANIFEST_UNKNOWN}, or null. */
    static String code(RegistryResponse resp) {
        JsonNode first = firstError(resp);
        return first == null ? null : first.path("code").asText(null);
    }

    static String summary(RegistryResponse resp) {
        JsonNode first = firstError(resp);
        StringBuilder sb = new StringBuilder("HTTP ").append(resp.status());
        if (first != null) {
            String code = first.path("code").asText("");
            String message = sanitise(first.path("message").asText(""));
            if (!code.isEmpty()) {
                sb.append(' ').append(sanitise(code));
            }
            if (!message.isEmpty()) {
                sb.append(" (").append(message).append(')');
            }
        }
        return sb.toString();
    }

    private static JsonNode firstError(RegistryResponse resp) {
        if (resp.body() == null || resp.body().length() == 0) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(resp.body().getBytes());
            JsonNode errors = root == null ? null : root.get("errors");
            return errors != null && errors.isArray() && errors.size() > 0 ? errors.get(0) : null;
        } catch (Exception notJson) {
            return null;
        }
    }

    private static String sanitise(String s) {
        String clean = s.replaceAll("[\\p{Cntrl}]", " ").strip();
        return clean.length() > MAX_MESSAGE ? clean.substring(0, MAX_MESSAGE) + "…" : clean;
    }

    /**
     * The problem for a failed call. {@code notFound} is used for a 404 that carries no more specific code.
     */
    static FerryException failure(RegistryResponse resp, String action, ProblemType notFound) {
        int status = resp.status();
        String detail = action + ": the registry answered " + summary(resp);
        if (status == 401) {
            return new FerryException(ProblemType.REGISTRY_UNAUTHORIZED, detail + "; check the credentials for this registry");
        }
        if (status == 403) {
            return new FerryException(ProblemType.REGISTRY_FORBIDDEN, detail);
        }
        if (status == 404) {
            String code = code(resp);
            ProblemType type = notFound;
            if ("NAME_UNKNOWN".equals(code)) {
                type = ProblemType.REPOSITORY_NOT_FOUND;
            } else if ("MANIFEST_UNKNOWN".equals(code)) {
                type = ProblemType.IMAGE_NOT_FOUND;
            } else if ("BLOB_UNKNOWN".equals(code)) {
                type = ProblemType.BLOB_NOT_FOUND;
            }
            return new FerryException(type, detail);
        }
        if (status == 405) {
            return new FerryException(ProblemType.REGISTRY_ERROR, detail + "; the registry does not allow this operation");
        }
        if (status == 408 || status == 504) {
            return new FerryException(ProblemType.REGISTRY_TIMEOUT, detail);
        }
        return new FerryException(ProblemType.REGISTRY_ERROR, detail);
    }
}
