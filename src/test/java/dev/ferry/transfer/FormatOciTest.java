package dev.ferry.transfer;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code format: oci} (skopeo --format oci) of Docker v2s2 images whose configs carry Docker-only fields
 * (container_config, docker_version, Healthcheck, ...): Ferry's converted image, config and index have the digests
 * skopeo's conversion of the same image gets, and skopeo reads them.
 */
@QuarkusTest
class FormatOciTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String reg;
    private static String image;
    private static String list;

    @BeforeAll
    static void fixtures() throws IOException {
        reg = SharedRegistries.get().anonymous().hostPort();
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        JsonNode fixtures;
        try (InputStream in = FormatOciTest.class.getResourceAsStream("/oci-config-conversion/skopeo-1.9.json")) {
            fixtures = JSON.readTree(in);
        }
        byte[] rich = fixtures.path("rich").path("docker").asText().getBytes(StandardCharsets.UTF_8);
        image = "docker://" + reg + "/oci-format/app:v1";
        String repo = "oci-format/app";
        byte[] amd64 = docker(pusher, repo, rich, "amd64-layer");
        pusher.pushManifest(repo, "v1", TestImages.DOCKER_MANIFEST, amd64);
        byte[] arm64 = docker(pusher, repo, new String(rich, StandardCharsets.UTF_8).replace("\"amd64\"", "\"arm64\"")
                .getBytes(StandardCharsets.UTF_8), "arm64-layer");
        String listJson = "{\"schemaVersion\":2,\"mediaType\":\"" + TestImages.DOCKER_MANIFEST_LIST + "\",\"manifests\":["
                + entry(amd64, "\"architecture\":\"amd64\",\"os\":\"linux\"") + ","
                + entry(arm64, "\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\",\"features\":[\"x\"]") + "]}";
        pusher.pushManifest(repo, TestImages.sha256(arm64), TestImages.DOCKER_MANIFEST, arm64);
        pusher.pushManifest(repo, TestImages.sha256(amd64), TestImages.DOCKER_MANIFEST, amd64);
        pusher.pushManifest(repo, "list", TestImages.DOCKER_MANIFEST_LIST, listJson.getBytes(StandardCharsets.UTF_8));
        list = "docker://" + reg + "/oci-format/app:list";
    }

    /** A v2s2 image of {@code config} and one gzip layer, its blobs pushed; returns the manifest bytes. */
    private static byte[] docker(RegistryPusher pusher, String repo, byte[] config, String content) {
        TestImages.Blob c = TestImages.blob(config, TestImages.DOCKER_CONFIG);
        TestImages.Blob layer = TestImages.blob(gzip(TestImages.tarEntry("hello.txt", content.getBytes(StandardCharsets.UTF_8))),
                TestImages.DOCKER_LAYER);
        pusher.pushBlob(repo, c);
        pusher.pushBlob(repo, layer);
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + TestImages.DOCKER_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + TestImages.DOCKER_CONFIG + "\",\"size\":" + c.size() + ",\"digest\":\"" + c.digest() + "\"},\"layers\":[{\"mediaType\":\""
                + TestImages.DOCKER_LAYER + "\",\"size\":" + layer.size() + ",\"digest\":\"" + layer.digest() + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String entry(byte[] manifest, String platform) {
        return "{\"mediaType\":\"" + TestImages.DOCKER_MANIFEST + "\",\"size\":" + manifest.length + ",\"digest\":\""
                + TestImages.sha256(manifest) + "\",\"platform\":{" + platform + "}}";
    }

    private static byte[] gzip(byte[] bytes) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static JsonNode copy(String source, String destination, Map<String, Object> fields) throws IOException {
        Map<String, Object> body = new HashMap<>(fields);
        body.put("source", source);
        body.put("destination", destination);
        body.put("srcTlsVerify", false);
        body.put("destTlsVerify", false);
        body.put("format", "oci");
        return JSON.readTree(given().contentType("application/json").header("Prefer", "wait=60").body(body)
                .post("/api/v1/copy").asString());
    }

    private static String fresh(String name) {
        return "docker://" + reg + "/oci-format/" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
    }

    @Test
    void shouldConvertADockerImageToTheOciImageSkopeoWrites() throws Exception {
        String bySkopeo = fresh("skopeo");
        Skopeo.Result s = Skopeo.copy(image, bySkopeo, "--format", "oci");
        assertEquals(0, s.exitCode(), s.stderr());
        String byFerry = fresh("ferry");
        JsonNode job = copy(image, byFerry, Map.of());
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        byte[] ferry = Skopeo.inspectRaw(byFerry, "--tls-verify=false");
        byte[] skopeo = Skopeo.inspectRaw(bySkopeo, "--tls-verify=false");
        assertEquals(new String(skopeo, StandardCharsets.UTF_8), new String(ferry, StandardCharsets.UTF_8), "the manifest skopeo writes");
        assertEquals(TestImages.sha256(ferry), job.path("result").path("digest").asText());
        assertTrue(job.path("result").path("digestsChanged").asBoolean(), job.toString());
        JsonNode manifest = JSON.readTree(ferry);
        assertEquals(TestImages.OCI_CONFIG, manifest.path("config").path("mediaType").asText());
        JsonNode config = Skopeo.inspectConfig(byFerry, "--tls-verify=false");
        assertTrue(config.path("container_config").isMissingNode() && config.path("docker_version").isMissingNode(),
                "Docker-only fields are not in an OCI config: " + config);
        assertEquals("SIGTERM", config.path("config").path("StopSignal").asText(), config.toString());
        assertEquals(Skopeo.inspect(bySkopeo, "--tls-verify=false").path("Layers"), Skopeo.inspect(byFerry, "--tls-verify=false").path("Layers"),
                "layers are the same bytes");
    }

    @Test
    void shouldConvertADockerManifestListToTheOciIndexSkopeoWrites() throws Exception {
        String bySkopeo = fresh("skopeo-list");
        Skopeo.Result s = Skopeo.copy(list, bySkopeo, "--format", "oci", "--all");
        assertEquals(0, s.exitCode(), s.stderr());
        String byFerry = fresh("ferry-list");
        JsonNode job = copy(list, byFerry, Map.of("all", true));
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        byte[] ferry = Skopeo.inspectRaw(byFerry, "--tls-verify=false");
        assertEquals(new String(Skopeo.inspectRaw(bySkopeo, "--tls-verify=false"), StandardCharsets.UTF_8),
                new String(ferry, StandardCharsets.UTF_8), "the index skopeo writes");
        JsonNode index = JSON.readTree(ferry);
        assertEquals(TestImages.OCI_INDEX, index.path("mediaType").asText());
        List<String> children = new java.util.ArrayList<>();
        for (JsonNode m : index.path("manifests")) {
            children.add(m.path("digest").asText());
            byte[] child = Skopeo.inspectRaw(byFerry.replace(":v1", "@" + m.path("digest").asText()), "--tls-verify=false");
            assertEquals(m.path("digest").asText(), TestImages.sha256(child), "each converted child is there");
        }
        assertEquals(2, children.size());
        assertNotEquals(children.get(0), children.get(1));
    }

    @Test
    void shouldSyncWithFormatOciToWhatSkopeoSyncWrites() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Skopeo.Result s = Skopeo.run("--insecure-policy", "sync", "--src", "docker", "--dest", "docker", "--format", "oci", "--all",
                "--src-tls-verify=false", "--dest-tls-verify=false", reg + "/oci-format/app", reg + "/by-skopeo-" + suffix);
        assertEquals(0, s.exitCode(), s.stderr());
        Map<String, Object> body = new HashMap<>(Map.of("source", "docker://" + reg + "/oci-format/app",
                "destination", "docker://" + reg + "/by-ferry-" + suffix, "srcTlsVerify", false, "destTlsVerify", false,
                "format", "oci", "all", true));
        for (int run = 1; run <= 2; run++) { // a re-run finds every converted image there and moves nothing
            JsonNode job = JSON.readTree(given().contentType("application/json").header("Prefer", "wait=60").body(body)
                    .post("/api/v1/sync").asString());
            assertEquals("succeeded", job.path("state").asText(), job.toString());
            assertEquals(2, job.path("result").path("images").size(), job.toString());
            for (String tag : List.of("v1", "list")) {
                assertEquals(TestImages.sha256(Skopeo.inspectRaw("docker://" + reg + "/by-skopeo-" + suffix + "/app:" + tag, "--tls-verify=false")),
                        TestImages.sha256(Skopeo.inspectRaw("docker://" + reg + "/by-ferry-" + suffix + "/app:" + tag, "--tls-verify=false")),
                        "run " + run + ", tag " + tag + ": the digest skopeo sync --format oci gives");
            }
        }
        body.put("preserveDigests", true);
        body.put("destination", "docker://" + reg + "/kept-" + suffix);
        JsonNode kept = JSON.readTree(given().contentType("application/json").header("Prefer", "wait=60").body(body)
                .post("/api/v1/sync").asString());
        assertEquals("failed", kept.path("state").asText(), kept.toString());
        assertTrue(kept.toString().contains("digests-would-change"), kept.toString());
        given().contentType("application/json").body(Map.of("source", "docker://" + reg + "/oci-format/app",
                "destination", "docker://" + reg + "/x", "format", "v2s1")).post("/api/v1/sync").then().statusCode(400)
                .body("errors[0].field", org.hamcrest.Matchers.equalTo("format"));
    }
}
