package dev.ferry.storage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The path transports ({@code oci:}, {@code dir:}) against skopeo as the oracle: skopeo reads what Ferry writes and
 * Ferry reads what skopeo writes, with the same digests; and every path escape is refused without touching a file.
 */
@QuarkusTest
@TestProfile(LocalTransportsTest.Profile.class)
class LocalTransportsTest {
    static final Path ROOT = Path.of(System.getProperty("java.io.tmpdir"), "ferry-roots-" + ProcessHandle.current().pid());
    static final Path OUTSIDE = Path.of(System.getProperty("java.io.tmpdir"), "ferry-outside-" + ProcessHandle.current().pid());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(1010).withGzipLayers();
    private static String reg;
    private static TestImages.Image image;
    private static TestImages.Image multi;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.storage.roots", ROOT.toString());
        }
    }

    @BeforeAll
    static void fixtures() throws IOException {
        Files.createDirectories(ROOT);
        Files.createDirectories(OUTSIDE);
        reg = SharedRegistries.get().anonymous().hostPort();
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        image = IMAGES.ociImage(3, 300 * 1024, "linux", "amd64", null);
        multi = IMAGES.multiPlatformOci();
        pusher.push("local/app", "v1", image);
        pusher.push("local/multi", "v1", multi);
        pusher.push("local/docker", "v1", IMAGES.dockerImage(2, 64 * 1024, "linux", "arm64", "v8"));
    }

    static Response copy(String source, String destination, Map<String, Object> extra) {
        Map<String, Object> b = new HashMap<>(extra);
        b.put("source", source);
        b.put("destination", destination);
        b.putIfAbsent("srcTlsVerify", false);
        b.putIfAbsent("destTlsVerify", false);
        return given().contentType("application/json").header("Prefer", "wait=60").body(b).post("/api/v1/copy");
    }

    static JsonNode succeeded(String source, String destination, Map<String, Object> extra) throws IOException {
        Response r = copy(source, destination, extra);
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = JSON.readTree(r.asByteArray());
        assertEquals("succeeded", job.path("state").asText(), r.asString());
        return job;
    }

    static Path fresh(String name) {
        return ROOT.resolve(name + "-" + UUID.randomUUID());
    }

    private static void skopeoOk(Skopeo.Result r) {
        assertEquals(0, r.exitCode(), r.stderr());
    }

    @Test
    void shouldWriteAnOciLayoutThatSkopeoInspectsLikeItsOwn() throws IOException {
        Path theirs = fresh("oci-skopeo");
        Path ours = fresh("oci-ferry");
        skopeoOk(Skopeo.copy("docker://" + reg + "/local/app:v1", "oci:" + theirs + ":v1"));
        JsonNode job = succeeded("docker://" + reg + "/local/app:v1", "oci:" + ours + ":v1", Map.of());
        assertEquals(image.digest(), job.path("result").path("digest").asText());
        JsonNode a = Skopeo.inspect("oci:" + theirs + ":v1");
        JsonNode b = Skopeo.inspect("oci:" + ours + ":v1");
        assertEquals(a, b);
        assertArrayEquals(Skopeo.inspectRaw("oci:" + theirs + ":v1"), Skopeo.inspectRaw("oci:" + ours + ":v1"));
        assertTrue(Files.exists(ours.resolve("oci-layout")));
        try (Stream<Path> s = Files.walk(ours)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left behind");
        }
    }

    @Test
    void shouldConvertADockerImageIntoTheOciLayoutSkopeoWrites() throws IOException {
        Path theirs = fresh("oci-docker-skopeo");
        Path ours = fresh("oci-docker-ferry");
        skopeoOk(Skopeo.copy("docker://" + reg + "/local/docker:v1", "oci:" + theirs + ":v1"));
        JsonNode job = succeeded("docker://" + reg + "/local/docker:v1", "oci:" + ours + ":v1", Map.of());
        assertTrue(job.path("result").path("digestsChanged").asBoolean(), job.toString());
        assertArrayEquals(Skopeo.inspectRaw("oci:" + theirs + ":v1"), Skopeo.inspectRaw("oci:" + ours + ":v1"),
                "the converted manifest skopeo writes");
        assertEquals(Skopeo.inspect("oci:" + theirs + ":v1"), Skopeo.inspect("oci:" + ours + ":v1"));
        assertEquals(Skopeo.inspectConfig("oci:" + theirs + ":v1"), Skopeo.inspectConfig("oci:" + ours + ":v1"));
    }

    @Test
    void shouldInspectAnOciLayoutAndADirLikeSkopeo() throws IOException {
        Path theirs = fresh("oci-inspect");
        skopeoOk(Skopeo.copy("docker://" + reg + "/local/app:v1", "oci:" + theirs + ":v1"));
        Path dir = fresh("dir-inspect");
        skopeoOk(Skopeo.copy("docker://" + reg + "/local/app:v1", "dir:" + dir));
        for (String where : new String[] {"oci:" + theirs + ":v1", "dir:" + dir}) {
            Response r = given().contentType("application/json").body(Map.of("image", where)).post("/api/v1/inspect");
            assertEquals(200, r.statusCode(), r.asString());
            com.fasterxml.jackson.databind.node.ObjectNode ours = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(r.asByteArray());
            com.fasterxml.jackson.databind.node.ObjectNode skopeo = (com.fasterxml.jackson.databind.node.ObjectNode) Skopeo.inspect(where);
            ours.remove("LayersData"); // Debian's skopeo 1.9 does not print it (current skopeo does, as Ferry)
            skopeo.remove("LayersData");
            assertEquals(skopeo, ours, where);
            byte[] raw = given().contentType("application/json").body(Map.of("image", where, "raw", true))
                    .post("/api/v1/inspect").asByteArray();
            assertArrayEquals(Skopeo.inspectRaw(where), raw, where);
        }
    }

    @Test
    void shouldCopyAnOciLayoutSkopeoWroteToARegistryWithItsDigest() throws IOException {
        Path theirs = fresh("oci-skopeo");
        skopeoOk(Skopeo.copy("docker://" + reg + "/local/app:v1", "oci:" + theirs + ":v1"));
        String digest = Skopeo.inspect("oci:" + theirs + ":v1").path("Digest").asText();
        String dst = reg + "/local/from-oci-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        JsonNode job = succeeded("oci:" + theirs + ":v1", "docker://" + dst, Map.of());
        assertEquals(digest, job.path("result").path("digest").asText());
        assertEquals(digest, Skopeo.inspect(dst).path("Digest").asText());
    }

    @Test
    void shouldKeepTheIndexDigestOfAMultiPlatformImageThroughAnOciLayout() throws IOException {
        Path ours = fresh("oci-multi");
        succeeded("docker://" + reg + "/local/multi:v1", "oci:" + ours + ":m", Map.of("all", true));
        assertEquals(multi.digest(), Skopeo.inspect("oci:" + ours + ":m", "--raw").isObject()
                ? TestImages.sha256(Skopeo.inspectRaw("oci:" + ours + ":m")) : "");
        String dst = reg + "/local/multi-back-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        JsonNode job = succeeded("oci:" + ours + ":m", "docker://" + dst, Map.of("all", true));
        assertEquals(multi.digest(), job.path("result").path("digest").asText());
        assertEquals(multi.digest(), TestImages.sha256(Skopeo.inspectRaw(dst)));
        // a second image in the same layout keeps the first one's entry
        succeeded("docker://" + reg + "/local/app:v1", "oci:" + ours + ":app", Map.of());
        assertEquals(image.digest(), TestImages.sha256(Skopeo.inspectRaw("oci:" + ours + ":app")));
        assertEquals(multi.digest(), TestImages.sha256(Skopeo.inspectRaw("oci:" + ours + ":m")));
    }

    @Test
    void shouldRoundTripDirWithSkopeo() throws IOException {
        Path ours = fresh("dir-ferry");
        succeeded("docker://" + reg + "/local/app:v1", "dir:" + ours, Map.of());
        String back = reg + "/local/dir-back-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        skopeoOk(Skopeo.copy("dir:" + ours, "docker://" + back));
        assertEquals(image.digest(), TestImages.sha256(Skopeo.inspectRaw(back)));

        Path theirs = fresh("dir-skopeo");
        skopeoOk(Skopeo.copy("docker://" + reg + "/local/app:v1", "dir:" + theirs));
        String again = reg + "/local/dir-again-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        JsonNode job = succeeded("dir:" + theirs, "docker://" + again, Map.of());
        assertEquals(image.digest(), job.path("result").path("digest").asText());
        assertEquals(Files.readString(theirs.resolve("version")), Files.readString(ours.resolve("version")));
    }

    @Test
    void shouldRefuseEveryPathEscapeWithoutTouchingAFile() throws IOException {
        Path link = ROOT.resolve("link-out-" + UUID.randomUUID());
        Files.createSymbolicLink(link, OUTSIDE);
        String[] escapes = {
                "oci:" + ROOT + "/../" + OUTSIDE.getFileName() + "/x:v1",
                "oci:" + OUTSIDE.resolve("abs") + ":v1",
                "oci:" + link + "/x:v1",
                "dir:" + link,
                "dir:../etc",
                "oci:" + ROOT + ":v1",
        };
        for (String escape : escapes) {
            copy("docker://" + reg + "/local/app:v1", escape, Map.of()).then().statusCode(403)
                    .contentType("application/problem+json")
                    .body("type", equalTo("urn:ferry:problem:path-not-allowed"))
                    .body("detail", containsString("destination"));
            copy(escape, "docker://" + reg + "/local/never:v1", Map.of()).then().statusCode(403)
                    .body("type", equalTo("urn:ferry:problem:path-not-allowed"));
        }
        try (Stream<Path> s = Files.list(OUTSIDE)) {
            assertEquals(0, s.count(), "nothing was written outside the roots");
        }
    }

    @Test
    void shouldRefuseAnArchiveWhoseEntriesPointOutside() throws Exception {
        for (String entry : new String[] {"../x", "/etc/x", "blobs/../../x"}) {
            Path tar = ROOT.resolve("evil-" + UUID.randomUUID() + ".tar");
            byte[] content = "{}".getBytes();
            byte[] member = dev.ferry.testing.TestImages.tarEntry(entry, content);
            Files.write(tar, member);
            JsonNode job = JSON.readTree(copy("oci-archive:" + tar, "docker://" + reg + "/local/evil:v1", Map.of()).asByteArray());
            assertEquals("failed", job.path("state").asText(), job.toString());
            assertEquals("urn:ferry:problem:path-not-allowed", job.path("error").path("type").asText(), job.toString());
        }
    }
}
