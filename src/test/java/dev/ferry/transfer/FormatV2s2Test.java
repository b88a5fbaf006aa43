package dev.ferry.transfer;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code format: v2s2} (skopeo --format v2s2): OCI manifests become Docker v2s2 with the digests skopeo gets. */
@QuarkusTest
class FormatV2s2Test {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(6060).withGzipLayers();
    private static String reg;
    private static TestImages.Image image;

    @BeforeAll
    static void fixtures() {
        reg = SharedRegistries.get().anonymous().hostPort();
        image = IMAGES.ociImage(2, 100 * 1024, "linux", "amd64", null);
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        pusher.push("v2s2/app", "v1", image);
        pusher.push("v2s2/multi", "v1", IMAGES.multiPlatformOci());
    }

    private static JsonNode copy(Map<String, Object> fields) throws IOException {
        Map<String, Object> body = new HashMap<>(fields);
        body.put("srcTlsVerify", false);
        body.put("destTlsVerify", false);
        return JSON.readTree(given().contentType("application/json").header("Prefer", "wait=60").body(body)
                .post("/api/v1/copy").asString());
    }

    private static String fresh(String name) {
        return reg + "/v2s2/" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
    }

    @Test
    void shouldWriteTheV2s2ManifestSkopeoWrites() throws Exception {
        String bySkopeo = fresh("skopeo");
        Skopeo.Result s = Skopeo.copy("docker://" + reg + "/v2s2/app:v1", "docker://" + bySkopeo, "--format", "v2s2");
        assertEquals(0, s.exitCode(), s.stderr());
        String byFerry = fresh("ferry");
        JsonNode job = copy(Map.of("source", reg + "/v2s2/app:v1", "destination", byFerry, "format", "v2s2"));
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        byte[] ferry = Skopeo.inspectRaw(byFerry, "--tls-verify=false");
        assertEquals(TestImages.DOCKER_MANIFEST, JSON.readTree(ferry).path("mediaType").asText());
        assertEquals(TestImages.sha256(Skopeo.inspectRaw(bySkopeo, "--tls-verify=false")), TestImages.sha256(ferry),
                "byte for byte what skopeo writes");
        assertEquals(TestImages.sha256(ferry), job.path("result").path("digest").asText());
        assertTrue(job.path("result").path("digestsChanged").asBoolean(), job.toString());
        assertEquals(image.config().digest(), JSON.readTree(ferry).path("config").path("digest").asText(), "blobs are the same");
    }

    @Test
    void shouldTurnAnOciIndexIntoAManifestList() throws Exception {
        String byFerry = fresh("multi");
        JsonNode job = copy(Map.of("source", reg + "/v2s2/multi:v1", "destination", byFerry, "format", "v2s2", "all", true));
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        JsonNode list = JSON.readTree(Skopeo.inspectRaw(byFerry, "--tls-verify=false"));
        assertEquals(TestImages.DOCKER_MANIFEST_LIST, list.path("mediaType").asText(), list.toString());
        for (JsonNode m : list.path("manifests")) {
            assertEquals(TestImages.DOCKER_MANIFEST, m.path("mediaType").asText());
            byte[] child = Skopeo.inspectRaw(byFerry.replace(":v1", "@" + m.path("digest").asText()), "--tls-verify=false");
            assertEquals(m.path("digest").asText(), TestImages.sha256(child));
        }
        Skopeo.Result all = Skopeo.copy("docker://" + byFerry, "dir:/tmp/ferry-v2s2-" + UUID.randomUUID(), "--all");
        assertEquals(0, all.exitCode(), "skopeo reads every image of the list: " + all.stderr());
    }

    @Test
    void shouldRefuseV2s2WithPreserveDigestsOrIntoAnOciLayout() throws Exception {
        JsonNode job = copy(Map.of("source", reg + "/v2s2/app:v1", "destination", fresh("kept"), "format", "v2s2",
                "preserveDigests", true));
        assertEquals("failed", job.path("state").asText(), job.toString());
        assertEquals("urn:ferry:problem:digests-would-change", job.path("error").path("type").asText());
        given().contentType("application/json").body(Map.of("source", reg + "/v2s2/app:v1", "destination", "oci:/tmp/x:1",
                "format", "v2s2")).post("/api/v1/copy").then() // no storage root here: refused before it gets that far
                .statusCode(org.hamcrest.Matchers.anyOf(org.hamcrest.Matchers.is(400), org.hamcrest.Matchers.is(403)));
        given().contentType("application/json").body(Map.of("source", reg + "/v2s2/app:v1", "destination", fresh("bad"),
                "format", "v2s1")).post("/api/v1/copy").then().statusCode(400)
                .body("errors[0].field", org.hamcrest.Matchers.equalTo("format"));
    }
}
