package dev.ferry.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.MediaType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the pushed tags out of a webhook delivery, in any of the three formats Ferry understands:
 * <ul>
 *   <li>CNCF distribution notifications: {@code {"events": [...]}} (media type
 *       {@code application/vnd.docker.distribution.events.v1+json}); only {@code action: push} events whose
 *       {@code target.mediaType} is a manifest and that carry a {@code target.tag} count; the registry is
 *       {@code request.host}, the Host header the pusher used;</li>
 *   <li>Harbor webhooks: {@code {"type": "PUSH_ARTIFACT", "event_data": {"repository": {"repo_full_name"},
 *       "resources": [{"tag", "digest", "resource_url"}]}}};</li>
 *   <li>plain JSON: {@code {"registry"?, "repository", "tag", "digest", "id"?}} (no other fields).</li>
 * </ul>
 * Anything else that is well-formed is counted as ignored; a body that is not one of these is malformed.
 */
public final class WebhookPayloads {
    private static final Set<String> PLAIN_FIELDS = Set.of("registry", "repository", "tag", "digest", "id", "pushedAt");
    private static final int MAX_ID_LENGTH = 200;

    /**
     * The pushed tags of one delivery, how many of its events (or resources) were not pushes of a tag, and the
     * events that are malformed (each refused alone: the valid events of the same delivery are still promoted).
     */
    public record Parsed(List<PushedTag> pushes, int ignored, List<Rejected> rejected) {
    }

    /** One malformed event of a delivery: where it is ({@code events[2]}) and what is wrong with it. */
    public record Rejected(String event, String reason) {
    }

    private WebhookPayloads() {
    }

    public static Parsed parse(byte[] body, ObjectMapper json) {
        if (body == null || body.length == 0) {
            throw malformed("the delivery has no body");
        }
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (IOException e) {
            throw malformed("the delivery is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw malformed("the delivery must be a JSON object");
        }
        if (root.has("events")) {
            return distribution(root.get("events"));
        }
        if (root.has("event_data") || root.has("type")) {
            return harbor(root);
        }
        return plain(root);
    }

    private static Parsed distribution(JsonNode events) {
        if (!events.isArray()) {
            throw malformed("events: must be an array");
        }
        List<PushedTag> pushes = new ArrayList<>();
        int ignored = 0;
        List<Rejected> rejected = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = events.get(i);
            String at = "events[" + i + "]";
            if (!e.isObject()) {
                rejected.add(new Rejected(at, "must be an object"));
                continue;
            }
            JsonNode target = e.path("target");
            String mediaType = text(target, "mediaType");
            String tag = text(target, "tag");
            if (!"push".equals(text(e, "action")) || tag == null || mediaType == null || !isManifest(mediaType)) {
                ignored++;
                continue;
            }
            try {
                String repository = required(target, "repository", at + ".target.repository");
                String digest = required(target, "digest", at + ".target.digest");
                String host = text(e.path("request"), "host");
                pushes.add(new PushedTag(key(text(e, "id"), repository, digest, tag), host, repository, tag, digest,
                        instant(text(e, "timestamp"))));
            } catch (FerryException bad) {
                rejected.add(new Rejected(at, bad.getMessage()));
            }
        }
        return new Parsed(pushes, ignored, rejected);
    }

    private static Parsed harbor(JsonNode root) {
        if (!"PUSH_ARTIFACT".equals(text(root, "type"))) {
            return new Parsed(List.of(), 1, List.of());
        }
        JsonNode data = root.path("event_data");
        String repository = required(data.path("repository"), "repo_full_name", "event_data.repository.repo_full_name");
        JsonNode resources = data.path("resources");
        if (!resources.isArray()) {
            throw malformed("event_data.resources: must be an array");
        }
        List<PushedTag> pushes = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        int ignored = 0;
        for (int i = 0; i < resources.size(); i++) {
            JsonNode r = resources.get(i);
            String at = "event_data.resources[" + i + "]";
            String tag = text(r, "tag");
            if (tag == null) {
                ignored++;
                continue;
            }
            String digest = text(r, "digest");
            if (digest == null) {
                rejected.add(new Rejected(at, at + ".digest: is required"));
                continue;
            }
            String url = text(r, "resource_url");
            String host = url == null || url.indexOf('/') <= 0 ? null : url.substring(0, url.indexOf('/'));
            JsonNode occurAt = root.path("occur_at");
            pushes.add(new PushedTag(key(null, repository, digest, tag), host, repository, tag, digest,
                    occurAt.isIntegralNumber() && occurAt.asLong() > 0 ? java.time.Instant.ofEpochSecond(occurAt.asLong()) : null));
        }
        return new Parsed(pushes, ignored, rejected);
    }

    private static Parsed plain(JsonNode root) {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!PLAIN_FIELDS.contains(name)) {
                throw new FerryException(ProblemType.INVALID_REQUEST, "unknown field \"" + name + "\"",
                        List.of(new FerryException.FieldError(name, "unknown field; known fields are " + PLAIN_FIELDS)), null);
            }
        }
        String repository = required(root, "repository", "repository");
        String tag = required(root, "tag", "tag");
        String digest = required(root, "digest", "digest");
        String at = text(root, "pushedAt");
        java.time.Instant pushedAt = instant(at);
        if (at != null && pushedAt == null) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "pushedAt: must be an RFC 3339 date-time",
                    List.of(new FerryException.FieldError("pushedAt", "must be an RFC 3339 date-time, e.g. 2026-12-01T10:15:30Z")), null);
        }
        return new Parsed(List.of(new PushedTag(key(text(root, "id"), repository, digest, tag), text(root, "registry"),
                repository, tag, digest, pushedAt)), 0, List.of());
    }

    /** An RFC 3339 date-time (distribution writes nanoseconds and an offset), or null when absent or unreadable. */
    static java.time.Instant instant(String text) {
        if (text == null) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(text).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /** Manifest media types Ferry copies: OCI and Docker v2 images and indexes (schema 1 is refused by the copy). */
    static boolean isManifest(String mediaType) {
        try {
            return MediaType.of(mediaType).isManifest();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The event's id when it has a usable one, else a hash of what was pushed. */
    static String key(String id, String repository, String digest, String tag) {
        if (id != null && !id.isBlank() && id.length() <= MAX_ID_LENGTH) {
            return "id:" + id;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest((repository + "@" + digest + ":" + tag).getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
    }

    private static String required(JsonNode node, String field, String path) {
        String v = text(node, field);
        if (v == null) {
            throw new FerryException(ProblemType.INVALID_REQUEST, path + ": is required",
                    List.of(new FerryException.FieldError(path, "is required")), null);
        }
        return v;
    }

    private static FerryException malformed(String detail) {
        return new FerryException(ProblemType.INVALID_REQUEST, detail);
    }
}
