package dev.ferry.api;

import static dev.ferry.api.InspectTest.assertSameAsSkopeo;
import static dev.ferry.api.InspectTest.inspect;
import static dev.ferry.api.InspectTest.json;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Inspect and list-tags against registries that need credentials: htpasswd basic auth and token auth. */
@QuarkusTest
class AuthenticatedRegistryTest {
    private static final TestImages IMAGES = new TestImages(7);
    private static SharedRegistries r;

    @BeforeAll
    static void pushFixtures() {
        r = SharedRegistries.get();
        TestImages.Image img = IMAGES.ociImage(2, 1024, "linux", "amd64", null);
        new RegistryPusher(r.htpasswd().baseUrl()).withBasic(r.user(), r.password()).push("auth/app", "v1", img);
        RegistryPusher tokenPusher = new RegistryPusher(r.token().baseUrl()).withBasic(r.user(), r.password());
        tokenPusher.push("token/app", "v1", img);
        tokenPusher.push("token/scoped", "v1", img);
        TestImages.Image tagged = IMAGES.ociImage(1, 256, "linux", "amd64", null);
        tokenPusher.push("token/many", "t000", tagged);
        for (int i = 1; i < 120; i++) {
            tokenPusher.tag("token/many", String.format("t%03d", i), tagged);
        }
    }

    @Test
    void shouldInspectWithBasicCredentialsLikeSkopeo() throws Exception {
        String ref = "docker://" + r.htpasswd().hostPort() + "/auth/app:v1";
        JsonNode ferry = json(inspect(Map.of("image", ref, "creds", r.creds())));
        assertSameAsSkopeo(Skopeo.inspect(ref, "--creds", r.creds()), ferry);
    }

    @Test
    void shouldInspectThroughATokenServerLikeSkopeo() throws Exception {
        String ref = "docker://" + r.token().hostPort() + "/token/app:v1";
        JsonNode ferry = json(inspect(Map.of("image", ref, "creds", r.creds())));
        assertSameAsSkopeo(Skopeo.inspect(ref, "--creds", r.creds()), ferry);
    }

    @Test
    void shouldAskTheTokenServerForTheNarrowestScopeAndCacheTokens() throws Exception {
        String ref = r.token().hostPort() + "/token/scoped:v1";
        r.tokenServer().resetCounters();
        json(inspect(Map.of("image", ref, "creds", r.creds(), "noTags", true)));
        int before = r.tokenServer().tokenRequests();
        assertTrue(before >= 1, "the first inspect fetched a token");
        for (int i = 0; i < 5; i++) {
            json(inspect(Map.of("image", ref, "creds", r.creds(), "noTags", true)));
        }
        assertEquals(before, r.tokenServer().tokenRequests(), "tokens are cached per registry, credentials and scope");
        assertEquals(List.of("repository:token/scoped:pull"), r.tokenServer().requestedScopes(),
                "inspect asks for pull on its repository only, once");
    }

    @Test
    void shouldReportRefusedCredentialsAsTheRegistrysRefusal() {
        for (String host : List.of(r.htpasswd().hostPort(), r.token().hostPort())) {
            inspect(Map.of("image", host + "/auth/app:v1", "creds", "ferry:wrong-password")).then()
                    .statusCode(401).contentType("application/problem+json")
                    .body("type", equalTo("urn:ferry:problem:registry-unauthorized"))
                    .body("detail", not(containsString("wrong-password")));
            inspect(Map.of("image", host + "/auth/app:v1")).then()
                    .statusCode(401).body("type", equalTo("urn:ferry:problem:registry-unauthorized"));
        }
    }

    @Test
    void shouldListAllPagesOfTagsLikeSkopeo() {
        String repo = "docker://" + r.token().hostPort() + "/token/many";
        JsonNode skopeo = Skopeo.listTags(repo, "--creds", r.creds());
        List<String> expected = new ArrayList<>();
        skopeo.get("Tags").forEach(t -> expected.add(t.asText()));
        assertEquals(120, expected.size());
        List<String> tags = given().contentType("application/json")
                .body(Map.of("repository", repo, "creds", r.creds(), "tlsVerify", false))
                .post("/api/v1/list-tags").then().statusCode(200)
                .body("Repository", equalTo(skopeo.get("Repository").asText()))
                .extract().jsonPath().getList("Tags", String.class);
        assertEquals(expected.stream().sorted().toList(), tags.stream().sorted().toList());
    }

    @Test
    void shouldRefuseATagInListTags() {
        given().contentType("application/json")
                .body(Map.of("repository", r.token().hostPort() + "/token/many:v1", "tlsVerify", false))
                .post("/api/v1/list-tags").then().statusCode(400)
                .body("type", equalTo("urn:ferry:problem:invalid-reference"))
                .body("errors[0].field", equalTo("repository"));
    }

    @Test
    void shouldAnswerListTagsOfAnUnknownRepositoryWith404() {
        given().contentType("application/json")
                .body(Map.of("repository", r.anonymous().hostPort() + "/nothing/here", "tlsVerify", false))
                .post("/api/v1/list-tags").then().statusCode(404)
                .body("type", equalTo("urn:ferry:problem:repository-not-found"));
    }
}
