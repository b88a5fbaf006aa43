package dev.ferry.dashboard;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import dev.ferry.security.SecuredProfile;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URL;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in secured mode, in a real browser: sign-in by authorization code + PKCE against the provider's
 * endpoints (WireMock's OIDC stub: discovery, the authorization redirect); no token → sign-in page; a pasted viewer token → no copy form,
 * no copy or delete links, the Policies view without "Run now"; an operator → the copy form and "Run now"; the token stays in its tab. Ferry's own checks stay the
 * authority (SecuredModeTest); this is what the page shows.
 */
@QuarkusTest
@TestProfile(DashboardSecuredBrowserTest.WithSignIn.class)
class DashboardSecuredBrowserTest {
    /** Secured mode with a browser sign-in client (the provider is WireMock's OIDC stub). */
    public static class WithSignIn extends SecuredProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> all = new java.util.HashMap<>(super.getConfigOverrides());
            all.put("ferry.dashboard.oidc-client-id", "ferry-dashboard");
            return all;
        }
    }

    @TestHTTPResource("/")
    URL base;

    @Test
    void shouldShowOnlyWhatTheRoleAllows() throws Exception {
        given().get("/dashboard/config.json").then().statusCode(200)
                .body("mode", equalTo("secured")).body("roles.viewer", equalTo("ferry-viewer"))
                .body("clientId", equalTo("ferry-dashboard"));
        String url = base.toString().replaceAll("/$", "");
        // a stored policy for the Policies view (an admin stores it; viewers read it; operators may run it)
        String registry = dev.ferry.testing.SharedRegistries.get().anonymous().hostPort();
        given().auth().oauth2(SecuredProfile.token("ada", "ferry-admin")).contentType("application/json")
                .body(Map.of("name", "browser-mirror", "sync", Map.of("source", registry + "/public/app",
                        "destination", registry + "/team-a", "srcTlsVerify", false, "destTlsVerify", false),
                        "triggers", Map.of("interval", "1d")))
                .post("/api/v1/policies").then().statusCode(201);
        BrowserRun.run("secured", Map.of(
                "FERRY_URL", url,
                "POLICY_NAME", "browser-mirror",
                "VIEWER_TOKEN", SecuredProfile.token("vera", "ferry-viewer"),
                "OPERATOR_TOKEN", SecuredProfile.token("otto", "ferry-operator")));
    }
}
