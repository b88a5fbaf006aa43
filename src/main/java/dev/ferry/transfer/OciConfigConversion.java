package dev.ferry.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Docker image config rewritten as an OCI image config, byte for byte as containers/image (skopeo) writes it when
 * it converts a v2s2 image to OCI: the Docker JSON is decoded into image-spec's {@code v1.Image} Go struct (keys
 * matched case-insensitively, unknown keys such as {@code container_config} or {@code docker_version} dropped, later
 * keys winning) and encoded again with Go's {@code encoding/json}: the struct's field order, {@code omitempty}
 * where the struct says so, map keys sorted, {@code <>&} and U+2028/U+2029 escaped, times as RFC 3339 with
 * nanoseconds trimmed. So the converted config, and the manifest naming it, get the digests skopeo gets.
 * <p>
 * What Go's decoder refuses (a value of the wrong JSON type, a time that is not RFC 3339) is refused here too, with
 * a problem naming the field, rather than guessed at.
 */
public final class OciConfigConversion {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciConfigConversion() {
    }

    /** The OCI config for the Docker config {@code docker}; {@code where} names the image in a refusal. */
    public static byte[] convert(byte[] docker, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(docker);
        } catch (IOException e) {
            throw refused(where, "it is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw refused(where, "it is not a JSON object");
        }
        Image image = new Image();
        Decoder d = new Decoder(where);
        d.object(root, "", (key, value) -> {
            switch (key) {
                case "created" -> image.created = value.isNull() ? null : d.time(value, "created");
                case "author" -> image.author = d.string(value, "author", image.author);
                case "architecture" -> image.architecture = d.string(value, "architecture", image.architecture);
                case "variant" -> image.variant = d.string(value, "variant", image.variant);
                case "os" -> image.os = d.string(value, "os", image.os);
                case "os.version" -> image.osVersion = d.string(value, "os.version", image.osVersion);
                case "os.features" -> image.osFeatures = d.strings(value, "os.features");
                case "config" -> d.object(value, "config.", (k, v) -> config(d, image.config, k, v));
                case "rootfs" -> d.object(value, "rootfs.", (k, v) -> {
                    switch (k) {
                        case "type" -> image.rootfsType = d.string(v, "rootfs.type", image.rootfsType);
                        case "diff_ids" -> image.diffIds = d.strings(v, "rootfs.diff_ids");
                        default -> { }
                    }
                });
                case "history" -> image.history = d.history(value);
                default -> { }
            }
        }, "created", "author", "architecture", "variant", "os", "os.version", "os.features", "config", "rootfs", "history");
        return image.encode();
    }

    private static void config(Decoder d, Config c, String key, JsonNode v) {
        switch (key) {
            case "User" -> c.user = d.string(v, "config.User", c.user);
            case "ExposedPorts" -> c.exposedPorts = d.set(v, "config.ExposedPorts", c.exposedPorts);
            case "Env" -> c.env = d.strings(v, "config.Env");
            case "Entrypoint" -> c.entrypoint = d.strings(v, "config.Entrypoint");
            case "Cmd" -> c.cmd = d.strings(v, "config.Cmd");
            case "Volumes" -> c.volumes = d.set(v, "config.Volumes", c.volumes);
            case "WorkingDir" -> c.workingDir = d.string(v, "config.WorkingDir", c.workingDir);
            case "Labels" -> c.labels = d.labels(v, c.labels);
            case "StopSignal" -> c.stopSignal = d.string(v, "config.StopSignal", c.stopSignal);
            case "ArgsEscaped" -> c.argsEscaped = d.bool(v, "config.ArgsEscaped", c.argsEscaped);
            default -> { }
        }
    }

    private static FerryException refused(String where, String why) {
        return new FerryException(ProblemType.UNSUPPORTED_MANIFEST, "converting the Docker config of " + where
                + " to an OCI config: " + why);
    }

    /** image-spec v1.Image as containers/image vendors it (skopeo 1.9). */
    private static final class Image {
        OffsetDateTime created;
        String author = "";
        String architecture = "";
        String variant = "";
        String os = "";
        String osVersion = "";
        List<String> osFeatures;
        final Config config = new Config();
        String rootfsType = "";
        List<String> diffIds;
        List<History> history;

        byte[] encode() {
            GoJson out = new GoJson();
            out.begin();
            if (created != null) {
                out.field("created").string(GoJson.time(created));
            }
            if (!author.isEmpty()) {
                out.field("author").string(author);
            }
            out.field("architecture").string(architecture);
            if (!variant.isEmpty()) {
                out.field("variant").string(variant);
            }
            out.field("os").string(os);
            if (!osVersion.isEmpty()) {
                out.field("os.version").string(osVersion);
            }
            if (osFeatures != null && !osFeatures.isEmpty()) {
                out.field("os.features").strings(osFeatures);
            }
            out.field("config");
            config.encode(out);
            out.field("rootfs").begin().field("type").string(rootfsType).field("diff_ids");
            if (diffIds == null) {
                out.raw("null");
            } else {
                out.strings(diffIds);
            }
            out.end();
            if (history != null && !history.isEmpty()) {
                out.field("history").raw("[");
                for (int i = 0; i < history.size(); i++) {
                    out.raw(i == 0 ? "" : ",");
                    history.get(i).encode(out);
                }
                out.raw("]");
            }
            out.end();
            return out.bytes();
        }
    }

    /** image-spec v1.ImageConfig: every field omitempty. */
    private static final class Config {
        String user = "";
        Map<String, Boolean> exposedPorts;
        List<String> env;
        List<String> entrypoint;
        List<String> cmd;
        Map<String, Boolean> volumes;
        String workingDir = "";
        Map<String, String> labels;
        String stopSignal = "";
        boolean argsEscaped;

        void encode(GoJson out) {
            out.begin();
            if (!user.isEmpty()) {
                out.field("User").string(user);
            }
            if (exposedPorts != null && !exposedPorts.isEmpty()) {
                out.field("ExposedPorts").emptyObjects(exposedPorts);
            }
            if (env != null && !env.isEmpty()) {
                out.field("Env").strings(env);
            }
            if (entrypoint != null && !entrypoint.isEmpty()) {
                out.field("Entrypoint").strings(entrypoint);
            }
            if (cmd != null && !cmd.isEmpty()) {
                out.field("Cmd").strings(cmd);
            }
            if (volumes != null && !volumes.isEmpty()) {
                out.field("Volumes").emptyObjects(volumes);
            }
            if (!workingDir.isEmpty()) {
                out.field("WorkingDir").string(workingDir);
            }
            if (labels != null && !labels.isEmpty()) {
                out.field("Labels").begin();
                labels.forEach((k, v) -> out.field(k).string(v));
                out.end();
            }
            if (!stopSignal.isEmpty()) {
                out.field("StopSignal").string(stopSignal);
            }
            if (argsEscaped) {
                out.field("ArgsEscaped").raw("true");
            }
            out.end();
        }
    }

    /** image-spec v1.History: every field omitempty. */
    private static final class History {
        OffsetDateTime created;
        String createdBy = "";
        String author = "";
        String comment = "";
        boolean emptyLayer;

        void encode(GoJson out) {
            out.begin();
            if (created != null) {
                out.field("created").string(GoJson.time(created));
            }
            if (!createdBy.isEmpty()) {
                out.field("created_by").string(createdBy);
            }
            if (!author.isEmpty()) {
                out.field("author").string(author);
            }
            if (!comment.isEmpty()) {
                out.field("comment").string(comment);
            }
            if (emptyLayer) {
                out.field("empty_layer").raw("true");
            }
            out.end();
        }
    }

    /** Go's encoding/json decoding rules for the few Go types the OCI config uses. */
    private record Decoder(String where) {

        interface Field {
            void set(String key, JsonNode value);
        }

        /**
         * Each key of {@code node}, in order, given to {@code field} under the struct field name it matches (exactly,
         * else ignoring ASCII case, as Go matches); a null leaves the struct as it is; anything else is refused.
         */
        void object(JsonNode node, String prefix, Field field, String... names) {
            if (node.isNull()) {
                return;
            }
            if (!node.isObject()) {
                throw refused(where, (prefix.isEmpty() ? "the config" : prefix.substring(0, prefix.length() - 1)) + " is not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                String[] candidates = names.length > 0 ? names : prefix.equals("config.") ? CONFIG : prefix.equals("rootfs.") ? ROOTFS : HISTORY;
                String matched = null;
                for (String c : candidates) {
                    if (c.equals(name)) {
                        matched = c;
                        break;
                    }
                }
                if (matched == null) {
                    for (String c : candidates) {
                        if (c.equalsIgnoreCase(name)) {
                            matched = c;
                            break;
                        }
                    }
                }
                if (matched != null) {
                    field.set(matched, e.getValue());
                }
            }
        }

        private static final String[] CONFIG = {"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir",
                "Labels", "StopSignal", "ArgsEscaped"};
        private static final String[] ROOTFS = {"type", "diff_ids"};
        private static final String[] HISTORY = {"created", "created_by", "author", "comment", "empty_layer"};

        String string(JsonNode v, String name, String current) {
            if (v.isNull()) {
                return current;
            }
            if (!v.isTextual()) {
                throw refused(where, name + " is not a string");
            }
            return v.textValue();
        }

        boolean bool(JsonNode v, String name, boolean current) {
            if (v.isNull()) {
                return current;
            }
            if (!v.isBoolean()) {
                throw refused(where, name + " is not true or false");
            }
            return v.booleanValue();
        }

        /** A Go []string: null is nil; a null element is "". */
        List<String> strings(JsonNode v, String name) {
            if (v.isNull()) {
                return null;
            }
            if (!v.isArray()) {
                throw refused(where, name + " is not an array");
            }
            List<String> out = new ArrayList<>();
            for (JsonNode e : v) {
                out.add(string(e, name + "[]", ""));
            }
            return out;
        }

        /** A Go map[string]struct{}: keys kept, values must be objects (or null); decoded into the map already there. */
        Map<String, Boolean> set(JsonNode v, String name, Map<String, Boolean> current) {
            if (v.isNull()) {
                return null;
            }
            if (!v.isObject()) {
                throw refused(where, name + " is not an object");
            }
            Map<String, Boolean> out = current != null ? current : new TreeMap<>(GoJson.BYTE_ORDER);
            v.fields().forEachRemaining(e -> {
                if (!e.getValue().isObject() && !e.getValue().isNull()) {
                    throw refused(where, name + "[" + e.getKey() + "] is not an object");
                }
                out.put(e.getKey(), Boolean.TRUE);
            });
            return out;
        }

        Map<String, String> labels(JsonNode v, Map<String, String> current) {
            if (v.isNull()) {
                return null;
            }
            if (!v.isObject()) {
                throw refused(where, "config.Labels is not an object");
            }
            Map<String, String> out = current != null ? current : new TreeMap<>(GoJson.BYTE_ORDER);
            v.fields().forEachRemaining(e -> out.put(e.getKey(), string(e.getValue(), "config.Labels[" + e.getKey() + "]", "")));
            return out;
        }

        List<History> history(JsonNode v) {
            if (v.isNull()) {
                return null;
            }
            if (!v.isArray()) {
                throw refused(where, "history is not an array");
            }
            List<History> out = new ArrayList<>();
            for (JsonNode e : v) {
                History h = new History();
                object(e, "history.", (k, x) -> {
                    switch (k) {
                        case "created" -> h.created = x.isNull() ? null : time(x, "history[].created");
                        case "created_by" -> h.createdBy = string(x, "history[].created_by", h.createdBy);
                        case "author" -> h.author = string(x, "history[].author", h.author);
                        case "comment" -> h.comment = string(x, "history[].comment", h.comment);
                        case "empty_layer" -> h.emptyLayer = bool(x, "history[].empty_layer", h.emptyLayer);
                        default -> { }
                    }
                });
                out.add(h);
            }
            return out;
        }

        /** Go's time.Time.UnmarshalJSON: RFC 3339, fractional seconds optional (at most 9 digits), Z or ±hh:mm. */
        OffsetDateTime time(JsonNode v, String name) {
            if (!v.isTextual()) {
                throw refused(where, name + " is not a string");
            }
            String s = v.textValue();
            java.util.regex.Matcher m = RFC3339.matcher(s);
            if (!m.matches()) {
                throw refused(where, name + " is not an RFC 3339 time: " + shorten(s));
            }
            try {
                int nanos = 0;
                if (m.group(7) != null) {
                    String f = (m.group(7) + "000000000").substring(0, 9);
                    nanos = Integer.parseInt(f);
                }
                ZoneOffset offset = m.group(8).equals("Z") ? ZoneOffset.UTC
                        : ZoneOffset.ofHoursMinutes(Integer.parseInt(m.group(9) + m.group(10)),
                        Integer.parseInt(m.group(9) + m.group(11)));
                LocalDateTime t = LocalDateTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                        Integer.parseInt(m.group(6)), nanos);
                return OffsetDateTime.of(t, offset);
            } catch (DateTimeException | NumberFormatException e) {
                throw refused(where, name + " is not a valid time: " + shorten(s));
            }
        }

        private static String shorten(String s) {
            return s.length() > 64 ? s.substring(0, 64) + "…" : s;
        }

        private static final java.util.regex.Pattern RFC3339 = java.util.regex.Pattern.compile(
                "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?(Z|([+-])(\\d{2}):(\\d{2}))");
    }

    /** A writer of JSON as Go's encoding/json writes it (compact, HTML-safe escaping). */
    static final class GoJson {
        /** Go sorts map keys as byte strings: the UTF-8 order, not Java's UTF-16 order. */
        static final java.util.Comparator<String> BYTE_ORDER = (a, b) -> java.util.Arrays.compareUnsigned(
                a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
        private static final char[] HEX = "0123456789abcdef".toCharArray();
        private final StringBuilder sb = new StringBuilder(512);
        /** Per open object: whether a field was written (the next one needs a comma). */
        private final java.util.ArrayDeque<boolean[]> open = new java.util.ArrayDeque<>();

        GoJson begin() {
            sb.append('{');
            open.push(new boolean[1]);
            return this;
        }

        GoJson end() {
            sb.append('}');
            open.pop();
            return this;
        }

        GoJson field(String name) {
            boolean[] written = open.peek();
            if (written[0]) {
                sb.append(',');
            }
            written[0] = true;
            string(name);
            sb.append(':');
            return this;
        }

        GoJson raw(String s) {
            sb.append(s);
            return this;
        }

        GoJson string(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
                            sb.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF]).append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
                        } else if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1)))) {
                            if (Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1))) {
                                sb.append(c);
                            } else {
                                sb.append('\ufffd');  // Go writes invalid UTF-8 (a lone surrogate) as U+FFFD
                            }
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
            return this;
        }

        GoJson strings(List<String> values) {
            sb.append('[');
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                string(values.get(i));
            }
            sb.append(']');
            return this;
        }

        /** A Go map[string]struct{} (its keys sorted by the map). */
        GoJson emptyObjects(Map<String, Boolean> keys) {
            begin();
            keys.keySet().forEach(k -> field(k).raw("{}"));
            return end();
        }

        byte[] bytes() {
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** Go's RFC3339Nano: fractional seconds without trailing zeros (none when zero), Z for a zero offset. */
        static String time(OffsetDateTime t) {
            StringBuilder s = new StringBuilder(35);
            pad(s, t.getYear(), 4).append('-');
            pad(s, t.getMonthValue(), 2).append('-');
            pad(s, t.getDayOfMonth(), 2).append('T');
            pad(s, t.getHour(), 2).append(':');
            pad(s, t.getMinute(), 2).append(':');
            pad(s, t.getSecond(), 2);
            if (t.getNano() != 0) {
                String f = String.format("%09d", t.getNano());
                int end = f.length();
                while (f.charAt(end - 1) == '0') {
                    end--;
                }
                s.append('.').append(f, 0, end);
            }
            int off = t.getOffset().getTotalSeconds();
            if (off == 0) {
                s.append('Z');
            } else {
                s.append(off < 0 ? '-' : '+');
                off = Math.abs(off) / 60;
                pad(s, off / 60, 2).append(':');
                pad(s, off % 60, 2);
            }
            return s.toString();
        }

        private static StringBuilder pad(StringBuilder s, int v, int width) {
            String d = Integer.toString(v);
            for (int i = d.length(); i < width; i++) {
                s.append('0');
            }
            return s.append(d);
        }
    }
}
