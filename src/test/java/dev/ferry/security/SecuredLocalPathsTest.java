package dev.ferry.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
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
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Secured mode's path rules (issue 10 item 3): a server-side location (oci:, dir:, archives, docker-daemon:) is granted
 * only by a rule's {@code paths}, matched against the resolved path (symlinks followed), before any file or daemon is
 * touched. team-a may read and write ROOT/team-a/* and docker-daemon:team-a/*; viewers and operators may read
 * ROOT/public/*; a repository rule ({@code *} for admins) never grants a path.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class SecuredLocalPathsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = SecuredProfile.ROOT;
    private static String reg;
    private static String digest;

    private static String tina() {
        return SecuredProfile.tokenWithGroups("tina", Set.of("team-a"), "ferry-operator");
    }

    @BeforeAll
    static void fixtures() throws IOException {
        Files.createDirectories(ROOT.resolve("team-a"));
        Files.createDirectories(ROOT.resolve("public"));
        Files.createDirectories(ROOT.resolve("other"));
        reg = SharedRegistries.get().anonymous().hostPort();
        TestImages.Image image = new TestImages(1212).ociImage(1, 64 * 1024, "linux", "amd64", null);
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push("team-a/paths", "v1", image);
        digest = image.digest();
    }

    private static Response copy(String token, String src, String dst) {
        return given().contentType("application/json").header("Authorization", "Bearer " + token).header("Prefer", "wait=60")
                .body(Map.of("source", src, "destination", dst, "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy");
    }

    private static Response inspect(String token, String image) {
        return given().contentType("application/json").header("Authorization", "Bearer " + token)
                .body(Map.of("image", image)).post("/api/v1/inspect");
    }

    @Test
    void shouldLetTeamAWriteItsFolderAndRefuseEveryOtherPlaceBeforeTouchingIt() throws IOException {
        Path ours = ROOT.resolve("team-a").resolve("layout-" + UUID.randomUUID());
        Response ok = copy(tina(), "docker://" + reg + "/team-a/paths:v1", "oci:" + ours + ":v1");
        assertEquals(200, ok.statusCode(), ok.asString());
        JsonNode job = JSON.readTree(ok.asByteArray());
        assertEquals("succeeded", job.path("state").asText(), ok.asString());
        assertEquals(digest, Skopeo.inspect("oci:" + ours + ":v1").path("Digest").asText());

        // a folder of the same root that no rule of team-a's names: refused, nothing created
        Path other = ROOT.resolve("other").resolve("layout-" + UUID.randomUUID());
        copy(tina(), "docker://" + reg + "/team-a/paths:v1", "oci:" + other + ":v1").then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:access-denied"))
                .body("detail", containsString("oci:" + other))
                .body("detail", containsString("destination"));
        assertFalse(Files.exists(other));

        // a symlink inside team-a's folder that points at another folder: the resolved path is what the rule sees
        Path link = ROOT.resolve("team-a").resolve("link-" + UUID.randomUUID());
        Files.createSymbolicLink(link, ROOT.resolve("other"));
        String behind = "escape-" + UUID.randomUUID();
        copy(tina(), "docker://" + reg + "/team-a/paths:v1", "dir:" + link.resolve(behind)).then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:access-denied"))
                .body("detail", not(containsString(ROOT.resolve("other").toString())));
        assertFalse(Files.exists(ROOT.resolve("other").resolve(behind)));

        // reading it back: team-a may; an operator of no team may not (the readers' paths are ROOT/public/* only)
        inspect(tina(), "oci:" + ours + ":v1").then().statusCode(200).body("Digest", equalTo(digest));
        inspect(SecuredProfile.token("oscar", "ferry-operator"), "oci:" + ours + ":v1").then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:access-denied"));
    }

    @Test
    void shouldNotLetARepositoryRuleOrAReadRuleGrantAPathWrite() {
        // admins' rule grants every repository ("*"), but names no path
        Path p = ROOT.resolve("team-a").resolve("admin-" + UUID.randomUUID());
        copy(SecuredProfile.token("ada", "ferry-admin"), "docker://" + reg + "/team-a/paths:v1", "oci:" + p + ":v1")
                .then().statusCode(403).body("type", equalTo("urn:ferry:problem:access-denied"));
        assertFalse(Files.exists(p));
        // operators may read ROOT/public/*, not write it
        Path pub = ROOT.resolve("public").resolve("w-" + UUID.randomUUID());
        copy(SecuredProfile.token("oscar", "ferry-operator"), "docker://" + reg + "/public/none:v1", "oci:" + pub + ":v1")
                .then().statusCode(403).body("type", equalTo("urn:ferry:problem:access-denied"));
        assertFalse(Files.exists(pub));
    }

    @Test
    void shouldApplyPathRulesToTheDaemonBeforeAnyConnection() {
        // no daemon is configured in this profile: a granted name gets past the policy to the daemon's own refusal,
        // one that no rule grants is refused by the policy first
        Response granted = copy(tina(), "docker://" + reg + "/team-a/paths:v1", "docker-daemon:team-a/app:v1");
        assertTrue(granted.statusCode() >= 400 && granted.statusCode() < 500, granted.asString());
        assertFalse(granted.asString().contains("access-denied"), granted.asString());
        copy(tina(), "docker://" + reg + "/team-a/paths:v1", "docker-daemon:other/app:v1").then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:access-denied"))
                .body("detail", containsString("docker-daemon:other/app:v1"));
    }
}
