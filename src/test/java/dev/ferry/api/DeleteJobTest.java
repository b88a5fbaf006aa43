package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Deletes against real registries, checked with skopeo. */
@QuarkusTest
class DeleteJobTest {
    private static final TestImages IMAGES = new TestImages(555);

    static Response delete(Map<String, Object> body) {
        Map<String, Object> b = new HashMap<>(body);
        b.putIfAbsent("tlsVerify", false);
        return given().contentType("application/json").header("Prefer", "wait=30").body(b).post("/api/v1/delete");
    }

    static boolean exists(String ref) {
        return Skopeo.run("inspect", "--raw", "--tls-verify=false", "docker://" + ref).exitCode() == 0;
    }

    private static String push(String repo, String... tags) {
        TestImages.Image image = IMAGES.ociImage(1, 512, "linux", "amd64", null);
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        pusher.push(repo, tags[0], image);
        for (int i = 1; i < tags.length; i++) {
            pusher.tag(repo, tags[i], image);
        }
        return image.digest();
    }

    private static String anon() {
        return SharedRegistries.get().anonymous().hostPort();
    }

    @Test
    void shouldDeleteByDigest() {
        String digest = push("delete/bydigest", "v1");
        delete(Map.of("image", anon() + "/delete/bydigest@" + digest)).then()
                .statusCode(200).body("state", equalTo("succeeded")).body("result.digest", equalTo(digest))
                .body("result.tagsRemoved", equalTo(java.util.List.of("v1")));
        assertEquals(false, exists(anon() + "/delete/bydigest@" + digest));
        assertEquals(false, exists(anon() + "/delete/bydigest:v1"));
    }

    @Test
    void shouldReportEveryTagADeleteByDigestRemoved() {
        String digest = push("delete/bydigest-tags", "v1", "latest", "stable");
        String other = push("delete/bydigest-tags", "v2");
        delete(Map.of("image", anon() + "/delete/bydigest-tags@" + digest)).then()
                .statusCode(200).body("state", equalTo("succeeded"))
                .body("result.tagsRemoved", equalTo(java.util.List.of("latest", "stable", "v1")));
        assertEquals(false, exists(anon() + "/delete/bydigest-tags:latest"));
        assertEquals(true, exists(anon() + "/delete/bydigest-tags@" + other), "the other manifest stays");
    }

    @Test
    void shouldDeleteATagThatIsTheOnlyOneOfItsManifest() {
        String digest = push("delete/single", "v1");
        String other = push("delete/single", "v2");
        assertNotEquals(digest, other);
        delete(Map.of("image", "docker://" + anon() + "/delete/single:v1")).then()
                .statusCode(200).body("state", equalTo("succeeded"))
                .body("result.digest", equalTo(digest)).body("result.tagsRemoved", hasItems("v1"));
        assertEquals(false, exists(anon() + "/delete/single:v1"));
        assertEquals(true, exists(anon() + "/delete/single:v2"), "other manifests stay");
    }

    @Test
    void shouldRefuseToDeleteATagWhoseManifestOtherTagsShareUnlessForced() {
        String digest = push("delete/shared", "v1", "latest", "stable");
        delete(Map.of("image", anon() + "/delete/shared:v1")).then()
                .statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:delete-would-remove-tags"))
                .body("detail", containsString("latest"))
                .body("detail", containsString("stable"))
                .body("detail", not(containsString(" v1,")));
        assertEquals(true, exists(anon() + "/delete/shared:v1"), "nothing deleted");
        delete(Map.of("image", anon() + "/delete/shared:v1", "force", true)).then()
                .statusCode(200).body("state", equalTo("succeeded"))
                .body("result.tagsRemoved", hasItems("v1", "latest", "stable"));
        assertEquals(false, exists(anon() + "/delete/shared:latest"));
        assertEquals(false, exists(anon() + "/delete/shared@" + digest));
    }

    @Test
    void shouldSayClearlyWhenTheRegistryHasDeletesDisabled() {
        try (RegistryProcess noDeletes = RegistryProcess.anonymous(false)) {
            TestImages.Image image = IMAGES.ociImage(1, 256, "linux", "amd64", null);
            new RegistryPusher(noDeletes.baseUrl()).push("delete/disabled", "v1", image);
            delete(Map.of("image", noDeletes.hostPort() + "/delete/disabled@" + image.digest())).then()
                    .statusCode(200).body("state", equalTo("failed"))
                    .body("error.type", equalTo("urn:ferry:problem:registry-delete-disabled"))
                    .body("error.detail", containsString("does not allow deletes"));
            assertEquals(true, exists(noDeletes.hostPort() + "/delete/disabled:v1"));
        }
    }

    @Test
    void shouldSayWhenTheRegistryCannotDeleteATagAlone() {
        push("delete/tagonly", "v1", "v2");
        delete(Map.of("image", anon() + "/delete/tagonly:v1", "tagOnly", true)).then()
                .statusCode(200).body("state", equalTo("failed"))
                .body("error.type", equalTo("urn:ferry:problem:tag-delete-unsupported"));
        assertEquals(true, exists(anon() + "/delete/tagonly:v1"));
        assertEquals(true, exists(anon() + "/delete/tagonly:v2"));
    }

    @Test
    void shouldAnswerUnknownImagesAndBadRequestsAtOnce() {
        delete(Map.of("image", anon() + "/delete/nothing:here")).then().statusCode(404)
                .body("type", equalTo("urn:ferry:problem:image-not-found"));
        delete(Map.of("image", anon() + "/delete/x@sha256:" + "a".repeat(64), "tagOnly", true)).then().statusCode(400)
                .body("errors[0].field", equalTo("tagOnly"));
        delete(Map.of("image", "oci:/tmp/x")).then().statusCode(400)
                .body("type", equalTo("urn:ferry:problem:unsupported-transport"));
        delete(Map.of("image", anon() + "/a:b", "forced", true)).then().statusCode(400)
                .body("errors[0].field", equalTo("forced"));
    }
}
