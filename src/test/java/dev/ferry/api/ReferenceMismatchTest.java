package dev.ferry.api;

import static dev.ferry.api.CopyJobTest.submit;
import static dev.ferry.api.InspectTest.inspect;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * BAD-INPUT row 4: a reference with a tag and a digest that disagree is refused with the mismatch reported (409
 * reference-mismatch), for inspect and a copy's source, and a copy destination {@code x:1@sha256:...} whose digest is
 * not what would be pushed is refused before anything moves. skopeo 1.9 refuses every tag+digest reference ("Docker
 * references with both a tag and digest are currently not supported"); Ferry takes one whose parts agree.
 */
@QuarkusTest
class ReferenceMismatchTest {
    private static final TestImages IMAGES = new TestImages(4404);
    private static String reg;
    private static RegistryPusher pusher;
    private static TestImages.Image one;
    private static TestImages.Image two;

    @BeforeAll
    static void push() {
        SharedRegistries r = SharedRegistries.get();
        reg = r.anonymous().hostPort();
        pusher = new RegistryPusher(r.anonymous().baseUrl());
        one = IMAGES.ociImage(1, 1024, "linux", "amd64", null);
        two = IMAGES.ociImage(1, 2048, "linux", "amd64", null);
        pusher.push("mismatch/app", "1.3", one);
        pusher.push("mismatch/app", "2.0", two);
    }

    @Test
    void shouldRefuseAnInspectWhoseTagPointsAtAnotherDigest() {
        inspect(Map.of("image", reg + "/mismatch/app:1.3@" + two.digest())).then().statusCode(409)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:reference-mismatch"))
                .body("detail", containsString(two.digest()))
                .body("detail", containsString("points at " + one.digest()));
    }

    @Test
    void shouldInspectATagAndDigestThatAgree() {
        inspect(Map.of("image", reg + "/mismatch/app:1.3@" + one.digest(), "noTags", true)).then().statusCode(200)
                .body("Digest", equalTo(one.digest()));
    }

    @Test
    void shouldFailACopyWhoseSourceTagAndDigestDisagree() {
        Response r = submit(Map.of("source", reg + "/mismatch/app:1.3@" + two.digest(), "destination", reg + "/mismatch/copy-a:1"),
                Map.of("Prefer", "wait=60"));
        assertEquals("failed", r.path("state"), r.asString());
        assertEquals("urn:ferry:problem:reference-mismatch", r.path("error.type"), r.asString());
        assertEquals(404, pusher.get("/v2/mismatch/copy-a/manifests/1", Map.of("Accept", TestImages.OCI_MANIFEST)).statusCode());
    }

    @Test
    void shouldRefuseADestinationDigestThatIsNotWhatWouldBePushed() {
        Response r = submit(Map.of("source", reg + "/mismatch/app:1.3", "destination", reg + "/mismatch/copy-b:1@" + two.digest()),
                Map.of("Prefer", "wait=60"));
        assertEquals("failed", r.path("state"), r.asString());
        assertEquals("urn:ferry:problem:reference-mismatch", r.path("error.type"), r.asString());
        assertTrue(r.<String>path("error.detail").contains(one.digest()), r.asString());
        assertEquals(404, pusher.get("/v2/mismatch/copy-b/manifests/1", Map.of("Accept", TestImages.OCI_MANIFEST)).statusCode(),
                "tag 1 was not pushed with another digest");
        assertEquals(false, pusher.blobExists("mismatch/copy-b", one.layers().get(0).digest()), "nothing moved");
    }

    @Test
    void shouldCopyToADestinationDigestThatMatches() throws Exception {
        Response r = submit(Map.of("source", reg + "/mismatch/app:1.3", "destination", reg + "/mismatch/copy-c:1@" + one.digest()),
                Map.of("Prefer", "wait=60"));
        assertEquals("succeeded", r.path("state"), r.asString());
        assertEquals(one.digest(), Skopeo.inspect("docker://" + reg + "/mismatch/copy-c:1").get("Digest").asText());
    }
}
