package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ferry's inspect compared field by field with skopeo inspect, on images in real registries. */
@QuarkusTest
class InspectTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(42);
    private static String anon;
    private static TestImages.Image oci;
    private static TestImages.Image docker;
    private static TestImages.Image multi;
    private static TestImages.Image indented;

    @BeforeAll
    static void pushFixtures() {
        SharedRegistries r = SharedRegistries.get();
        anon = r.anonymous().hostPort();
        RegistryPusher pusher = new RegistryPusher(r.anonymous().baseUrl());
        oci = IMAGES.ociImage(3, 2048, "linux", "amd64", null);
        docker = IMAGES.dockerImage(2, 4096);
        multi = IMAGES.multiPlatformOci();
        indented = TestImages.nonCanonical(IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        pusher.push("inspect/oci", "v1", oci);
        pusher.tag("inspect/oci", "v2", oci);
        pusher.push("inspect/docker", "v1", docker);
        pusher.push("inspect/multi", "v1", multi);
        pusher.push("inspect/indented", "v1", indented);
    }

    static Response inspect(Map<String, Object> body) {
        Map<String, Object> b = new HashMap<>(body);
        b.putIfAbsent("tlsVerify", false);
        return given().contentType("application/json").body(b).post("/api/v1/inspect");
    }

    static JsonNode json(Response r) throws Exception {
        assertEquals(200, r.statusCode(), r.asString());
        return JSON.readTree(r.asByteArray());
    }

    /** skopeo 1.9 prints no LayersData; everything else must be equal (tags as a set: order is the registry's). */
    static void assertSameAsSkopeo(JsonNode skopeo, JsonNode ferry) {
        ObjectNode s = skopeo.deepCopy();
        ObjectNode f = ferry.deepCopy();
        s.remove("LayersData");
        f.remove("LayersData");
        if (!s.has("Variant")) {
            // skopeo 1.9 predates the Variant field; current skopeo prints it from the config, as Ferry does.
            // Callers assert Ferry's Variant against the config themselves.
            f.remove("Variant");
        }
        assertEquals(tags(s.remove("RepoTags")), tags(f.remove("RepoTags")), "RepoTags");
        assertEquals(s, f, "skopeo inspect and Ferry inspect differ");
    }

    static TreeSet<String> tags(JsonNode n) {
        TreeSet<String> out = new TreeSet<>();
        if (n != null) {
            n.forEach(t -> out.add(t.asText()));
        }
        return out;
    }

    static String sha256(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void shouldPrintWhatSkopeoPrintsForAnOciImage() throws Exception {
        String ref = "docker://" + anon + "/inspect/oci:v1";
        JsonNode ferry = json(inspect(Map.of("image", ref)));
        assertSameAsSkopeo(Skopeo.inspect(ref), ferry);
        assertEquals(oci.digest(), ferry.get("Digest").asText());
        assertEquals(tags(JSON.valueToTree(java.util.List.of("v1", "v2"))), tags(ferry.get("RepoTags")));
    }

    @Test
    void shouldFillLayersDataFromTheManifest() throws Exception {
        JsonNode ferry = json(inspect(Map.of("image", anon + "/inspect/oci:v1")));
        JsonNode manifest = JSON.readTree(oci.manifest());
        JsonNode layers = manifest.get("layers");
        assertEquals(layers.size(), ferry.get("LayersData").size());
        for (int i = 0; i < layers.size(); i++) {
            JsonNode want = layers.get(i);
            JsonNode got = ferry.get("LayersData").get(i);
            assertEquals(want.get("mediaType").asText(), got.get("MIMEType").asText());
            assertEquals(want.get("digest").asText(), got.get("Digest").asText());
            assertEquals(want.get("size").asLong(), got.get("Size").asLong());
            JsonNode wantAnnotations = want.get("annotations");
            assertEquals(wantAnnotations == null ? JSON.nullNode() : wantAnnotations, got.get("Annotations"));
        }
    }

    @Test
    void shouldPrintWhatSkopeoPrintsForADockerImage() throws Exception {
        String ref = "docker://" + anon + "/inspect/docker:v1";
        JsonNode ferry = json(inspect(Map.of("image", ref)));
        assertSameAsSkopeo(Skopeo.inspect(ref), ferry);
        assertEquals("24.0.7", ferry.get("DockerVersion").asText());
    }

    @Test
    void shouldSelectTheDefaultPlatformOfAMultiPlatformImageLikeSkopeo() throws Exception {
        String ref = "docker://" + anon + "/inspect/multi:v1";
        JsonNode ferry = json(inspect(Map.of("image", ref)));
        assertSameAsSkopeo(Skopeo.inspect(ref), ferry);
        assertEquals(multi.digest(), ferry.get("Digest").asText(), "Digest is the index's digest, as in skopeo");
        assertEquals("amd64", ferry.get("Architecture").asText());
    }

    @Test
    void shouldHonourArchitectureAndVariantOverridesLikeSkopeo() throws Exception {
        String ref = "docker://" + anon + "/inspect/multi:v1";
        JsonNode arm64 = json(inspect(Map.of("image", ref, "overrideArch", "arm64")));
        assertSameAsSkopeo(Skopeo.inspect(ref, "--override-arch", "arm64"), arm64);
        assertEquals("arm64", arm64.get("Architecture").asText());
        assertEquals("v8", arm64.get("Variant").asText(), "Variant comes from the selected image's config");
        JsonNode armV7 = json(inspect(Map.of("image", ref, "overrideArch", "arm", "overrideVariant", "v7")));
        assertSameAsSkopeo(Skopeo.inspect(ref, "--override-arch", "arm", "--override-variant", "v7"), armV7);
        assertEquals("v7", armV7.get("Variant").asText());
    }

    @Test
    void shouldReportAPlatformTheImageDoesNotHave() {
        inspect(Map.of("image", anon + "/inspect/multi:v1", "overrideArch", "s390x")).then()
                .statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:platform-not-found"))
                .body("detail", containsString("linux/arm64"));
    }

    @Test
    void shouldKeepTheDigestOfANonCanonicalManifest() throws Exception {
        String ref = "docker://" + anon + "/inspect/indented:v1";
        JsonNode ferry = json(inspect(Map.of("image", ref)));
        assertSameAsSkopeo(Skopeo.inspect(ref), ferry);
        assertEquals(indented.digest(), ferry.get("Digest").asText());
        Response raw = inspect(Map.of("image", ref, "raw", true));
        assertArrayEquals(indented.manifest(), raw.asByteArray());
    }

    @Test
    void shouldServeTheRawManifestExactlyAsTheRegistryDoes() throws Exception {
        for (String repo : new String[] {"inspect/oci:v1", "inspect/docker:v1", "inspect/multi:v1"}) {
            String ref = "docker://" + anon + "/" + repo;
            Response raw = inspect(Map.of("image", ref, "raw", true));
            assertEquals(200, raw.statusCode());
            byte[] body = raw.asByteArray();
            assertArrayEquals(Skopeo.inspectRaw(ref), body, repo);
            JsonNode full = json(inspect(Map.of("image", ref, "noTags", true)));
            assertEquals(full.get("Digest").asText(), sha256(body), "sha256 of raw equals Digest for " + repo);
            assertEquals(JSON.readTree(body).get("mediaType").asText(), raw.contentType());
        }
    }

    @Test
    void shouldServeTheConfigLikeSkopeo() throws Exception {
        for (String repo : new String[] {"inspect/oci:v1", "inspect/docker:v1"}) {
            String ref = "docker://" + anon + "/" + repo;
            JsonNode ferry = json(inspect(Map.of("image", ref, "config", true)));
            assertEquals(Skopeo.inspectConfig(ref), ferry, repo);
        }
        Response rawConfig = inspect(Map.of("image", anon + "/inspect/docker:v1", "config", true, "raw", true));
        assertEquals(200, rawConfig.statusCode());
        assertArrayEquals(docker.config().bytes(), rawConfig.asByteArray());
        assertArrayEquals(Skopeo.inspectRaw("docker://" + anon + "/inspect/docker:v1", "--config"), rawConfig.asByteArray());
    }

    @Test
    void shouldLeaveTagsOutWithNoTags() throws Exception {
        JsonNode ferry = json(inspect(Map.of("image", anon + "/inspect/oci:v1", "noTags", true)));
        assertEquals(0, ferry.get("RepoTags").size());
    }

    @Test
    void shouldInspectByDigest() throws Exception {
        String ref = "docker://" + anon + "/inspect/oci@" + oci.digest();
        JsonNode ferry = json(inspect(Map.of("image", ref)));
        assertSameAsSkopeo(Skopeo.inspect(ref), ferry);
    }

    @Test
    void shouldAnswerUnknownImageWith404() {
        inspect(Map.of("image", anon + "/inspect/oci:missing")).then()
                .statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:image-not-found"))
                .body("detail", containsString("inspect/oci"));
    }

    @Test
    void shouldAnswerUnknownRepositoryWith404() {
        inspect(Map.of("image", anon + "/no/such/repo:v1")).then()
                .statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:repository-not-found"));
    }

    @Test
    void shouldAnswerUnknownDigestWith404() {
        inspect(Map.of("image", anon + "/inspect/oci@sha256:" + "0".repeat(64))).then()
                .statusCode(404).body("type", equalTo("urn:ferry:problem:image-not-found"));
    }

    @Test
    void shouldReportARegistryThatIsDownAs502() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        inspect(Map.of("image", "127.0.0.1:" + port + "/x/y:z", "retryTimes", 0)).then()
                .statusCode(502).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:registry-unreachable"))
                .body("detail", containsString("127.0.0.1:" + port));
    }

    @Test
    void shouldRefuseTlsToAPlainHttpRegistryWhenVerifying() {
        inspect(Map.of("image", anon + "/inspect/oci:v1", "tlsVerify", true, "retryTimes", 0)).then()
                .statusCode(502).body("type", equalTo("urn:ferry:problem:registry-unreachable"))
                .body("detail", containsString("TLS"));
    }

    @Test
    void shouldRejectMalformedReferencesBeforeContactingAnything() {
        String[][] cases = {
                {"Upper/Case:v1", "urn:ferry:problem:invalid-reference"},
                {anon + "/inspect/oci:bad tag", "urn:ferry:problem:invalid-reference"},
                {anon + "/inspect/oci@sha256:abc", "urn:ferry:problem:invalid-reference"},
                {anon + "/inspect/oci@md5:abc", "urn:ferry:problem:invalid-reference"},
                {"ostree:/tmp/repo", "urn:ferry:problem:unsupported-transport"},
                {"containers-storage:alpine", "urn:ferry:problem:unsupported-transport"},
                {"", "urn:ferry:problem:invalid-request"},
        };
        for (String[] c : cases) {
            inspect(Map.of("image", c[0])).then()
                    .statusCode(400).contentType("application/problem+json")
                    .body("type", equalTo(c[1]))
                    .body("errors[0].field", equalTo("image"));
        }
        // the path transports are off without FERRY_STORAGE_ROOTS
        for (String path : new String[] {"oci:/tmp/layout", "docker-archive:/tmp/x.tar"}) {
            inspect(Map.of("image", path)).then()
                    .statusCode(403).contentType("application/problem+json")
                    .body("type", equalTo("urn:ferry:problem:storage-disabled"))
                    .body("errors[0].field", equalTo("image"));
        }
    }

    @Test
    void shouldRejectUnknownFieldsAndWrongTypes() {
        given().contentType("application/json").body("{\"image\":\"a/b:c\",\"tlsverify\":false}")
                .post("/api/v1/inspect").then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:invalid-request"))
                .body("errors[0].field", equalTo("tlsverify"));
        given().contentType("application/json").body("{\"image\":\"a/b:c\",\"raw\":\"yes\"}")
                .post("/api/v1/inspect").then().statusCode(400)
                .body("errors[0].field", equalTo("raw"));
        given().contentType("application/json").body("{\"image\":")
                .post("/api/v1/inspect").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("not valid JSON"));
        given().contentType("application/json").body("[1,2]")
                .post("/api/v1/inspect").then().statusCode(400).contentType("application/problem+json");
        given().contentType("application/json")
                .post("/api/v1/inspect").then().statusCode(400).contentType("application/problem+json");
        given().contentType("text/plain").body("hello")
                .post("/api/v1/inspect").then().statusCode(415).contentType("application/problem+json");
    }

    @Test
    void shouldRejectAnOversizedRequestBody() {
        String big = "{\"image\":\"" + "a".repeat(2 * 1024 * 1024) + "\"}";
        given().contentType("application/json").body(big).post("/api/v1/inspect").then().statusCode(413)
                .contentType("application/problem+json").body("type", equalTo("urn:ferry:problem:payload-too-large"));
    }

    @Test
    void shouldComputeManifestDigestsLikeSkopeo() throws Exception {
        given().contentType("application/vnd.oci.image.manifest.v1+json").body(indented.manifest())
                .post("/api/v1/manifest-digest").then().statusCode(200)
                .body("digest", equalTo(indented.digest()));
        given().contentType("application/json").body("not json")
                .post("/api/v1/manifest-digest").then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:invalid-manifest"));
    }

    @Test
    void shouldNeverAnswerWithTheSecretsItWasGiven() throws Exception {
        String secret = "s3cr3t-never-echo";
        Response r = inspect(Map.of("image", "127.0.0.1:1/x/y:z", "creds", "ferry:" + secret, "retryTimes", 0));
        assertTrue(r.statusCode() >= 400);
        assertTrue(!r.asString().contains(secret), r.asString());
    }
}
