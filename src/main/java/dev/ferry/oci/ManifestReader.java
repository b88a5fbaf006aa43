package dev.ferry.oci;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads (never writes) manifest JSON with Jackson's tree model. Package-private: use {@link Manifest#parse}. */
final class ManifestReader {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Content-Types that say nothing about the manifest type and are ignored. */
    private static final Set<String> GENERIC_CONTENT_TYPES =
            Set.of("application/json", "application/octet-stream", "text/plain");

    private static final String SCHEMA1_REFUSAL = "Docker schema 1 manifests are not supported (deprecated); "
            + "re-push the image with a current Docker, Podman or skopeo so the registry serves a schema 2 or OCI manifest";

    private ManifestReader() {
    }

    static Manifest read(byte[] raw, String contentType) {
        if (raw == null || raw.length == 0) {
            throw new OciFormatException("manifest is empty");
        }
        JsonNode root = readTree(raw);
        if (root == null || !root.isObject()) {
            throw new OciFormatException("manifest is not a JSON object");
        }
        MediaType declared = declaredMediaType(root);
        MediaType header = headerMediaType(contentType);
        JsonNode schemaVersion = root.get("schemaVersion");
        if ((schemaVersion != null && schemaVersion.isIntegralNumber() && schemaVersion.asLong() == 1)
                || (declared != null && declared.isSchema1())
                || (header != null && header.isSchema1())) {
            throw new OciFormatException(SCHEMA1_REFUSAL);
        }
        if (schemaVersion == null) {
            throw new OciFormatException("manifest schemaVersion is missing; it must be 2");
        }
        if (!schemaVersion.isIntegralNumber() || schemaVersion.asLong() != 2) {
            throw new OciFormatException("manifest schemaVersion must be 2, got " + schemaVersion);
        }
        boolean hasManifests = root.has("manifests");
        boolean hasLayers = root.has("layers");
        boolean hasConfig = root.has("config");
        if (hasManifests && hasLayers) {
            throw new OciFormatException("ambiguous manifest: has both manifests and layers");
        }
        if (hasManifests && hasConfig) {
            throw new OciFormatException("ambiguous manifest: has both manifests and config");
        }
        if (declared != null && header != null && !declared.equals(header)) {
            throw new OciFormatException("manifest mediaType " + declared + " contradicts Content-Type " + header);
        }
        MediaType resolved = resolve(declared, header, hasManifests, hasConfig || hasLayers);
        if (resolved.isIndex()) {
            if (hasLayers || hasConfig) {
                throw new OciFormatException("ambiguous manifest: media type " + resolved
                        + " is an index but the document has " + (hasLayers ? "layers" : "config"));
            }
            return readIndex(raw, resolved, root);
        }
        if (hasManifests) {
            throw new OciFormatException("ambiguous manifest: media type " + resolved
                    + " is an image manifest but the document has manifests");
        }
        return readImageManifest(raw, resolved, root);
    }

    private static JsonNode readTree(byte[] raw) {
        try {
            return JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new OciFormatException("manifest is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new OciFormatException("manifest could not be read: " + e.getMessage(), e);
        }
    }

    private static MediaType declaredMediaType(JsonNode root) {
        JsonNode node = root.get("mediaType");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new OciFormatException("manifest mediaType must be a string, got " + node);
        }
        return MediaType.of(node.asText());
    }

    /** The Content-Type as a MediaType, or null when absent, generic or malformed. */
    private static MediaType headerMediaType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        MediaType type;
        try {
            type = MediaType.of(contentType);
        } catch (OciFormatException e) {
            return null;
        }
        return GENERIC_CONTENT_TYPES.contains(type.value()) ? null : type;
    }

    private static MediaType resolve(MediaType declared, MediaType header, boolean hasManifests, boolean hasImageParts) {
        MediaType resolved = declared;
        if (resolved == null && header != null && header.isManifest()) {
            resolved = header;
        }
        if (resolved == null) {
            if (hasManifests) {
                return MediaType.OCI_INDEX;
            }
            if (hasImageParts) {
                return MediaType.OCI_MANIFEST;
            }
            throw new OciFormatException("cannot tell the manifest type: no mediaType field, no manifest "
                    + "Content-Type, and the document has neither manifests nor config/layers");
        }
        if (!resolved.isManifest()) {
            throw new OciFormatException("unsupported manifest media type " + resolved + "; supported: "
                    + MediaType.OCI_MANIFEST + ", " + MediaType.OCI_INDEX + ", " + MediaType.DOCKER_MANIFEST
                    + ", " + MediaType.DOCKER_MANIFEST_LIST);
        }
        return resolved;
    }

    private static ImageManifest readImageManifest(byte[] raw, MediaType mediaType, JsonNode root) {
        JsonNode config = root.get("config");
        if (config == null || config.isNull()) {
            throw new OciFormatException("config: missing; an image manifest needs a config descriptor");
        }
        Descriptor configDescriptor = descriptor(config, "config");
        List<Descriptor> layers = descriptors(root.get("layers"), "layers");
        return new ImageManifest(raw, mediaType, configDescriptor, layers,
                stringMap(root.get("annotations"), "annotations"),
                optionalString(root.get("artifactType"), "artifactType"),
                optionalDescriptor(root.get("subject"), "subject"));
    }

    private static ImageIndex readIndex(byte[] raw, MediaType mediaType, JsonNode root) {
        List<Descriptor> manifests = descriptors(root.get("manifests"), "manifests");
        return new ImageIndex(raw, mediaType, manifests, stringMap(root.get("annotations"), "annotations"));
    }

    private static List<Descriptor> descriptors(JsonNode array, String path) {
        if (array == null || array.isNull()) {
            throw new OciFormatException(path + ": missing; expected an array of descriptors");
        }
        if (!array.isArray()) {
            throw new OciFormatException(path + ": must be an array, got " + kind(array));
        }
        List<Descriptor> result = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            result.add(descriptor(array.get(i), path + "[" + i + "]"));
        }
        return result;
    }

    private static Descriptor optionalDescriptor(JsonNode node, String path) {
        return node == null || node.isNull() ? null : descriptor(node, path);
    }

    private static Descriptor descriptor(JsonNode node, String path) {
        if (!node.isObject()) {
            throw new OciFormatException(path + ": must be a descriptor object, got " + kind(node));
        }
        MediaType mediaType = mediaType(node.get("mediaType"), path + ".mediaType");
        Digest digest = digest(node.get("digest"), path + ".digest");
        long size = size(node.get("size"), path + ".size");
        return new Descriptor(mediaType, digest, size,
                platform(node.get("platform"), path + ".platform"),
                stringMap(node.get("annotations"), path + ".annotations"),
                stringList(node.get("urls"), path + ".urls"),
                optionalString(node.get("artifactType"), path + ".artifactType"));
    }

    private static MediaType mediaType(JsonNode node, String path) {
        String text = requiredString(node, path);
        try {
            return MediaType.of(text);
        } catch (OciFormatException e) {
            throw new OciFormatException(path + ": " + e.getMessage(), e);
        }
    }

    private static Digest digest(JsonNode node, String path) {
        String text = requiredString(node, path);
        try {
            return Digest.parse(text);
        } catch (OciFormatException e) {
            throw new OciFormatException(path + ": " + e.getMessage(), e);
        }
    }

    private static long size(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            throw new OciFormatException(path + ": missing; expected a non-negative integer");
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 0) {
            throw new OciFormatException(path + ": must be a non-negative integer, got " + node);
        }
        return node.asLong();
    }

    private static Platform platform(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new OciFormatException(path + ": must be an object, got " + kind(node));
        }
        return new Platform(
                requiredString(node.get("os"), path + ".os"),
                requiredString(node.get("architecture"), path + ".architecture"),
                optionalString(node.get("variant"), path + ".variant"),
                optionalString(node.get("os.version"), path + ".os.version"),
                stringList(node.get("os.features"), path + ".os.features"));
    }

    private static String requiredString(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            throw new OciFormatException(path + ": missing; expected a string");
        }
        if (!node.isTextual()) {
            throw new OciFormatException(path + ": must be a string, got " + node);
        }
        if (node.asText().isEmpty()) {
            throw new OciFormatException(path + ": must not be empty");
        }
        return node.asText();
    }

    private static String optionalString(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new OciFormatException(path + ": must be a string, got " + node);
        }
        return node.asText();
    }

    private static List<String> stringList(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new OciFormatException(path + ": must be an array of strings, got " + kind(node));
        }
        List<String> result = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (!item.isTextual()) {
                throw new OciFormatException(path + "[" + i + "]: must be a string, got " + item);
            }
            result.add(item.asText());
        }
        return result;
    }

    private static Map<String, String> stringMap(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new OciFormatException(path + ": must be an object of strings, got " + kind(node));
        }
        Map<String, String> result = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!field.getValue().isTextual()) {
                throw new OciFormatException(path + "." + field.getKey() + ": must be a string, got " + field.getValue());
            }
            result.put(field.getKey(), field.getValue().asText());
        }
        return Collections.unmodifiableMap(result);
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
