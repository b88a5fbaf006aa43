package dev.ferry.policy;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code platforms} of a sync or policy against real distribution registries, with skopeo as the oracle: the
 * rewritten index lists just the chosen platforms (a new digest, reported next to the source's), each kept platform
 * copies out with skopeo and the others are absent; a re-run counts the image as unchanged; the default (index kept)
 * is refused by distribution 2.8, which checks an index's children, and the job says what to do instead.
 */
@QuarkusTest
class PlatformSubsetTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(8080);
    private static RegistryProcess source;
    private static RegistryProcess dest;
    private static TestImages.Image multi;

    @BeforeAll
    static void fixtures() {
        source = RegistryProcess.anonymous();
        dest = RegistryProcess.anonymous();
        multi = IMAGES.multiPlatformOci();
        RegistryPusher pusher = new RegistryPusher(source.baseUrl());
        pusher.push("lab/multi", "1.0", multi);
        pusher.tag("lab/multi", "stable", multi);
        pusher.push("lab/multi", "single", IMAGES.ociImage(1, 512, "linux", "amd64", null));
    }

    @AfterAll
    static void stop() {
        source.close();
        dest.close();
    }

    static Response submit(String ns, Map<String, Object> extra) {
        Map<String, Object> b = new HashMap<>(Map.of("source", source.hostPort() + "/lab/multi", "destination", dest.hostPort() + "/" + ns,
                "srcTlsVerify", false, "destTlsVerify", false));
        b.putAll(extra);
        return given().contentType("application/json").header("Prefer", "wait=120").body(b).post("/api/v1/sync");
    }

    static JsonNode ended(String ns, Map<String, Object> extra, String state) throws Exception {
        Response r = submit(ns, extra);
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = JSON.readTree(r.asString());
        assertEquals(state, job.get("state").asText(), r.asString());
        return job;
    }

    static JsonNode image(JsonNode job, String tag) {
        for (JsonNode i : job.at("/result/images")) {
            if (i.get("source").asText().endsWith(":" + tag)) {
                return i;
            }
        }
        throw new AssertionError("no image " + tag + " in " + job);
    }

    /** The child digests of the source index for these platforms, in index order. */
    static List<String> children(String... archs) {
        List<String> out = new ArrayList<>();
        List<String> wanted = List.of(archs);
        List<String> all = List.of("amd64", "arm64", "arm");
        for (int i = 0; i < all.size(); i++) {
            if (wanted.contains(all.get(i))) {
                out.add(multi.children().get(i).digest());
            }
        }
        return out;
    }

    @Test
    void shouldRewriteTheIndexToTheChosenPlatformsAndReportBothDigests() throws Exception {
        Map<String, Object> opts = Map.of("platforms", List.of("linux/arm64", "linux/amd64"), "platformsIndex", "rewrite",
                "tagRegex", "^(1\\.0|stable)$");
        JsonNode job = ended("rewrite", opts, "succeeded");
        assertEquals(2, job.at("/result/copied").asInt(), job.toString());
        String rewritten = null;
        for (String tag : List.of("1.0", "stable")) {
            JsonNode i = image(job, tag);
            assertEquals("copied", i.get("state").asText(), i.toString());
            assertEquals(multi.digest(), i.get("sourceDigest").asText(), i.toString());
            assertTrue(i.get("digestChanged").asBoolean(), i.toString());
            assertNotEquals(multi.digest(), i.get("digest").asText());
            rewritten = rewritten == null ? i.get("digest").asText() : rewritten;
            assertEquals(rewritten, i.get("digest").asText(), "both tags of one source index get the same rewritten index");
        }
        // oracle: skopeo reads the destination index; it lists the two platforms, byte-for-byte what Ferry reported
        for (String tag : List.of("1.0", "stable")) {
            byte[] raw = Skopeo.inspectRaw("docker://" + dest.hostPort() + "/rewrite/multi:" + tag, "--tls-verify=false");
            assertEquals(rewritten, TestImages.sha256(raw));
            JsonNode index = JSON.readTree(raw);
            assertEquals("application/vnd.oci.image.index.v1+json", index.get("mediaType").asText());
            List<String> listed = new ArrayList<>();
            index.get("manifests").forEach(d -> listed.add(d.get("digest").asText()));
            assertEquals(children("amd64", "arm64"), listed, "source order, arm/v7 left out");
        }
        // each kept platform copies out of the destination with skopeo; the left-out one is not there
        Path out = Files.createTempDirectory("ferry-platforms");
        for (String arch : List.of("amd64", "arm64")) {
            Skopeo.Result r = Skopeo.copy("docker://" + dest.hostPort() + "/rewrite/multi:1.0", "dir:" + out.resolve(arch),
                    "--src-tls-verify=false", "--override-os", "linux", "--override-arch", arch);
            assertTrue(r.ok(), r.stderr());
        }
        Skopeo.Result arm = Skopeo.copy("docker://" + dest.hostPort() + "/rewrite/multi:1.0", "dir:" + out.resolve("arm"),
                "--src-tls-verify=false", "--override-os", "linux", "--override-arch", "arm", "--override-variant", "v7");
        assertFalse(arm.ok(), "linux/arm/v7 was not selected and must not be at the destination");
        Skopeo.Result armChild = Skopeo.run("inspect", "--raw", "--tls-verify=false",
                "docker://" + dest.hostPort() + "/rewrite/multi@" + children("arm").get(0));
        assertFalse(armChild.ok(), "the arm/v7 manifest was not copied");

        // a re-run: the destination holds the rewritten index, so the image counts as unchanged
        JsonNode again = ended("rewrite", opts, "succeeded");
        assertEquals(0, again.at("/result/copied").asInt(), again.toString());
        assertEquals(2, again.at("/result/skipped").asInt(), again.toString());
        JsonNode skipped = image(again, "1.0");
        assertEquals(rewritten, skipped.get("digest").asText());
        assertEquals(multi.digest(), skipped.get("sourceDigest").asText());
        assertEquals(0, skipped.get("bytes").asInt());
    }

    @Test
    void shouldFailAKeptSparseIndexThatDistributionRefusesNamingTheRewrite() throws Exception {
        JsonNode job = ended("sparse", Map.of("platforms", List.of("linux/amd64"), "tagRegex", "^1\\.0$"), "failed");
        JsonNode i = image(job, "1.0");
        assertEquals("failed", i.get("state").asText(), i.toString());
        String reason = i.get("reason").asText();
        assertTrue(reason.contains("platformsIndex: rewrite"), reason);
        assertTrue(reason.contains(multi.digest()), reason);
        assertEquals("urn:ferry:problem:sparse-index-refused", job.at("/error/type").asText(), job.toString());
        assertFalse(Skopeo.run("inspect", "--raw", "--tls-verify=false", "docker://" + dest.hostPort() + "/sparse/multi:1.0").ok(),
                "no tag is pushed");
    }

    @Test
    void shouldKeepTheIndexWhenThePlatformsAreAllOfIt() throws Exception {
        JsonNode job = ended("whole", Map.of("platforms", List.of("linux/amd64", "linux/arm64/v8", "linux/arm/v7"),
                "tagRegex", "^1\\.0$"), "succeeded");
        JsonNode i = image(job, "1.0");
        assertEquals(multi.digest(), i.get("digest").asText(), i.toString());
        assertFalse(i.has("digestChanged"), i.toString());
        assertEquals(multi.digest(), TestImages.sha256(Skopeo.inspectRaw("docker://" + dest.hostPort() + "/whole/multi:1.0",
                "--tls-verify=false")));
    }

    @Test
    void shouldCopyAnImageThatIsNoIndexAsItIsAndFailAnIndexWithNoneOfThePlatforms() throws Exception {
        JsonNode job = ended("none", Map.of("platforms", List.of("linux/s390x"), "platformsIndex", "rewrite", "keepGoing", true,
                "tagRegex", "^(1\\.0|single)$"), "failed");
        assertEquals("copied", image(job, "single").get("state").asText(), job.toString());
        JsonNode i = image(job, "1.0");
        assertEquals("failed", i.get("state").asText());
        assertTrue(i.get("reason").asText().contains("linux/s390x"), i.toString());
    }

    @Test
    void shouldPlanARewriteInADryRun() throws Exception {
        JsonNode job = ended("planned", Map.of("platforms", List.of("linux/arm64"), "platformsIndex", "rewrite", "dryRun", true,
                "tagRegex", "^1\\.0$"), "succeeded");
        JsonNode i = image(job, "1.0");
        assertEquals("copy", i.get("action").asText(), i.toString());
        assertEquals(multi.digest(), i.get("sourceDigest").asText(), i.toString());
        assertEquals(multi.children().get(1).blobs().stream().mapToLong(TestImages.Blob::size).sum(), i.get("bytes").asLong());
    }

    @Test
    void shouldRunAPolicyWithPlatforms() throws Exception {
        Map<String, Object> sync = new HashMap<>(Map.of("source", source.hostPort() + "/lab/multi", "destination", dest.hostPort() + "/policy",
                "srcTlsVerify", false, "destTlsVerify", false, "tagRegex", "^1\\.0$",
                "platforms", List.of("linux/arm/v7"), "platformsIndex", "rewrite"));
        Response created = given().contentType("application/json").body(Map.of("name", "platforms-arm", "sync", sync)).post("/api/v1/policies");
        assertEquals(201, created.statusCode(), created.asString());
        assertEquals("rewrite", JSON.readTree(created.asString()).at("/sync/platformsIndex").asText());
        Response run = given().contentType("application/json").header("Prefer", "wait=60").body(Map.of())
                .post("/api/v1/policies/platforms-arm/runs");
        assertEquals(200, run.statusCode(), run.asString());
        JsonNode job = JSON.readTree(run.asString());
        assertEquals("succeeded", job.get("state").asText(), run.asString());
        JsonNode index = JSON.readTree(Skopeo.inspectRaw("docker://" + dest.hostPort() + "/policy/multi:1.0", "--tls-verify=false"));
        assertEquals(1, index.get("manifests").size());
        assertEquals(children("arm").get(0), index.at("/manifests/0/digest").asText());
    }

    @Test
    void shouldRefuseBadPlatformFields() throws Exception {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("platforms", List.of("linux/amd64"), "all", true),
                Map.of("platforms", List.of("linux")),
                Map.of("platforms", List.of("linux/amd64/v2/x")),
                Map.of("platforms", List.of("../etc/passwd")),
                Map.of("platforms", List.of()),
                Map.of("platforms", List.of("linux/amd64"), "platformsIndex", "strip"),
                Map.of("platformsIndex", "rewrite"),
                Map.of("platforms", "linux/amd64"))) {
            Response r = submit("bad", bad);
            assertEquals(400, r.statusCode(), bad + " -> " + r.asString());
            assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
            assertTrue(r.asString().contains("platforms"), r.asString());
        }
    }
}
