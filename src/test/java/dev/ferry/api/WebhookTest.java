package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
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
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.config.EncoderConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhook-triggered promotions between real registries: a real distribution registry notifies Ferry of a
 * push (bearer hook), and signed deliveries in each format Ferry reads (HMAC hook).
 */
@QuarkusTest
@TestProfile(WebhookTest.Profile.class)
class WebhookTest {
    static final String HMAC_SECRET = "hmac-secret-a81f2c9e7d";
    static final String BEARER_SECRET = "bearer-secret-5be04d13aa";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(4242);
    private static final RestAssuredConfig RAW = RestAssuredConfig.config()
            .encoderConfig(EncoderConfig.encoderConfig().appendDefaultContentCharsetToContentTypeIfUndefined(false));

    /**
     * Ferry's fixed test port and the registries of this profile. Kept in system properties: the profile may be
     * instantiated in more than one class loader, and only one set of registries must run (which is also why
     * these are not {@code SharedRegistries}: each class loader would start its own).
     */
    record Setup(int ferryPort, String notifying, String destination, String shared) {
        static synchronized Setup get() {
            if (System.getProperty("webhooktest.port") == null) {
                int port = freePort();
                RegistryProcess staging = RegistryProcess.anonymous();
                RegistryProcess destination = RegistryProcess.anonymous();
                RegistryProcess notifying = RegistryProcess.custom(true, "notifications:\n"
                        + "  endpoints:\n"
                        + "    - name: ferry\n"
                        + "      url: http://127.0.0.1:" + port + "/api/v1/hooks/registry-push\n"
                        + "      headers:\n"
                        + "        Authorization: [Bearer " + BEARER_SECRET + "]\n"
                        + "      timeout: 2s\n"
                        + "      threshold: 3\n"
                        + "      backoff: 1s\n");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    notifying.stop();
                    destination.stop();
                    staging.stop();
                }));
                System.setProperty("webhooktest.notifying", notifying.hostPort());
                System.setProperty("webhooktest.destination", destination.hostPort());
                System.setProperty("webhooktest.shared", staging.hostPort());
                System.setProperty("webhooktest.port", String.valueOf(port));
            }
            return new Setup(Integer.getInteger("webhooktest.port"), System.getProperty("webhooktest.notifying"),
                    System.getProperty("webhooktest.destination"), System.getProperty("webhooktest.shared"));
        }

        private static int freePort() {
            return dev.ferry.testing.ReservedPorts.belowEphemeralRange();
        }
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Setup s = Setup.get();
            Map<String, String> c = new HashMap<>();
            c.put("quarkus.http.test-port", String.valueOf(s.ferryPort()));
            c.put("ferry.hooks.signed.hmac-secret", HMAC_SECRET);
            c.put("ferry.hooks.signed.max-body-bytes", "65536");
            c.put("ferry.hooks.signed.rules[0].source", s.shared() + "/webhook/*");
            c.put("ferry.hooks.signed.rules[0].tag-regex", "v[0-9.]+");
            c.put("ferry.hooks.signed.rules[0].destination", s.destination() + "/promoted/{repository}:{tag}");
            c.put("ferry.hooks.signed.rules[0].src-tls-verify", "false");
            c.put("ferry.hooks.signed.rules[0].dest-tls-verify", "false");
            c.put("ferry.hooks.registry-push.bearer-secret", BEARER_SECRET);
            c.put("ferry.hooks.registry-push.rules[0].source", s.notifying() + "/team/*");
            c.put("ferry.hooks.registry-push.rules[0].destination", s.destination() + "/prod/{name}:{tag}");
            c.put("ferry.hooks.registry-push.rules[0].src-tls-verify", "false");
            c.put("ferry.hooks.registry-push.rules[0].dest-tls-verify", "false");
            return c;
        }
    }

    private static Setup setup;

    @BeforeAll
    static void registries() {
        setup = Setup.get();
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static Response deliver(String hook, byte[] body, String contentType, Map<String, String> headers) {
        return given().config(RAW).contentType(contentType).headers(headers).body(body).post("/api/v1/hooks/" + hook);
    }

    static Response signed(String hook, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return deliver(hook, b, "application/json",
                Map.of("X-Hub-Signature-256", "sha256=" + DeliverySignature.Hmac.sign(HMAC_SECRET.getBytes(StandardCharsets.UTF_8), b)));
    }

    /** Pushes a new image to the shared anonymous registry under webhook/REPO:TAG. */
    static TestImages.Image pushed(String repo, String tag) {
        TestImages.Image img = IMAGES.ociImage(2, 64 * 1024, "linux", "amd64", null);
        new RegistryPusher("http://" + setup.shared()).push("webhook/" + repo, tag, img);
        return img;
    }

    static String plainEvent(String id, String repo, String tag, String digest) throws IOException {
        Map<String, Object> e = new HashMap<>(Map.of("registry", setup.shared(), "repository", "webhook/" + repo, "tag", tag, "digest", digest));
        if (id != null) {
            e.put("id", id);
        }
        return JSON.writeValueAsString(e);
    }

    static String awaitJob(String id) throws InterruptedException {
        String state = "queued";
        for (int i = 0; i < 600 && !List.of("succeeded", "failed", "cancelled").contains(state); i++) {
            Thread.sleep(50);
            state = given().get("/api/v1/jobs/" + id).then().statusCode(200).extract().jsonPath().getString("state");
        }
        return state;
    }

    static long copyJobsTo(String destination) {
        return given().get("/api/v1/jobs?type=copy&limit=500").then().statusCode(200).extract().jsonPath()
                .getList("items.request.destination", String.class).stream().filter(destination::equals).count();
    }

    // ---- end to end ---------------------------------------------------------------------------------

    @Test
    void shouldPromoteAPushToANotifyingRegistryWithinSeconds() throws Exception {
        pushed("e2e", "v1");
        String pushedRef = setup.notifying() + "/team/app:v1.0";
        URI promoted = URI.create("http://" + setup.destination() + "/v2/prod/app/manifests/v1.0");
        HttpClient http = HttpClient.newHttpClient();
        long start = System.nanoTime();
        Skopeo.Result push = Skopeo.copy(setup.shared() + "/webhook/e2e:v1", pushedRef);
        long pushed = System.nanoTime();
        assertTrue(push.ok(), push.stderr());
        int status = 0;
        long visible = 0;
        while (System.nanoTime() - pushed < Duration.ofSeconds(15).toNanos()) {
            status = http.send(HttpRequest.newBuilder(promoted).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept", TestImages.OCI_MANIFEST + ", " + TestImages.OCI_INDEX).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status == 200) {
                visible = System.nanoTime();
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(200, status, "the promoted image never appeared; registry log:\n" + setupLogHint());
        System.out.printf("webhook promotion latency: %d ms after skopeo copy returned (%d ms after it started)%n",
                (visible - pushed) / 1_000_000, (visible - start) / 1_000_000);
        byte[] atSource = Skopeo.inspectRaw(pushedRef);
        byte[] atDestination = Skopeo.inspectRaw(setup.destination() + "/prod/app:v1.0");
        // skopeo may rewrite the manifest on its way in; what was pushed is what must arrive, byte for byte
        assertArrayEquals(atSource, atDestination);
        assertEquals(TestImages.sha256(atSource), TestImages.sha256(atDestination));
        assertTrue((visible - pushed) < Duration.ofSeconds(5).toNanos(), "goal: within 2 s on loopback");
    }

    private static String setupLogHint() {
        return "(see the notifying registry's log under the ferry-registry-* temp dir of " + setup.notifying() + ")";
    }

    // ---- signed deliveries --------------------------------------------------------------------------

    @Test
    void shouldStartACopyJobForASignedPlainEvent() throws Exception {
        TestImages.Image img = pushed("plain", "v1");
        Response r = signed("signed", plainEvent(UUID.randomUUID().toString(), "plain", "v1", img.digest()));
        assertEquals(202, r.statusCode(), r.asString());
        List<String> jobs = r.jsonPath().getList("jobs", String.class);
        assertEquals(1, jobs.size());
        assertEquals(0, r.jsonPath().getInt("ignored"));
        assertEquals("succeeded", awaitJob(jobs.get(0)));
        given().get("/api/v1/jobs/" + jobs.get(0)).then()
                .body("request.source", equalTo("docker://" + setup.shared() + "/webhook/plain@" + img.digest()))
                .body("request.destination", equalTo(setup.destination() + "/promoted/webhook/plain:v1"))
                .body("result.digest", equalTo(img.digest()));
        assertArrayEquals(img.manifest(), Skopeo.inspectRaw(setup.destination() + "/promoted/webhook/plain:v1"));
    }

    @Test
    void shouldPromoteTheValidEventsOfABatchAndReportTheMalformedOnes() throws Exception {
        TestImages.Image img = pushed("batch", "v1");
        String good = "{\"id\":\"" + UUID.randomUUID() + "\",\"action\":\"push\",\"target\":{\"mediaType\":\"" + TestImages.OCI_MANIFEST
                + "\",\"repository\":\"webhook/batch\",\"tag\":\"v1\",\"digest\":\"" + img.digest() + "\"},"
                + "\"request\":{\"host\":\"" + setup.shared() + "\"}}";
        String noDigest = "{\"action\":\"push\",\"target\":{\"mediaType\":\"" + TestImages.OCI_MANIFEST
                + "\",\"repository\":\"webhook/batch\",\"tag\":\"v2\"},\"request\":{\"host\":\"" + setup.shared() + "\"}}";
        String badRepo = "{\"action\":\"push\",\"target\":{\"mediaType\":\"" + TestImages.OCI_MANIFEST
                + "\",\"repository\":\"Webhook/UPPER\",\"tag\":\"v3\",\"digest\":\"" + img.digest() + "\"},"
                + "\"request\":{\"host\":\"" + setup.shared() + "\"}}";
        Response r = signed("signed", "{\"events\":[" + noDigest + "," + good + ",42," + badRepo + "]}");
        assertEquals(202, r.statusCode(), r.asString());
        List<String> jobs = r.jsonPath().getList("jobs", String.class);
        assertEquals(1, jobs.size(), r.asString());
        assertEquals(List.of("events[0]", "events[2]", "Webhook/UPPER:v3"),
                r.jsonPath().getList("rejected.event", String.class), r.asString());
        assertTrue(r.jsonPath().getString("rejected[0].reason").contains("digest"), r.asString());
        assertEquals("succeeded", awaitJob(jobs.get(0)));
        assertArrayEquals(img.manifest(), Skopeo.inspectRaw(setup.destination() + "/promoted/webhook/batch:v1"));
        // a delivery with nothing usable is still refused as a whole
        signed("signed", "{\"events\":[" + noDigest + "]}").then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("events[0]"));
    }

    @Test
    void shouldStartNoSecondJobForARedeliveredEvent() throws Exception {
        TestImages.Image img = pushed("replay", "v1");
        String event = plainEvent(UUID.randomUUID().toString(), "replay", "v1", img.digest());
        Response first = signed("signed", event);
        assertEquals(202, first.statusCode(), first.asString());
        Response again = signed("signed", event);
        assertEquals(200, again.statusCode(), again.asString());
        assertEquals(first.jsonPath().getList("jobs"), again.jsonPath().getList("jobs"));
        assertEquals(1, copyJobsTo(setup.destination() + "/promoted/webhook/replay:v1"));
    }

    /** BAD-INPUT row 28: deliveries out of order never put an older image back under a promoted tag. */
    @Test
    void shouldNotPromoteAPushOlderThanOneAlreadyPromoted() throws Exception {
        TestImages.Image older = pushed("order", "v1");
        TestImages.Image newer = pushed("order", "v1");
        Map<String, Object> newerEvent = new HashMap<>(Map.of("registry", setup.shared(), "repository", "webhook/order", "tag", "v1",
                "digest", newer.digest(), "id", UUID.randomUUID().toString(), "pushedAt", "2026-12-01T10:00:02.5Z"));
        Response first = signed("signed", JSON.writeValueAsString(newerEvent));
        assertEquals(202, first.statusCode(), first.asString());
        assertEquals("succeeded", awaitJob(first.jsonPath().getList("jobs", String.class).get(0)));

        // the older push's event arrives late, with an offset as distribution writes it
        Map<String, Object> olderEvent = new HashMap<>(newerEvent);
        olderEvent.put("digest", older.digest());
        olderEvent.put("id", UUID.randomUUID().toString());
        olderEvent.put("pushedAt", "2026-12-01T11:00:01.123456789+01:00");
        Response late = signed("signed", JSON.writeValueAsString(olderEvent));
        assertEquals(200, late.statusCode(), late.asString());
        assertEquals(List.of(), late.jsonPath().getList("jobs"), late.asString());
        assertEquals(1, late.jsonPath().getInt("ignored"), late.asString());
        assertArrayEquals(newer.manifest(), Skopeo.inspectRaw(setup.destination() + "/promoted/webhook/order:v1"));
        assertEquals(1, copyJobsTo(setup.destination() + "/promoted/webhook/order:v1"));

        // a still newer push is promoted as usual
        Map<String, Object> newest = new HashMap<>(olderEvent);
        newest.put("id", UUID.randomUUID().toString());
        newest.put("pushedAt", "2026-12-01T10:00:03Z");
        Response third = signed("signed", JSON.writeValueAsString(newest));
        assertEquals(202, third.statusCode(), third.asString());
        assertEquals("succeeded", awaitJob(third.jsonPath().getList("jobs", String.class).get(0)));
        assertArrayEquals(older.manifest(), Skopeo.inspectRaw(setup.destination() + "/promoted/webhook/order:v1"));

        Map<String, Object> bad = new HashMap<>(newest);
        bad.put("pushedAt", "yesterday");
        signed("signed", JSON.writeValueAsString(bad)).then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("pushedAt"));
    }

    @Test
    void shouldDeduplicateEventsWithoutAnIdByWhatWasPushed() throws Exception {
        TestImages.Image img = pushed("noid", "v1");
        String event = plainEvent(null, "noid", "v1", img.digest());
        Response first = signed("signed", event);
        assertEquals(202, first.statusCode(), first.asString());
        Response again = signed("signed", event);
        assertEquals(200, again.statusCode(), again.asString());
        assertEquals(first.jsonPath().getList("jobs"), again.jsonPath().getList("jobs"));
    }

    @Test
    void shouldRefuseABadSignature() throws Exception {
        byte[] body = plainEvent("bad-sig", "x", "v1", "sha256:" + "a".repeat(64)).getBytes(StandardCharsets.UTF_8);
        byte[] wrongKey = DeliverySignature.Hmac.sign("not-the-secret".getBytes(StandardCharsets.UTF_8), body).getBytes();
        deliver("signed", body, "application/json", Map.of("X-Hub-Signature-256", "sha256=" + new String(wrongKey)))
                .then().statusCode(401).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:hook-unauthorized"))
                .body("detail", equalTo("signature invalid"));
        // a signature of another body
        byte[] tampered = Arrays.copyOf(body, body.length);
        tampered[tampered.length - 2] ^= 1;
        deliver("signed", tampered, "application/json",
                Map.of("X-Hub-Signature-256", "sha256=" + DeliverySignature.Hmac.sign(HMAC_SECRET.getBytes(StandardCharsets.UTF_8), body)))
                .then().statusCode(401).body("detail", equalTo("signature invalid"));
        // the bearer hook with a wrong secret
        deliver("registry-push", body, "application/json", Map.of("Authorization", "Bearer " + HMAC_SECRET))
                .then().statusCode(401).body("detail", equalTo("signature invalid"));
    }

    @Test
    void shouldRefuseAMissingSignature() throws Exception {
        byte[] body = plainEvent("no-sig", "x", "v1", "sha256:" + "a".repeat(64)).getBytes(StandardCharsets.UTF_8);
        deliver("signed", body, "application/json", Map.of())
                .then().statusCode(401).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:hook-unauthorized"))
                .body("detail", equalTo("signature missing"));
        deliver("registry-push", body, "application/json", Map.of())
                .then().statusCode(401).body("detail", equalTo("signature missing"));
    }

    @Test
    void shouldRefuseAnOversizedBody() {
        String big = "{\"repository\":\"" + "a".repeat(100 * 1024) + "\"}";
        signed("signed", big).then().statusCode(413).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:payload-too-large"));
        // over Ferry's overall request limit (1 MiB): refused before it is read
        signed("signed", "{\"repository\":\"" + "a".repeat(2 * 1024 * 1024) + "\"}").then().statusCode(413)
                .contentType("application/problem+json");
    }

    @Test
    void shouldAnswer404ForAnUnknownHook() {
        signed("nope", "{}").then().statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:hook-not-found"));
    }

    @Test
    void shouldRefuseAMalformedBodyAfterVerifyingIt() {
        signed("signed", "{not json").then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:invalid-request"));
        signed("signed", "{\"repository\":\"webhook/x\",\"tag\":\"v1\"}").then().statusCode(400)
                .body("errors[0].field", equalTo("digest"));
        signed("signed", "{\"repository\":\"webhook/x\",\"tag\":\"v1\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"extra\":1}")
                .then().statusCode(400).body("errors[0].field", equalTo("extra"));
        // unsigned garbage is a 401, not a 400: nothing is parsed before the signature is checked
        deliver("signed", "{not json".getBytes(StandardCharsets.UTF_8), "application/json", Map.of()).then().statusCode(401);
    }

    @Test
    void shouldStartAJobForAHarborPushArtifactEvent() throws Exception {
        TestImages.Image img = pushed("harbor", "v2");
        String event = JSON.writeValueAsString(Map.of("type", "PUSH_ARTIFACT", "occur_at", 1717312443, "operator", "admin",
                "event_data", Map.of(
                        "resources", List.of(Map.of("digest", img.digest(), "tag", "v2",
                                "resource_url", setup.shared() + "/webhook/harbor:v2")),
                        "repository", Map.of("date_created", 1717312000, "name", "harbor", "namespace", "webhook",
                                "repo_full_name", "webhook/harbor", "repo_type", "private"))));
        Response r = signed("signed", event);
        assertEquals(202, r.statusCode(), r.asString());
        List<String> jobs = r.jsonPath().getList("jobs", String.class);
        assertEquals(1, jobs.size());
        assertEquals("succeeded", awaitJob(jobs.get(0)));
        assertArrayEquals(img.manifest(), Skopeo.inspectRaw(setup.destination() + "/promoted/webhook/harbor:v2"));
    }

    @Test
    void shouldIgnorePullsBlobsAndUnmatchedTagsInADistributionEnvelope() throws Exception {
        String envelope = JSON.writeValueAsString(Map.of("events", List.of(
                distributionEvent("pull", TestImages.OCI_MANIFEST, "webhook/app", "v1"),
                distributionEvent("push", "application/octet-stream", "webhook/app", null),
                distributionEvent("push", TestImages.OCI_MANIFEST, "webhook/app", "latest"),
                distributionEvent("push", TestImages.OCI_MANIFEST, "other/app", "v1"))));
        Response r = deliver("signed", envelope.getBytes(StandardCharsets.UTF_8),
                "application/vnd.docker.distribution.events.v1+json",
                Map.of("X-Hub-Signature-256", "sha256=" + DeliverySignature.Hmac.sign(HMAC_SECRET.getBytes(StandardCharsets.UTF_8),
                        envelope.getBytes(StandardCharsets.UTF_8))));
        assertEquals(200, r.statusCode(), r.asString());
        r.then().body("jobs", empty()).body("ignored", equalTo(4));
    }

    private static Map<String, Object> distributionEvent(String action, String mediaType, String repository, String tag) {
        Map<String, Object> target = new HashMap<>(Map.of("mediaType", mediaType, "size", 528, "length", 528,
                "digest", "sha256:" + "b".repeat(64), "repository", repository,
                "url", "http://" + setup.shared() + "/v2/" + repository + "/manifests/sha256:" + "b".repeat(64)));
        if (tag != null) {
            target.put("tag", tag);
        }
        return Map.of("id", UUID.randomUUID().toString(), "timestamp", "2025-06-02T09:14:03.120455Z", "action", action,
                "target", target,
                "request", Map.of("id", "r1", "addr", "127.0.0.1:50000", "host", setup.shared(), "method", "GET", "useragent", "skopeo"),
                "actor", Map.of(), "source", Map.of("addr", "ferry-test:5000", "instanceID", "x"));
    }

    // ---- listing ------------------------------------------------------------------------------------

    @Test
    void shouldListTheHooksWithoutTheirSecrets() {
        String body = given().get("/api/v1/hooks").then().statusCode(200)
                .body("hooks", hasSize(2))
                .body("hooks[0].name", equalTo("registry-push"))
                .body("hooks[0].verification", equalTo("bearer"))
                .body("hooks[1].name", equalTo("signed"))
                .body("hooks[1].verification", equalTo("hmac-sha256"))
                .body("hooks[1].maxBodyBytes", equalTo(65536))
                .body("hooks[1].rules[0].tagRegex", equalTo("v[0-9.]+"))
                .body("hooks[1].rules[0].destination", equalTo(setup.destination() + "/promoted/{repository}:{tag}"))
                .extract().asString();
        assertFalse(body.contains(HMAC_SECRET), body);
        assertFalse(body.contains(BEARER_SECRET), body);
    }
}
