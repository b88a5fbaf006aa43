package dev.ferry.policy;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sync filters a mirror needs, against tags skopeo pushed to a real registry, with skopeo list-tags as the
 * oracle: exclusions, latest N by version and by creation time, a maximum age, and immutable tags that a re-run
 * does not read at the source.
 */
@QuarkusTest
class SyncFiltersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(2024);
    private static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    private static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static RegistryProcess source;
    private static RegistryProcess dest;

    @BeforeAll
    static void fixtures() {
        source = RegistryProcess.anonymous();
        dest = RegistryProcess.anonymous();
        RegistryPusher pusher = new RegistryPusher(source.baseUrl());
        pusher.push("lab/base", "seed", IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        // versions pushed with skopeo, as a user would tag a release
        for (String t : List.of("1.0.0", "1.2.0", "1.10.0", "2.0.0", "2.0.1-rc.1", "v2.1", "latest", "dev-abc")) {
            Skopeo.Result r = Skopeo.copy("docker://" + source.hostPort() + "/lab/base:seed", "docker://" + source.hostPort() + "/lab/app:" + t);
            assertTrue(r.ok(), r.stderr());
        }
        // images created at known times: a year ago, a week ago, an hour ago (the config's created)
        Instant now = Instant.now();
        pusher.push("lab/dated", "old", created(now.minus(Duration.ofDays(365)), 1));
        pusher.push("lab/dated", "week", created(now.minus(Duration.ofDays(7)), 2));
        pusher.push("lab/dated", "hour", created(now.minus(Duration.ofHours(1)), 3));
        pusher.push("lab/dated", "none", created(null, 4));
    }

    @AfterAll
    static void stop() {
        source.close();
        dest.close();
    }

    /** A one-layer OCI image whose config says it was created at {@code at} (no created field when null). */
    static TestImages.Image created(Instant at, int n) {
        TestImages.Blob layer = TestImages.blob(IMAGES.randomBytes(256 + n), OCI_LAYER);
        String cfg = "{" + (at == null ? "" : "\"created\":\"" + at + "\",") + "\"architecture\":\"amd64\",\"os\":\"linux\","
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layer.digest() + "\"]}}";
        TestImages.Blob config = TestImages.blob(cfg.getBytes(StandardCharsets.UTF_8), OCI_CONFIG);
        String m = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + OCI_CONFIG
                + "\",\"digest\":\"" + config.digest() + "\",\"size\":" + config.size() + "},\"layers\":[{\"mediaType\":\"" + OCI_LAYER
                + "\",\"digest\":\"" + layer.digest() + "\",\"size\":" + layer.size() + "}]}";
        byte[] manifest = m.getBytes(StandardCharsets.UTF_8);
        return new TestImages.Image(OCI_MANIFEST, manifest, TestImages.sha256(manifest), List.of(config, layer), List.of());
    }

    static JsonNode sync(String repo, String ns, Map<String, Object> extra) throws Exception {
        Map<String, Object> b = new HashMap<>(Map.of("source", source.hostPort() + "/" + repo, "destination", dest.hostPort() + "/" + ns,
                "srcTlsVerify", false, "destTlsVerify", false));
        b.putAll(extra);
        Response r = given().contentType("application/json").header("Prefer", "wait=120").body(b).post("/api/v1/sync");
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = JSON.readTree(r.asString());
        assertEquals("succeeded", job.get("state").asText(), r.asString());
        return job;
    }

    static TreeSet<String> tags(String repo) throws Exception {
        TreeSet<String> out = new TreeSet<>();
        Skopeo.listTags("docker://" + repo, "--tls-verify=false").get("Tags").forEach(t -> out.add(t.asText()));
        return out;
    }

    @Test
    void shouldSyncTheLatestThreeVersionsExceptPrereleasesExcluded() throws Exception {
        sync("lab/app", "latest3", Map.of("latest", 3, "excludeRegex", "-rc"));
        // versions: 1.0.0 1.2.0 1.10.0 2.0.0 v2.1 (2.0.1-rc.1 excluded; latest and dev-abc are no versions)
        assertEquals(new TreeSet<>(List.of("1.10.0", "2.0.0", "v2.1")), tags(dest.hostPort() + "/latest3/app"));
    }

    @Test
    void shouldCombineASemverRangeWithLatestN() throws Exception {
        sync("lab/app", "range", Map.of("semver", ">= 1.1.0, < 2", "latest", 1));
        assertEquals(new TreeSet<>(List.of("1.10.0")), tags(dest.hostPort() + "/range/app"));
    }

    @Test
    void shouldExcludeTagsARegexSelects() throws Exception {
        sync("lab/app", "excluded", Map.of("tagRegex", "^[0-9]", "excludeRegex", "^1\\."));
        assertEquals(new TreeSet<>(List.of("2.0.0", "2.0.1-rc.1")), tags(dest.hostPort() + "/excluded/app"));
    }

    @Test
    void shouldPickTheNewestByCreationTimeAndHonourAMaximumAge() throws Exception {
        sync("lab/dated", "newest", Map.of("latest", 2, "latestBy", "created"));
        assertEquals(new TreeSet<>(List.of("hour", "week")), tags(dest.hostPort() + "/newest/dated"));
        sync("lab/dated", "recent", Map.of("maxAge", "30d"));
        assertEquals(new TreeSet<>(List.of("hour", "week")), tags(dest.hostPort() + "/recent/dated"),
                "a year old and undated images are older than any maxAge");
        sync("lab/dated", "today", Map.of("maxAge", "PT2H"));
        assertEquals(new TreeSet<>(List.of("hour")), tags(dest.hostPort() + "/today/dated"));
    }

    @Test
    void shouldNotReadImmutableTagsAgainAtTheSourceOnARerun() throws Exception {
        Map<String, Object> opts = Map.of("immutableTags", List.of("[0-9]+\\.[0-9]+\\.[0-9]+"), "tagRegex", "^[0-9]");
        JsonNode first = sync("lab/app", "immutable", opts);
        assertEquals(5, first.at("/result/copied").asInt(), first.toString());
        JsonNode again = sync("lab/app", "immutable", opts);
        int immutable = 0;
        int headed = 0;
        for (JsonNode i : again.at("/result/images")) {
            assertEquals("skipped", i.get("state").asText(), i.toString());
            if (i.get("reason").asText().startsWith("immutable tag present")) {
                immutable++;
                assertTrue(i.get("source").asText().matches(".*:[0-9]+\\.[0-9]+\\.[0-9]+"), i.toString());
            } else {
                headed++;
            }
        }
        assertEquals(4, immutable, again.toString());
        assertEquals(1, headed, "2.0.1-rc.1 is no x.y.z tag: checked with HEADs " + again);
    }

    @Test
    void shouldRefuseBadFilterFieldsOnASync() {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("latest", -1), Map.of("latestBy", "created"),
                Map.of("maxAge", "yesterday"), Map.of("excludeRegex", "*"), Map.of("immutableTags", List.of("")),
                Map.of("pruneMax", 3), Map.of("onlyImages", List.of()))) {
            Map<String, Object> b = new HashMap<>(Map.of("source", source.hostPort() + "/lab/app", "destination", dest.hostPort() + "/x"));
            b.putAll(bad);
            Response r = given().contentType("application/json").body(b).post("/api/v1/sync");
            assertEquals(400, r.statusCode(), bad + " " + r.asString());
            assertTrue(r.asString().contains("\"field\":\"" + bad.keySet().iterator().next() + "\""), r.asString());
        }
    }
}
