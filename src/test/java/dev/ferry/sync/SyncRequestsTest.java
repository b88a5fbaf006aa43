package dev.ferry.sync;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a sync asks the registries, counted from their access logs (issue 9, cost per job): a tag the destination's
 * listing lacks costs no HEAD on either side and one read of its source manifest; a re-run with nothing changed
 * reads no image manifest at the source (HEADs only, which registries such as Docker Hub do not count as pulls; an
 * index is read to pick its platform, as before).
 */
@QuarkusTest
class SyncRequestsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(9009);
    private static RegistryProcess source;
    private static RegistryProcess destination;
    private static final Map<String, TestImages.Image> TAGS = new TreeMap<>();
    private static TestImages.Image multi;

    @BeforeAll
    static void start() {
        source = RegistryProcess.withAccessLog();
        destination = RegistryProcess.withAccessLog();
        RegistryPusher pusher = new RegistryPusher(source.baseUrl());
        TestImages.Image a = IMAGES.ociImage(1, 2048);
        TAGS.put("a", a);
        TAGS.put("b", IMAGES.ociImage(1, 2048));
        TAGS.put("c", IMAGES.dockerImage(2, 1024));
        TAGS.put("d", a); // the same image under a second tag: its manifest is pushed again, nothing read again
        TAGS.forEach((tag, image) -> pusher.push("lab/app", tag, image));
        multi = IMAGES.multiPlatformOci();
        pusher.push("lab/app", "multi", multi);
    }

    @AfterAll
    static void stop() {
        source.close();
        destination.close();
    }

    private static JsonNode sync() throws Exception {
        Response r = given().contentType("application/json").header("Prefer", "wait=120")
                .body(Map.of("source", "docker://" + source.hostPort() + "/lab/app",
                        "destination", "docker://" + destination.hostPort() + "/mirror",
                        "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/sync");
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = JSON.readTree(r.asByteArray());
        assertEquals("succeeded", job.get("state").asText(), r.asString());
        return job;
    }

    private static long count(List<String> requests, String prefix) {
        return requests.stream().filter(r -> r.startsWith(prefix)).count();
    }

    @Test
    void shouldCopyNewTagsWithoutHeadsAndSkipUnchangedOnesWithoutReadingManifests() throws Exception {
        int src0 = source.requests().size();
        int dst0 = destination.requests().size();
        JsonNode job = sync();
        assertEquals(5, job.at("/result/copied").asInt(), job.toString());

        RegistryPusher mirror = new RegistryPusher(destination.baseUrl());
        TAGS.forEach((tag, image) -> assertEquals(image.digest(),
                TestImages.sha256(mirror.getManifest("mirror/app", tag, null)), "mirror/app:" + tag + " has the source's digest"));
        assertEquals(multi.children().get(0).digest(), TestImages.sha256(mirror.getManifest("mirror/app", "multi", null)),
                "without all: the linux/amd64 image of the index");

        List<String> src = source.requests().subList(src0, source.requests().size());
        List<String> dst = destination.requests().subList(dst0, destination.requests().size());
        assertEquals(0, count(dst, "HEAD /v2/mirror/app/manifests/"), "the destination's listing said no tag is there: " + dst);
        assertEquals(1, count(dst, "GET /v2/mirror/app/tags/list 404"), "one listing of the destination per sync: " + dst);
        assertEquals(5, count(dst, "PUT /v2/mirror/app/manifests/"), dst.toString());
        assertEquals(0, count(src, "HEAD /v2/lab/app/manifests/"), "no HEAD before the read the copy needs anyway: " + src);
        for (String tag : List.of("a", "b", "c", "d", "multi")) {
            assertEquals(1, count(src, "GET /v2/lab/app/manifests/" + tag + " "), "the manifest of " + tag + " read once: " + src);
        }
        assertEquals(1, count(src, "GET /v2/lab/app/manifests/sha256:"), "only the index's chosen child is read by digest: " + src);

        int src1 = source.requests().size();
        int dst1 = destination.requests().size();
        JsonNode again = sync();
        assertEquals(5, again.at("/result/skipped").asInt(), again.toString());
        List<String> srcAgain = source.requests().subList(src1, source.requests().size());
        List<String> dstAgain = destination.requests().subList(dst1, destination.requests().size());
        assertEquals(1, count(srcAgain, "GET /v2/lab/app/manifests/"), "a re-run reads no image manifest at the source: " + srcAgain);
        assertEquals(1, count(srcAgain, "GET /v2/lab/app/manifests/" + multi.digest()), "only the index, to pick its platform");
        assertEquals(5, count(srcAgain, "HEAD /v2/lab/app/manifests/"), srcAgain.toString());
        assertEquals(5, count(dstAgain, "HEAD /v2/mirror/app/manifests/"), dstAgain.toString());
        assertEquals(0, count(dstAgain, "PUT "), dstAgain.toString());
    }
}
