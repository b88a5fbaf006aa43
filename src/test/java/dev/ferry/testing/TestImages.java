package dev.ferry.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Image fixtures held as exact bytes: for every {@link Image} and {@link Blob}, {@code digest} is the sha256 of the
 * bytes exactly as they will be stored in the registry. Deterministic for a given seed.
 */
public final class TestImages {

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public static final String CREATED = "2024-03-01T12:34:56.789Z";
    public static final String LAYER_TITLE_ANNOTATION = "org.opencontainers.image.title";
    public static final List<String> ENV = List.of(
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "FERRY_TEST=1");

    private static final ObjectMapper JSON = new ObjectMapper();
    private boolean gzipLayers;

    public record Blob(String digest, byte[] bytes, String mediaType) {
        public long size() {
            return bytes.length;
        }
    }

    /**
     * @param blobs    config first, then layers (empty for an index)
     * @param children the platform images of an index / manifest list (empty for an image)
     */
    public record Image(String mediaType, byte[] manifest, String digest, List<Blob> blobs, List<Image> children) {
        public boolean isIndex() {
            return !children.isEmpty() || OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
        }

        /** The config blob of an image (null for an index). */
        public Blob config() {
            return blobs.isEmpty() ? null : blobs.get(0);
        }

        /** The layer blobs of an image (empty for an index). */
        public List<Blob> layers() {
            return blobs.isEmpty() ? List.of() : blobs.subList(1, blobs.size());
        }

        public String manifestString() {
            return new String(manifest, StandardCharsets.UTF_8);
        }

        /** Parsed config JSON (null for an index). */
        public JsonNode configJson() {
            return config() == null ? null : readTree(config().bytes());
        }

        public String os() {
            JsonNode c = configJson();
            return c == null ? null : c.path("os").asText(null);
        }

        public String architecture() {
            JsonNode c = configJson();
            return c == null ? null : c.path("architecture").asText(null);
        }

        public String variant() {
            JsonNode c = configJson();
            return c == null ? null : c.path("variant").asText(null);
        }
    }

    private final Random random;

    public TestImages() {
        this(System.nanoTime());
    }

    public TestImages(long seed) {
        this.random = new Random(seed);
    }

    // ------------------------------------------------------------------ OCI

    public Image ociImage(int layers, int layerSize, String os, String arch, String variant) {
        List<Blob> layerBlobs = randomLayers(layers, layerSize, OCI_LAYER);
        Blob config = blob(configJson(os, arch, variant, layerBlobs, false), OCI_CONFIG);

        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", OCI_MANIFEST);
        m.set("config", descriptor(config));
        ArrayNode ls = m.putArray("layers");
        for (int i = 0; i < layerBlobs.size(); i++) {
            ObjectNode d = descriptor(layerBlobs.get(i));
            if (i == layerBlobs.size() - 1) {
                d.putObject("annotations").put(LAYER_TITLE_ANNOTATION, "layer-" + i + ".tar.gz");
            }
            ls.add(d);
        }
        m.putObject("annotations").put("org.opencontainers.image.created", CREATED);
        byte[] bytes = compact(m);
        List<Blob> blobs = new ArrayList<>();
        blobs.add(config);
        blobs.addAll(layerBlobs);
        return new Image(OCI_MANIFEST, bytes, sha256(bytes), List.copyOf(blobs), List.of());
    }

    public Image ociImage(int layers, int layerSize) {
        return ociImage(layers, layerSize, "linux", "amd64", null);
    }

    public Image ociIndex(List<Image> children) {
        return index(OCI_INDEX, children);
    }

    /** OCI index of linux/amd64, linux/arm64/v8 and linux/arm/v7 (2 layers of 1 KiB each). */
    public Image multiPlatformOci() {
        return ociIndex(List.of(
                ociImage(2, 1024, "linux", "amd64", null),
                ociImage(2, 1024, "linux", "arm64", "v8"),
                ociImage(2, 1024, "linux", "arm", "v7")));
    }

    // ------------------------------------------------------------------ Docker

    public Image dockerImage(int layers, int layerSize) {
        return dockerImage(layers, layerSize, "linux", "amd64", null);
    }

    public Image dockerImage(int layers, int layerSize, String os, String arch, String variant) {
        List<Blob> layerBlobs = randomLayers(layers, layerSize, DOCKER_LAYER);
        Blob config = blob(configJson(os, arch, variant, layerBlobs, true), DOCKER_CONFIG);
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", DOCKER_MANIFEST);
        m.set("config", descriptor(config));
        ArrayNode ls = m.putArray("layers");
        layerBlobs.forEach(b -> ls.add(descriptor(b)));
        byte[] bytes = compact(m);
        List<Blob> blobs = new ArrayList<>();
        blobs.add(config);
        blobs.addAll(layerBlobs);
        return new Image(DOCKER_MANIFEST, bytes, sha256(bytes), List.copyOf(blobs), List.of());
    }

    public Image dockerManifestList(List<Image> children) {
        return index(DOCKER_MANIFEST_LIST, children);
    }

    // ------------------------------------------------------------------ non canonical

    /**
     * Same content, manifest re-written indented with 3 spaces ({@code "key": value}) plus a trailing newline;
     * digest = sha256 of those bytes. Children/blobs are unchanged.
     */
    public static Image nonCanonical(Image img) {
        JsonNode tree = readTree(img.manifest());
        StringBuilder sb = new StringBuilder();
        pretty(tree, sb, 0);
        sb.append('\n');
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        return new Image(img.mediaType(), bytes, sha256(bytes), img.blobs(), img.children());
    }

    // ------------------------------------------------------------------ utilities

    public static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Blob blob(byte[] bytes, String mediaType) {
        return new Blob(sha256(bytes), bytes, mediaType);
    }

    /** Random bytes from this generator's stream. */
    public byte[] randomBytes(int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ internals

    private List<Blob> randomLayers(int layers, int layerSize, String mediaType) {
        List<Blob> out = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            if (tarLayers) {
                byte[] tar = tarOf("layer-" + i + ".bin", randomBytes(layerSize));
                uncompressedDigests.put(blob(gzip(tar), mediaType).digest(), sha256(tar));
                out.add(blob(gzip(tar), mediaType));
            } else {
                out.add(blob(gzipLayers ? gzip(randomBytes(layerSize)) : randomBytes(layerSize), mediaType));
            }
        }
        return out;
    }

    private boolean tarLayers;
    private final java.util.Map<String, String> uncompressedDigests = new java.util.HashMap<>();

    /**
     * From now on, layers are gzip'd tar archives (one file of random bytes each) and the config's diff_ids are the
     * real digests of the uncompressed tars: what podman/docker load and skopeo's docker-archive need.
     */
    public TestImages withTarLayers() {
        tarLayers = true;
        gzipLayers = true;
        return this;
    }

    /** A ustar archive holding one regular file named exactly {@code name} (for hostile names too). */
    public static byte[] tarEntry(String name, byte[] content) {
        return tarOf(name, content);
    }

    /** A ustar archive holding one regular file. */
    static byte[] tarOf(String name, byte[] content) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, h, 0, n.length);
        putOctal(h, 100, 8, 0644);
        putOctal(h, 108, 8, 0);
        putOctal(h, 116, 8, 0);
        putOctal(h, 124, 12, content.length);
        putOctal(h, 136, 12, 0);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = '0';
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        putOctal(h, 148, 7, sum);
        int padded = (content.length + 511) / 512 * 512;
        byte[] out = new byte[512 + padded + 1024];
        System.arraycopy(h, 0, out, 0, 512);
        System.arraycopy(content, 0, out, 512, content.length);
        return out;
    }

    private static void putOctal(byte[] h, int off, int len, long v) {
        byte[] b = String.format("%0" + (len - 1) + "o", v).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, len - 1);
        h[off + len - 1] = 0;
    }

    /**
     * From now on, layers are real gzip streams (of random bytes). Needed when skopeo itself copies the images:
     * it detects that a "tar+gzip" layer is not gzip and rewrites the manifest (another digest) unless it is.
     */
    public TestImages withGzipLayers() {
        gzipLayers = true;
        return this;
    }

    private static byte[] gzip(byte[] bytes) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private byte[] configJson(String os, String arch, String variant, List<Blob> layers, boolean docker) {
        ObjectNode c = JSON.createObjectNode();
        c.put("created", CREATED);
        c.put("author", "ferry-tests");
        c.put("architecture", arch);
        c.put("os", os);
        if (variant != null) {
            c.put("variant", variant);
        }
        if (docker) {
            c.put("docker_version", "24.0.7");
        }
        ObjectNode cfg = runConfig(c.putObject("config"));
        if (docker) {
            ObjectNode cc = runConfig(c.putObject("container_config"));
            cc.putArray("Cmd").add("/bin/sh").add("-c").add("#(nop) CMD [\"/bin/sh\"]");
            c.put("container", "3d4c2b1a0f9e8d7c6b5a49382716051a3d4c2b1a0f9e8d7c6b5a49382716051a");
        }
        cfg.putArray("Cmd").add("/bin/sh");
        ObjectNode rootfs = c.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        ArrayNode history = c.putArray("history");
        for (int i = 0; i < layers.size(); i++) {
            // any valid digest: sha256 of a distinct prefix + the layer bytes (as if uncompressed content)
            byte[] seed = ("diff-id-" + i + ":" + layers.get(i).digest()).getBytes(StandardCharsets.UTF_8);
            String real = uncompressedDigests.get(layers.get(i).digest());
            diffIds.add(real != null ? real : sha256(seed));
            ObjectNode h = history.addObject();
            h.put("created", CREATED);
            h.put("created_by", "/bin/sh -c #(nop) ADD file:layer-" + i + " in / ");
        }
        ObjectNode h = history.addObject();
        h.put("created", CREATED);
        h.put("created_by", "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]");
        h.put("empty_layer", true);
        return compact(c);
    }

    private static ObjectNode runConfig(ObjectNode cfg) {
        ArrayNode env = cfg.putArray("Env");
        ENV.forEach(env::add);
        ObjectNode labels = cfg.putObject("Labels");
        labels.put("org.opencontainers.image.title", "ferry-test");
        labels.put("maintainer", "ferry");
        return cfg;
    }

    private Image index(String mediaType, List<Image> children) {
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", mediaType);
        ArrayNode ms = m.putArray("manifests");
        for (Image child : children) {
            ObjectNode d = ms.addObject();
            d.put("mediaType", child.mediaType());
            d.put("digest", child.digest());
            d.put("size", child.manifest().length);
            if (child.config() != null) {
                ObjectNode p = d.putObject("platform");
                p.put("architecture", child.architecture());
                p.put("os", child.os());
                if (child.variant() != null) {
                    p.put("variant", child.variant());
                }
            }
        }
        byte[] bytes = compact(m);
        return new Image(mediaType, bytes, sha256(bytes), List.of(), List.copyOf(children));
    }

    private static ObjectNode descriptor(Blob b) {
        ObjectNode d = JSON.createObjectNode();
        d.put("mediaType", b.mediaType());
        d.put("digest", b.digest());
        d.put("size", b.size());
        return d;
    }

    private static byte[] compact(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode readTree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void pretty(JsonNode n, StringBuilder sb, int depth) {
        String ind = "   ".repeat(depth + 1);
        String close = "   ".repeat(depth);
        if (n.isObject()) {
            if (n.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                sb.append(ind).append(jsonString(e.getKey())).append(": ");
                pretty(e.getValue(), sb, depth + 1);
                sb.append(it.hasNext() ? ",\n" : "\n");
            }
            sb.append(close).append('}');
        } else if (n.isArray()) {
            if (n.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            for (int i = 0; i < n.size(); i++) {
                sb.append(ind);
                pretty(n.get(i), sb, depth + 1);
                sb.append(i < n.size() - 1 ? ",\n" : "\n");
            }
            sb.append(close).append(']');
        } else {
            sb.append(compactString(n));
        }
    }

    private static String jsonString(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String compactString(JsonNode n) {
        return new String(compact(n), StandardCharsets.UTF_8);
    }
}
