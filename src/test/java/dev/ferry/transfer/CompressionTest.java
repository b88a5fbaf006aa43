package dev.ferry.transfer;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code destCompressFormat} / {@code destCompressLevel} (skopeo --dest-compress-format / --dest-compress-level), with
 * skopeo as the oracle: it reads Ferry's result (verifying every digest), reports the layer media types, and each
 * layer decompresses to the tar whose digest the config's diff_ids name.
 */
@QuarkusTest
class CompressionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(1010).withTarLayers();
    private static final String ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    private static final String GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static String reg;
    private static TestImages.Image oci;
    private static TestImages.Image docker;
    /** Layouts and archives skopeo wrote for a test; removed after the class. */
    private static final List<Path> WRITTEN = java.util.Collections.synchronizedList(new ArrayList<>());

    @org.junit.jupiter.api.AfterAll
    static void removeWhatSkopeoWrote() throws IOException {
        for (Path p : WRITTEN) {
            if (Files.exists(p)) {
                try (var all = Files.walk(p)) {
                    all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    @BeforeAll
    static void fixtures() {
        reg = SharedRegistries.get().anonymous().hostPort();
        oci = IMAGES.ociImage(3, 200 * 1024, "linux", "amd64", null);
        docker = IMAGES.dockerImage(2, 150 * 1024);
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        pusher.push("compress/oci", "v1", oci);
        pusher.push("compress/docker", "v1", docker);
    }

    private static JsonNode copy(Map<String, Object> fields) throws IOException {
        Map<String, Object> body = new HashMap<>(fields);
        body.put("srcTlsVerify", false);
        body.put("destTlsVerify", false);
        return JSON.readTree(given().contentType("application/json").header("Prefer", "wait=90").body(body)
                .post("/api/v1/copy").asString());
    }

    private static String fresh(String name) {
        return reg + "/compress/" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
    }

    /** skopeo copies {@code ref} to a new OCI layout; answers the layout's directory. */
    private static Path toLayout(String ref) {
        Path dir = Path.of("/tmp/ferry-compress-" + UUID.randomUUID());
        WRITTEN.add(dir);
        Skopeo.Result r = Skopeo.copy("docker://" + ref, "oci:" + dir + ":1", "--src-tls-verify=false");
        assertEquals(0, r.exitCode(), "skopeo reads Ferry's result, digests verified: " + r.stderr());
        return dir;
    }

    private static byte[] blob(Path layout, String digest) throws IOException {
        return Files.readAllBytes(layout.resolve("blobs/sha256/" + digest.substring("sha256:".length())));
    }

    /** The layer media types skopeo reports, and each layer's uncompressed digest checked against the config's diff_ids. */
    private static List<String> checkLayers(Path layout, String algorithm) throws Exception {
        // skopeo 1.9 has no LayersData in inspect: the layout's manifest as skopeo reads it names the media types
        JsonNode raw = JSON.readTree(Skopeo.inspectRaw("oci:" + layout + ":1"));
        List<String> types = new ArrayList<>();
        raw.path("layers").forEach(l -> types.add(l.path("mediaType").asText()));
        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        JsonNode manifest = JSON.readTree(blob(layout, index.path("manifests").get(0).path("digest").asText()));
        JsonNode config = JSON.readTree(blob(layout, manifest.path("config").path("digest").asText()));
        JsonNode diffIds = config.path("rootfs").path("diff_ids");
        JsonNode layers = manifest.path("layers");
        assertEquals(diffIds.size(), layers.size());
        for (int i = 0; i < layers.size(); i++) {
            byte[] packed = blob(layout, layers.get(i).path("digest").asText());
            try (InputStream in = "zstd".equals(algorithm)
                    ? new com.github.luben.zstd.ZstdInputStream(new java.io.ByteArrayInputStream(packed))
                    : new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(packed))) {
                byte[] tar = in.readAllBytes();
                assertEquals(diffIds.get(i).asText(), "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(tar)),
                        "layer " + i + " decompresses to the tar the config's diff_id names");
            }
        }
        return types;
    }

    @Test
    void shouldRecompressGzipLayersAsZstdThatSkopeoReads() throws Exception {
        String dst = fresh("zstd");
        JsonNode job = copy(Map.of("source", reg + "/compress/oci:v1", "destination", dst, "destCompressFormat", "zstd"));
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        JsonNode result = job.path("result");
        assertTrue(result.path("digestsChanged").asBoolean(), result.toString());
        assertNotEquals(oci.digest(), result.path("digest").asText());
        List<String> fromLayers = new ArrayList<>();
        String manifestTo = null;
        for (JsonNode c : result.path("digestChanges")) {
            if ("layer".equals(c.path("kind").asText())) {
                fromLayers.add(c.path("from").asText());
                assertEquals(ZSTD, c.path("mediaType").asText());
                assertNotEquals(c.path("from").asText(), c.path("to").asText());
            } else if ("manifest".equals(c.path("kind").asText())) {
                assertEquals(oci.digest(), c.path("from").asText());
                manifestTo = c.path("to").asText();
            }
        }
        assertEquals(oci.layers().stream().map(TestImages.Blob::digest).sorted().toList(), fromLayers.stream().sorted().toList(),
                "every layer is listed old -> new: " + result);
        assertEquals(result.path("digest").asText(), manifestTo);

        JsonNode manifest = JSON.readTree(Skopeo.inspectRaw(dst, "--tls-verify=false"));
        assertEquals(oci.config().digest(), manifest.path("config").path("digest").asText(), "the config (and its diff_ids) is kept");
        assertEquals(TestImages.LAYER_TITLE_ANNOTATION.length() > 0, manifest.path("layers").get(2).path("annotations")
                .has(TestImages.LAYER_TITLE_ANNOTATION), "layer annotations are kept");
        assertEquals(List.of(ZSTD, ZSTD, ZSTD), checkLayers(toLayout(dst), "zstd"));
    }

    @Test
    void shouldTurnDockerManifestsIntoOciForZstdAndBackToGzipWithALevel() throws Exception {
        String z = fresh("docker-zstd");
        JsonNode job = copy(Map.of("source", reg + "/compress/docker:v1", "destination", z, "destCompressFormat", "zstd",
                "destCompressLevel", 19));
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        JsonNode manifest = JSON.readTree(Skopeo.inspectRaw(z, "--tls-verify=false"));
        assertEquals(TestImages.OCI_MANIFEST, manifest.path("mediaType").asText(), "v2s2 cannot name zstd layers: OCI, as skopeo");
        assertEquals(List.of(ZSTD, ZSTD), checkLayers(toLayout(z), "zstd"));

        String g = fresh("back-to-gzip");
        JsonNode back = copy(Map.of("source", z, "destination", g, "destCompressFormat", "gzip", "destCompressLevel", 1));
        assertEquals("succeeded", back.path("state").asText(), back.toString());
        assertEquals(List.of(GZIP, GZIP), checkLayers(toLayout(g), "gzip"));
        Path archive = Path.of("/tmp/ferry-compress-" + UUID.randomUUID() + ".tar");
        Skopeo.Result r = Skopeo.copy("docker://" + g, "docker-archive:" + archive + ":x/y:1", "--src-tls-verify=false");
        assertEquals(0, r.exitCode(), "skopeo writes a docker-archive of it (checks the diff_ids): " + r.stderr());
        Files.deleteIfExists(archive);
    }

    @Test
    void shouldKeepTheDigestsOfAnImageSkopeoCompressedWithZstd() throws Exception {
        Path layout = Path.of("/tmp/ferry-compress-sk-" + UUID.randomUUID());
        WRITTEN.add(layout);
        Skopeo.Result r = Skopeo.copy("docker://" + reg + "/compress/oci:v1", "oci:" + layout + ":1", "--src-tls-verify=false",
                "--dest-compress-format", "zstd");
        assertEquals(0, r.exitCode(), r.stderr());
        String bySkopeo = fresh("by-skopeo");
        r = Skopeo.copy("oci:" + layout + ":1", "docker://" + bySkopeo, "--dest-tls-verify=false");
        assertEquals(0, r.exitCode(), r.stderr());
        String skopeoDigest = TestImages.sha256(Skopeo.inspectRaw(bySkopeo, "--tls-verify=false"));
        assertTrue(JSON.readTree(Skopeo.inspectRaw(bySkopeo, "--tls-verify=false")).path("layers").get(0).path("mediaType")
                .asText().endsWith("+zstd"));

        String plain = fresh("kept");
        JsonNode job = copy(Map.of("source", bySkopeo, "destination", plain));
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        assertEquals(skopeoDigest, job.path("result").path("digest").asText());
        assertFalse(job.path("result").path("digestsChanged").asBoolean());

        String again = fresh("already-zstd");
        job = copy(Map.of("source", bySkopeo, "destination", again, "destCompressFormat", "zstd"));
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        assertEquals(skopeoDigest, job.path("result").path("digest").asText(), "a layer already in zstd is kept, as skopeo keeps it");
        assertEquals(0, job.path("result").path("digestChanges").size());
    }

    @Test
    void shouldRefuseWhatCannotBeDoneBeforeAJobExists() {
        String src = reg + "/compress/oci:v1";
        given().contentType("application/json").body(Map.of("source", src, "destination", fresh("p"), "destCompressFormat", "zstd",
                "preserveDigests", true)).post("/api/v1/copy").then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", org.hamcrest.Matchers.equalTo("urn:ferry:problem:digests-would-change"));
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("destCompressFormat", "lz4"),
                Map.of("destCompressFormat", "zstd", "destCompressLevel", 22),
                Map.of("destCompressFormat", "gzip", "destCompressLevel", 0),
                Map.of("destCompressLevel", 3),
                Map.of("destCompressFormat", "zstd", "format", "v2s2"))) {
            Map<String, Object> body = new HashMap<>(bad);
            body.put("source", src);
            body.put("destination", fresh("bad"));
            String field = bad.containsKey("destCompressLevel") && bad.containsKey("destCompressFormat") ? "destCompressLevel"
                    : bad.containsKey("destCompressFormat") ? "destCompressFormat" : "destCompressLevel";
            given().contentType("application/json").body(body).post("/api/v1/copy").then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("errors[0].field", org.hamcrest.Matchers.equalTo(field));
        }
    }
}
