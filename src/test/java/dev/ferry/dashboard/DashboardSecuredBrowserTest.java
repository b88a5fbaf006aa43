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
 * The dashboard in secured mode, in a real browser: no token → sign-in page; a pasted viewer token → no copy form,
 * no copy or delete links; an operator → the copy form; the token stays in its tab. Ferry's own checks stay the
 * authority (SecuredModeTest); this is what the page shows.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class DashboardSecuredBrowserTest {
    @TestHTTPResource("/")
    URL base;

    @Test
    void shouldShowOnlyWhatTheRoleAllows() throws Exception {
        given().get("/dashboard/config.json").then().statusCode(200)
                .body("mode", equalTo("secured")).body("roles.viewer", equalTo("ferry-viewer"));
        String url = base.toString().replaceAll("/$", "");
        BrowserRun.run("secured", Map.of(
                "FERRY_URL", url,
                "VIEWER_TOKEN", SecuredProfile.token("vera", "ferry-viewer"),
                "OPERATOR_TOKEN", SecuredProfile.token("otto", "ferry-operator")));
    }
}
