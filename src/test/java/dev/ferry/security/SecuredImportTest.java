package dev.ferry.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import dev.ferry.testing.SharedRegistries;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

/** Secured mode: POST /api/v1/import needs a token and the operator role, like a copy; refused before the body is read. */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class SecuredImportTest {
    private static final byte[] EMPTY_TAR = new byte[1024];

    private static io.restassured.response.Response post(String token) {
        return post(token, "public/imported:1");
    }

    private static io.restassured.response.Response post(String token, String repo) {
        var r = given().contentType("application/x-tar").body(EMPTY_TAR)
                .queryParam("destination", SharedRegistries.get().anonymous().hostPort() + "/" + repo)
                .queryParam("format", "oci-archive").queryParam("destTlsVerify", false);
        return (token == null ? r : r.header("Authorization", "Bearer " + token)).post("/api/v1/import");
    }

    @Test
    void shouldRefuseAnImportWithoutATokenOrWithTheViewerRole() {
        post(null).then().statusCode(401).body("type", equalTo("urn:ferry:problem:unauthenticated"));
        post(SecuredProfile.token("vera", "ferry-viewer")).then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:access-denied"));
    }

    @Test
    void shouldApplyTheRepositoryPolicyToTheDestinationAndLetAnAllowedOperatorImport() {
        // an operator without a write rule for the repository: refused by the policy, nothing read
        post(SecuredProfile.token("oscar", "ferry-operator")).then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:access-denied"));
        // team-a may write team-a/*: past every check, the (empty) archive itself is refused
        post(SecuredProfile.tokenWithGroups("tina", java.util.Set.of("team-a"), "ferry-operator"), "team-a/imported:1")
                .then().statusCode(400).body("type", equalTo("urn:ferry:problem:invalid-archive"));
    }
}
