package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import java.util.List;

/**
 * A job's request as stored and shown: null fields dropped, secrets removed and their names listed under
 * {@code redacted}; and the way back to a request after a restart, refused when secrets were removed.
 */
public final class StoredRequests {
    public static final List<String> SECRET_FIELDS = List.of("creds", "registryToken", "srcCreds", "destCreds",
            "srcRegistryToken", "destRegistryToken");

    private StoredRequests() {
    }

    public static JsonNode of(ObjectMapper json, Object request) {
        return of(json, request, List.of());
    }

    /** As {@link #of(ObjectMapper, Object)}, also listing secrets removed elsewhere (e.g. from a YAML document). */
    public static ObjectNode of(ObjectMapper json, Object request, List<String> alsoRedacted) {
        ObjectNode node = json.valueToTree(request);
        ArrayNode redacted = json.createArrayNode();
        for (String field : SECRET_FIELDS) {
            JsonNode v = node.remove(field);
            if (v != null && !v.isNull()) {
                redacted.add(field);
            }
        }
        alsoRedacted.forEach(redacted::add);
        node.properties().removeIf(e -> e.getValue().isNull());
        if (!redacted.isEmpty()) {
            node.set("redacted", redacted);
        }
        return node;
    }

    /** The secret fields of a request that {@link #of} removes, with their values; null when there are none. */
    public static ObjectNode secrets(ObjectMapper json, Object request) {
        ObjectNode node = json.valueToTree(request);
        ObjectNode out = json.createObjectNode();
        for (String field : SECRET_FIELDS) {
            JsonNode v = node.get(field);
            if (v != null && !v.isNull()) {
                out.set(field, v);
            }
        }
        return out.isEmpty() ? null : out;
    }

    /**
     * The stored request with its secrets put back (for a resume on any replica): the fields in {@code secrets}
     * are restored and struck from {@code redacted}. Secrets that were not kept (e.g. inside a YAML document)
     * stay listed, and the resume is refused as before.
     */
    public static ObjectNode withSecrets(JsonNode stored, ObjectNode secrets) {
        ObjectNode copy = stored.deepCopy();
        if (secrets == null) {
            return copy;
        }
        JsonNode redacted = copy.get("redacted");
        ArrayNode left = copy.arrayNode();
        if (redacted != null) {
            redacted.forEach(n -> {
                if (!secrets.has(n.asText())) {
                    left.add(n);
                }
            });
        }
        secrets.properties().forEach(e -> copy.set(e.getKey(), e.getValue()));
        if (left.isEmpty()) {
            copy.remove("redacted");
        } else {
            copy.set("redacted", left);
        }
        return copy;
    }

    public static <T> T resume(ObjectMapper json, JsonNode stored, Class<T> type) {
        return read(json, resumable(stored), type);
    }

    /** A copy of the stored request without its {@code redacted} list; refused when secrets were removed. */
    public static ObjectNode resumable(JsonNode stored) {
        ObjectNode copy = stored.deepCopy();
        JsonNode redacted = copy.remove("redacted");
        if (redacted != null && !redacted.isEmpty()) {
            throw new FerryException(ProblemType.JOB_NOT_RESUMABLE, "the job was interrupted by a restart and needs "
                    + redacted + ", which are never stored; submit it again");
        }
        return copy;
    }

    public static <T> T read(ObjectMapper json, ObjectNode request, Class<T> type) {
        try {
            return json.treeToValue(request, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            throw new FerryException(ProblemType.JOB_NOT_RESUMABLE, "the stored request of this job can no longer be read");
        }
    }
}
