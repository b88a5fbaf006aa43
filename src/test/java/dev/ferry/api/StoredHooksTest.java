package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import dev.ferry.webhook.DeliverySignature;
import dev.ferry.webhook.StoredHooks;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hooks as stored resources: created, read, replaced and deleted through {@code /api/v1/hooks}, secrets write-only and
 * encrypted at rest, a real registry's notifications promoting through a stored hook exactly as through a configured
 * one (dedupe included), and configured hooks shown read-only.
 */
@QuarkusTest
@TestProfile(StoredHooksTest.Profile.class)
class StoredHooksTest {
    static final String BEARER = "stored-bearer-9c41d7e2";
    static final String HMAC = "stored-hmac-51aa0f3b";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Ferry's port and the registries, once for all class loaders (system properties). */
    record Setup(int port, String notifying, String destination) {
        static synchronized Setup get() {
            if (System.getProperty("storedhookstest.port") == null) {
                int port = dev.ferry.testing.ReservedPorts.belowEphemeralRange();
                RegistryProcess destination = RegistryProcess.anonymous();
                RegistryProcess notifying = RegistryProcess.custom(true, "notifications:\n"
                        + "  endpoints:\n"
                        + "    - name: ferry\n"
                        + "      url: http://127.0.0.1:" + port + "/api/v1/hooks/stored-push\n"
                        + "      headers:\n"
                        + "        Authorization: [Bearer " + BEARER + "]\n"
                        + "      timeout: 2s\n"
                        + "      threshold: 3\n"
                        + "      backoff: 1s\n");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    notifying.stop();
                    destination.stop();
                }));
                System.setProperty("storedhookstest.notifying", notifying.hostPort());
                System.setProperty("storedhookstest.destination", destination.hostPort());
                System.setProperty("storedhookstest.port", String.valueOf(port));
            }
            return new Setup(Integer.getInteger("storedhookstest.port"), System.getProperty("storedhookstest.notifying"),
                    System.getProperty("storedhookstest.destination"));
        }
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Setup s = Setup.get();
            Map<String, String> c = new HashMap<>();
            c.put("quarkus.http.test-port", String.valueOf(s.port()));
            c.put("ferry.store.secret-key", Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII)));
            c.put("ferry.hooks.from-config.hmac-secret", "config-secret-0042");
            c.put("ferry.hooks.from-config.rules[0].source", "config.example.com/*");
            c.put("ferry.hooks.from-config.rules[0].destination", "mirror.example.com/{repository}:{tag}");
            return c;
        }
    }

    @Inject
    StoredHooks rows;

    private static Setup setup;

    @BeforeAll
    static void registries() {
        setup = Setup.get();
    }

    private static Map<String, Object> storedPush(String secretField, String secret) {
        Map<String, Object> rule = new HashMap<>();
        rule.put("source", setup.notifying() + "/team/*");
        rule.put("tagRegex", "v[0-9.]+");
        rule.put("destination", setup.destination() + "/prod/{name}:{tag}");
        rule.put("srcTlsVerify", false);
        rule.put("destTlsVerify", false);
        Map<String, Object> hook = new HashMap<>();
        hook.put("name", "stored-push");
        if (secretField != null) {
            hook.put(secretField, secret);
        }
        hook.put("rules", List.of(rule));
        return hook;
    }

    private static Response create(Object body) {
        return given().contentType("application/json").body(body).post("/api/v1/hooks");
    }

    private static Response deliverPlain(String hook, String repo, String tag, String digest, String id, Map<String, String> auth)
            throws IOException {
        byte[] body = JSON.writeValueAsBytes(Map.of("registry", setup.notifying(), "repository", repo, "tag", tag, "digest", digest,
                "id", id));
        if (auth == null) {
            auth = Map.of("X-Hub-Signature-256", "sha256=" + DeliverySignature.Hmac.sign(HMAC.getBytes(StandardCharsets.UTF_8), body));
        }
        return given().contentType("application/json").headers(auth).body(body).post("/api/v1/hooks/" + hook);
    }

    @Test
    void shouldManageAStoredHookThatARealRegistryPromotesThrough() throws Exception {
        given().delete("/api/v1/hooks/stored-push"); // a clean start if an earlier run left it
        Response created = create(storedPush("bearerSecret", BEARER));
        assertEquals(201, created.statusCode(), created.asString());
        assertTrue(created.header("Location").endsWith("/api/v1/hooks/stored-push"));
        assertEquals("api", created.jsonPath().getString("source"));
        assertEquals("bearer", created.jsonPath().getString("verification"));
        assertFalse(created.asString().contains(BEARER), "the secret is write-only");

        StoredHooks.Row row = rows.find("stored-push").orElseThrow();
        assertFalse(row.secretSealed().contains(BEARER) || row.definition().contains(BEARER), "encrypted at rest");
        assertFalse(new String(Base64.getMimeDecoder().decode(row.secretSealed().substring(row.secretSealed().indexOf(':') + 1)),
                StandardCharsets.ISO_8859_1).contains(BEARER));

        String list = given().get("/api/v1/hooks").then().statusCode(200).extract().asString();
        assertTrue(list.contains("\"name\":\"from-config\",\"source\":\"config\""), list);
        assertTrue(list.contains("\"name\":\"stored-push\",\"source\":\"api\""), list);
        assertFalse(list.contains(BEARER) || list.contains("config-secret-0042"));
        given().get("/api/v1/hooks/stored-push").then().statusCode(200);

        // the registry notifies Ferry of a push; the stored hook promotes it by digest
        TestImages.Image image = new TestImages(7373).ociImage(2, 32 * 1024);
        new RegistryPusher("http://" + setup.notifying()).push("team/app", "v2.1", image);
        URI promoted = URI.create("http://" + setup.destination() + "/v2/prod/app/manifests/v2.1");
        HttpClient http = HttpClient.newHttpClient();
        int status = 0;
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end && status != 200) {
            status = http.send(HttpRequest.newBuilder(promoted).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept", TestImages.OCI_MANIFEST).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            Thread.sleep(50);
        }
        assertEquals(200, status, "the push was promoted through the stored hook");
        assertArrayEquals(image.manifest(), Skopeo.inspectRaw(setup.destination() + "/prod/app:v2.1"));

        // the same event twice: one job (dedupe as for configured hooks)
        Map<String, String> bearer = Map.of("Authorization", "Bearer " + BEARER);
        Response first = deliverPlain("stored-push", "team/app", "v9", image.digest(), "evt-stored-1", bearer);
        assertEquals(202, first.statusCode(), first.asString());
        Response again = deliverPlain("stored-push", "team/app", "v9", image.digest(), "evt-stored-1", bearer);
        assertEquals(200, again.statusCode(), again.asString());
        assertEquals(first.jsonPath().getList("jobs"), again.jsonPath().getList("jobs"));
        deliverPlain("stored-push", "team/app", "v9", image.digest(), "evt-stored-2", Map.of("Authorization", "Bearer wrong"))
                .then().statusCode(401);

        // replace without a secret: rules change, the secret stays
        Map<String, Object> narrower = storedPush(null, null);
        ((Map<String, Object>) ((List<?>) narrower.get("rules")).get(0)).put("tagRegex", "release-.*");
        given().contentType("application/json").body(narrower).put("/api/v1/hooks/stored-push").then().statusCode(200);
        Response ignored = deliverPlain("stored-push", "team/app", "v10", image.digest(), "evt-stored-3", bearer);
        assertEquals(200, ignored.statusCode(), ignored.asString());
        assertEquals(1, ignored.jsonPath().getInt("ignored"), "the new rule applies at once");
        // replace with an HMAC secret: the verification changes
        Map<String, Object> signed = storedPush("hmacSecret", HMAC);
        Response replaced = given().contentType("application/json").body(signed).put("/api/v1/hooks/stored-push");
        assertEquals("hmac-sha256", replaced.jsonPath().getString("verification"), replaced.asString());
        deliverPlain("stored-push", "team/app", "v11", image.digest(), "evt-stored-4", bearer).then().statusCode(401);
        assertEquals(202, deliverPlain("stored-push", "team/app", "v11", image.digest(), "evt-stored-4", null).statusCode());

        given().delete("/api/v1/hooks/stored-push").then().statusCode(204);
        deliverPlain("stored-push", "team/app", "v12", image.digest(), "evt-stored-5", null).then().statusCode(404)
                .contentType("application/problem+json");
        given().get("/api/v1/hooks/stored-push").then().statusCode(404);
        given().delete("/api/v1/hooks/stored-push").then().statusCode(404);
    }

    @Test
    void shouldRefuseToChangeAConfiguredHook() {
        Map<String, Object> body = storedPush("hmacSecret", HMAC);
        body.put("name", "from-config");
        create(body).then().statusCode(409).body("type", org.hamcrest.Matchers.equalTo("urn:ferry:problem:hook-read-only"));
        given().contentType("application/json").body(body).put("/api/v1/hooks/from-config").then().statusCode(409)
                .body("type", org.hamcrest.Matchers.equalTo("urn:ferry:problem:hook-read-only"));
        given().delete("/api/v1/hooks/from-config").then().statusCode(409);
        given().get("/api/v1/hooks/from-config").then().statusCode(200).body("source", org.hamcrest.Matchers.equalTo("config"));
    }

    @Test
    void shouldRefuseMalformedHooksNamingTheField() {
        Map<String, Object> base = storedPush("hmacSecret", HMAC);
        base.put("name", "bad-input");
        Map<String, Object> noSecret = new HashMap<>(base);
        noSecret.remove("hmacSecret");
        Map<String, Object> twoSecrets = new HashMap<>(base);
        twoSecrets.put("bearerSecret", "x");
        Map<String, Object> badName = new HashMap<>(base);
        badName.put("name", "../etc");
        Map<String, Object> noRules = new HashMap<>(base);
        noRules.put("rules", List.of());
        Map<String, Object> badRegex = new HashMap<>(base);
        badRegex.put("rules", List.of(Map.of("source", "a.example.com/*", "tagRegex", "([", "destination", "b.example.com/{name}")));
        Map<String, Object> unknown = new HashMap<>(base);
        unknown.put("isAdmin", true);
        Map<String, Object> bodyCap = new HashMap<>(base);
        bodyCap.put("maxBodyBytes", 0);
        for (Map<String, Object> bad : List.of(noSecret, twoSecrets, badName, noRules, badRegex, unknown, bodyCap)) {
            Response r = create(bad);
            assertEquals(400, r.statusCode(), bad + " -> " + r.asString());
            assertEquals("application/problem+json", r.contentType().split(";")[0]);
            assertFalse(r.asString().contains(HMAC), "no secret echoed");
        }
        assertTrue(create(badRegex).jsonPath().getString("errors[0].field").equals("rules[0]"));
        given().contentType("application/json").body("null").post("/api/v1/hooks").then().statusCode(400);
        given().contentType("application/json").body("[]").post("/api/v1/hooks").then().statusCode(400);

        create(base).then().statusCode(201);
        create(base).then().statusCode(409).body("type", org.hamcrest.Matchers.equalTo("urn:ferry:problem:hook-exists"));
        Map<String, Object> renamed = new HashMap<>(base);
        renamed.put("name", "other");
        given().contentType("application/json").body(renamed).put("/api/v1/hooks/bad-input").then().statusCode(400);
        given().delete("/api/v1/hooks/bad-input").then().statusCode(204);
    }
}
