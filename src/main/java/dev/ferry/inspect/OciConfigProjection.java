package dev.ferry.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The image config as skopeo's {@code inspect --config} prints it: the OCI image-spec {@code Image}
 * fields only (Docker-only fields such as {@code container_config} dropped), empty values omitted,
 * timestamps in Go's rendering. Read-only: the config blob itself is never changed.
 */
final class OciConfigProjection {
    private static final List<String> CONFIG_FIELDS = List.of("User", "ExposedPorts", "Env", "Entrypoint", "Cmd",
            "Volumes", "WorkingDir", "Labels", "StopSignal", "ArgsEscaped");

    private final ObjectMapper json;

    OciConfigProjection(ObjectMapper json) {
        this.json = json;
    }

    ObjectNode project(JsonNode source) {
        ObjectNode out = json.createObjectNode();
        time(source, "created", out);
        copy(source, "author", out);
        copy(source, "architecture", out);
        copy(source, "variant", out);
        copy(source, "os", out);
        copy(source, "os.version", out);
        copy(source, "os.features", out);
        JsonNode config = source.get("config");
        if (config != null && config.isObject()) {
            ObjectNode c = json.createObjectNode();
            for (String f : CONFIG_FIELDS) {
                copy(config, f, c);
            }
            if (!c.isEmpty()) {
                out.set("config", c);
            }
        }
        JsonNode rootfs = source.get("rootfs");
        ObjectNode r = json.createObjectNode();
        r.put("type", rootfs == null ? "" : rootfs.path("type").asText(""));
        JsonNode diffIds = rootfs == null ? null : rootfs.get("diff_ids");
        r.set("diff_ids", diffIds != null && diffIds.isArray() ? diffIds : json.nullNode());
        out.set("rootfs", r);
        JsonNode history = source.get("history");
        if (history != null && history.isArray() && !history.isEmpty()) {
            ArrayNode h = json.createArrayNode();
            for (JsonNode entry : history) {
                ObjectNode e = json.createObjectNode();
                time(entry, "created", e);
                copy(entry, "created_by", e);
                copy(entry, "author", e);
                copy(entry, "comment", e);
                if (entry.path("empty_layer").asBoolean(false)) {
                    e.put("empty_layer", true);
                }
                h.add(e);
            }
            out.set("history", h);
        }
        return out;
    }

    private static void time(JsonNode from, String field, ObjectNode to) {
        String formatted = GoTime.format(from.path(field).asText(null));
        if (formatted != null) {
            to.put(field, formatted);
        }
    }

    /** Copies a field unless it is absent or empty (Go's omitempty). */
    private static void copy(JsonNode from, String field, ObjectNode to) {
        JsonNode v = from.get(field);
        if (v == null || v.isNull()) {
            return;
        }
        if ((v.isTextual() && v.asText().isEmpty()) || (v.isContainerNode() && v.isEmpty())
                || (v.isBoolean() && !v.asBoolean())) {
            return;
        }
        to.set(field, v);
    }
}
