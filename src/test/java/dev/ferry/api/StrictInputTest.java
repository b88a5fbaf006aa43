package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.ScriptedPeer;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One strict reader for every request body and the YAML sync form's query parameters (BAD-INPUT row 6 and the
 * body rules): nothing is coerced, duplicate keys and trailing tokens are refused, and a refused request reaches no
 * registry (a scripted peer stands in for the registry and records every request).
 */
@QuarkusTest
class StrictInputTest {
    private static ScriptedPeer registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = ScriptedPeer.start((ex, n) -> ScriptedPeer.send(ex, 404, null, new byte[0]));
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    private static String image() {
        return registry.hostPort() + "/strict/app:1";
    }

    private static ValidatableResponse post(String path, String contentType, byte[] body) {
        return given().contentType(contentType).body(body).post(path).then();
    }

    private static ValidatableResponse postJson(String path, String json) {
        return post(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static void refused(ValidatableResponse r, int status, String detailPart) {
        r.statusCode(status).contentType("application/problem+json")
                .body("status", equalTo(status))
                .body("detail", containsString(detailPart))
                .body("detail", not(containsString("Exception")))
                .body("detail", not(containsString("java.")));
        assertEquals(0, registry.seen().size(), "nothing was sent to the registry: " + registry.seen());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"image\":123}|image",
            "{\"image\":true}|image",
            "{\"image\":[\"a\"]}|image",
            "{\"image\":\"IMG\",\"tlsVerify\":0}|tlsVerify",
            "{\"image\":\"IMG\",\"tlsVerify\":\"False\"}|tlsVerify",
            "{\"image\":\"IMG\",\"tlsVerify\":\"true\"}|tlsVerify",
            "{\"image\":\"IMG\",\"retryTimes\":\"3\"}|retryTimes",
            "{\"image\":\"IMG\",\"retryTimes\":1.5}|retryTimes",
            "{\"image\":\"IMG\",\"retryTimes\":true}|retryTimes",
            "{\"image\":\"IMG\",\"isAdmin\":true}|isAdmin",
            "{\"image\":\"IMG\",\"image\":\"docker.io/library/other:1\"}|duplicate field \"image\"",
            "{\"image\":\"IMG\"} {\"image\":\"IMG\"}|more after its JSON value",
            "{\"image\":\"IMG\"}x|",
            "null|a JSON request body is required",
            "[]|must be a JSON object",
            "42|must be a JSON object",
            "\"IMG\"|must be a JSON object",
            "{\"image\":|not valid JSON",
    })
    void shouldRefuseACoercedOrMalformedInspectBody(String row) {
        String[] parts = row.split("\\|", 2);
        registry.seen().clear();
        refused(postJson("/api/v1/inspect", parts[0].replace("IMG", image())), 400, parts[1]);
    }

    @Test
    void shouldRefuseAnEmptyBody() {
        registry.seen().clear();
        refused(post("/api/v1/inspect", "application/json", new byte[0]), 400, "");
    }

    @Test
    void shouldRefuseTenThousandLevelsOfNesting() {
        registry.seen().clear();
        String deep = "{\"image\":\"" + image() + "\",\"creds\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
        refused(postJson("/api/v1/inspect", deep), 400, "");
        String deepObject = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
        refused(postJson("/api/v1/copy", deepObject), 400, "");
    }

    @Test
    void shouldRefuseInvalidUtf8() {
        registry.seen().clear();
        byte[] body = ("{\"image\":\"" + image() + "\u00ff\"}").getBytes(StandardCharsets.ISO_8859_1);
        refused(post("/api/v1/inspect", "application/json", body), 400, "");
    }

    @Test
    void shouldRefuseAWrongContentTypeWith415() {
        registry.seen().clear();
        refused(post("/api/v1/inspect", "text/plain", ("{\"image\":\"" + image() + "\"}").getBytes(StandardCharsets.UTF_8)),
                415, "Content-Type");
    }

    @Test
    void shouldApplyTheSameRulesToCopyDeleteAndSyncBodies() {
        registry.seen().clear();
        refused(postJson("/api/v1/copy", "{\"source\":\"" + image() + "\",\"destination\":\"" + image()
                + "\",\"srcTlsVerify\":\"false\"}"), 400, "srcTlsVerify");
        refused(postJson("/api/v1/delete", "{\"image\":\"" + image() + "\",\"force\":1}"), 400, "force");
        refused(postJson("/api/v1/sync", "{\"source\":\"" + image() + "\",\"destination\":\"" + registry.hostPort()
                + "/x\",\"parallelImages\":\"2\"}"), 400, "parallelImages");
        refused(postJson("/api/v1/copy", "{\"source\":\"" + image() + "\",\"source\":\"" + image() + "\"}"), 400, "duplicate field");
    }

    @Test
    void shouldRefusePort99999BeforeAnyCall() {
        registry.seen().clear();
        refused(postJson("/api/v1/inspect", "{\"image\":\"127.0.0.1:99999/strict/app:1\"}"), 400, "port must be between 1 and 65535");
        given().contentType("application/json").body("{\"image\":\"127.0.0.1:99999/strict/app:1\"}").post("/api/v1/inspect")
                .then().body("type", equalTo("urn:ferry:problem:invalid-reference"));
    }

    private static final String YAML = "REG:\n  tls-verify: false\n  images:\n    strict/app: ['1']\n";

    private static ValidatableResponse yamlSync(String query) {
        return given().contentType("application/yaml").body(YAML.replace("REG", registry.hostPort()).getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/sync?" + query).then();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "destination=D&destCreds=user:secret|destCreds",
            "destination=D&srcCreds=user:secret|srcCreds",
            "destination=D&bogus=1|bogus",
            "destination=D&destTlsVerify=False|destTlsVerify",
            "destination=D&destTlsVerify=0|destTlsVerify",
            "destination=D&dryRun=yes|dryRun",
            "destination=D&retryTimes=1.5|retryTimes",
            "destination=D&retryTimes=three|retryTimes",
            "destination=D&parallelImages=%222%22|parallelImages",
            "destination=D&destination=D|destination",
    })
    void shouldRefuseUnknownOrMistypedQueryParametersOnTheYamlForm(String row) {
        String[] parts = row.split("\\|", 2);
        registry.seen().clear();
        ValidatableResponse r = yamlSync(parts[0].replace("D", registry.hostPort() + "/mirror"));
        refused(r, 400, parts[1]);
        r.body("detail", not(containsString("secret")));
    }

    @Test
    void shouldSayWhyCredentialsAreNotTakenFromTheUrl() {
        registry.seen().clear();
        yamlSync("destination=" + registry.hostPort() + "/mirror&destCreds=user:secret").statusCode(400)
                .body("detail", containsString("credentials never go in a URL"));
    }

    @Test
    void shouldStillTakeWellTypedQueryParameters() {
        registry.seen().clear();
        // a dry run plans against the (scripted) registry: the options were read, the plan then fails on its 404s
        int status = yamlSync("destination=" + registry.hostPort() + "/mirror&dryRun=true&destTlsVerify=false&retryTimes=0")
                .extract().statusCode();
        assertTrue(status == 202 || status == 200, "accepted: " + status);
    }
}
