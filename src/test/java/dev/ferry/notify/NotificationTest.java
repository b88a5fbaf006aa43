package dev.ferry.notify;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.TestImages;
import dev.ferry.webhook.DeliverySignature;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Outbound notifications against a receiver in this test (JDK HttpServer on loopback) and jobs between real
 * registries: the CloudEvents document and its HMAC, failures-only targets, retries shown in the delivery log, and
 * URLs the outbound rules refuse.
 */
@QuarkusTest
@TestProfile(NotificationTest.Profile.class)
class NotificationTest {
    static final String SECRET = "notify-secret-3f9a1c";
    static final String POLICY_SECRET = "policy-secret-77d2e0";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The receiver's port, chosen once (kept in a system property: the profile may load in more than one class loader);
     * the receiver itself starts in this class's loader before the first test.
     */
    static int port() {
        synchronized (System.class) {
            if (System.getProperty("notificationtest.port") == null) {
                try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
                    System.setProperty("notificationtest.port", String.valueOf(s.getLocalPort()));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return Integer.getInteger("notificationtest.port");
        }
    }

    private static NotificationReceiver receiver;

    @org.junit.jupiter.api.BeforeAll
    static void startReceiver() {
        receiver = new NotificationReceiver(port());
    }

    @org.junit.jupiter.api.AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String base = "http://127.0.0.1:" + port();
            Map<String, String> c = new HashMap<>();
            c.put("ferry.notifications.targets.all.url", base + "/all");
            c.put("ferry.notifications.targets.all.secret", SECRET);
            c.put("ferry.notifications.targets.failures.url", base + "/failures?token=abc");
            c.put("ferry.notifications.targets.failures.on", "failures");
            c.put("ferry.notifications.retry-delay", "100ms");
            c.put("ferry.notifications.max-retry-delay", "300ms");
            c.put("ferry.notifications.max-attempts", "4");
            c.put("ferry.notifications.poll-interval", "100ms");
            c.put("ferry.registry-policy.deny", "forbidden.example.com,169.254.*");
            return c;
        }
    }

    @Inject
    Notifier notifier;
    @Inject
    NotificationUrls urls;

    private static NotificationReceiver rx() {
        return receiver;
    }

    private static String copy(String source, String destination) {
        Response r = given().contentType("application/json").header("Prefer", "wait=60")
                .body(Map.of("source", source, "destination", destination, "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy");
        assertEquals(200, r.statusCode(), r.asString());
        return r.jsonPath().getString("id");
    }

    private static <T> T await(Supplier<T> probe, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            T v = probe.get();
            if (v != null) {
                return v;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    private static JsonNode deliveriesOf(String jobId) throws Exception {
        Response r = given().queryParam("jobId", jobId).get("/api/v1/notifications/deliveries");
        assertEquals(200, r.statusCode(), r.asString());
        return JSON.readTree(r.asString()).get("items");
    }

    @Test
    void shouldPostASignedCloudEventWhenACopySucceedsAndTellFailureTargetsNothing() throws Exception {
        RegistryProcess registry = SharedRegistries.get().anonymous();
        TestImages.Image image = new TestImages(901).ociImage(1, 1024);
        new RegistryPusher(registry.baseUrl()).push("notify/app", "v1", image);
        String job = copy(registry.hostPort() + "/notify/app:v1", registry.hostPort() + "/notify/copy:v1");

        NotificationReceiver.Received got = await(() -> rx().at("/all").stream()
                .filter(r -> new String(r.body(), StandardCharsets.UTF_8).contains(job)).findFirst().orElse(null), "the notification");
        assertEquals("application/cloudevents+json; charset=utf-8", got.header("Content-Type"));
        assertEquals("sha256=" + DeliverySignature.Hmac.sign(SECRET.getBytes(StandardCharsets.UTF_8), got.body()),
                got.header("X-Ferry-Signature-256"), "HMAC-SHA256 of the exact body");
        assertEquals(DeliverySignature.Outcome.VALID, new DeliverySignature.Hmac(SECRET.getBytes(StandardCharsets.UTF_8))
                .check(got.header("X-Ferry-Signature-256"), null, got.body()));
        JsonNode ce = JSON.readTree(got.body());
        assertEquals("1.0", ce.get("specversion").asText());
        assertEquals("dev.ferry.job.succeeded", ce.get("type").asText());
        assertEquals(job, ce.get("id").asText());
        assertEquals("urn:ferry", ce.get("source").asText());
        assertNotNull(Instant.parse(ce.get("time").asText()));
        assertEquals(job, ce.at("/data/jobId").asText());
        assertEquals("copy", ce.at("/data/jobType").asText());
        assertEquals("succeeded", ce.at("/data/state").asText());
        assertEquals(image.digest(), ce.at("/data/result/digest").asText());

        JsonNode log = await(() -> {
            try {
                JsonNode items = deliveriesOf(job);
                return items.size() == 1 && "delivered".equals(items.get(0).get("state").asText()) ? items : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "the delivery log");
        JsonNode d = log.get(0);
        assertEquals("config:all", d.get("target").asText());
        assertTrue(d.get("signed").asBoolean());
        assertEquals(1, d.get("attempts").asInt());
        assertEquals(204, d.at("/attemptLog/0/status").asInt());
        assertFalse(d.toString().contains(SECRET), "no secret in the log");
        assertTrue(rx().at("/failures").stream().noneMatch(r -> new String(r.body(), StandardCharsets.UTF_8).contains(job)),
                "a failures-only target hears nothing of a success");
    }

    @Test
    void shouldTellFailureTargetsOfAFailedJobWithTheProblem() throws Exception {
        RegistryProcess registry = SharedRegistries.get().anonymous();
        Response r = given().contentType("application/json").header("Prefer", "wait=60")
                .body(Map.of("source", registry.hostPort() + "/notify/missing:v1", "destination", registry.hostPort() + "/notify/x:v1",
                        "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy");
        assertEquals("failed", r.jsonPath().getString("state"), r.asString());
        String job = r.jsonPath().getString("id");
        NotificationReceiver.Received got = await(() -> rx().at("/failures").stream()
                .filter(x -> new String(x.body(), StandardCharsets.UTF_8).contains(job)).findFirst().orElse(null), "the failure notice");
        JsonNode ce = JSON.readTree(got.body());
        assertEquals("dev.ferry.job.failed", ce.get("type").asText());
        assertEquals("urn:ferry:problem:image-not-found", ce.at("/data/error/type").asText());
        assertNull(got.header("X-Ferry-Signature-256"), "a target without a secret is not signed");
        JsonNode log = await(() -> {
            try {
                JsonNode items = deliveriesOf(job);
                return items.size() == 2 ? items : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "two deliveries");
        assertTrue(log.toString().contains("/failures?…"), "the URL's query (which may hold a token) is elided: " + log);
        assertFalse(log.toString().contains("token=abc"));
    }

    @Test
    void shouldRetryAReceiverThatFailsTwiceAndShowTheAttemptsInTheLog() throws Exception {
        rx().failFirst("/flaky", 2);
        RegistryProcess registry = SharedRegistries.get().anonymous();
        TestImages.Image image = new TestImages(902).ociImage(1, 1024);
        new RegistryPusher(registry.baseUrl()).push("notify/flaky", "v1", image);
        String job = copy(registry.hostPort() + "/notify/flaky:v1", registry.hostPort() + "/notify/flaky-copy:v1");
        // what a policy run does: its own target (with its own secret) on top of the global ones
        notifier.runEnded(new RunEnded(job, "copy", "nightly", "succeeded", true, JSON.createObjectNode(), Instant.now()),
                List.of(new NotificationTarget(rx().url("/flaky"), NotificationTarget.When.ALL, Optional.of(POLICY_SECRET))));

        JsonNode flaky = await(() -> {
            try {
                for (JsonNode d : deliveriesOf(job)) {
                    if (d.get("url").asText().endsWith("/flaky") && "delivered".equals(d.get("state").asText())) {
                        return d;
                    }
                }
                return null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "the flaky receiver's delivery");
        assertEquals(3, flaky.get("attempts").asInt(), flaky.toString());
        assertEquals(503, flaky.at("/attemptLog/0/status").asInt());
        assertEquals("HTTP 503", flaky.at("/attemptLog/0/error").asText());
        assertEquals(503, flaky.at("/attemptLog/1/status").asInt());
        assertEquals(204, flaky.at("/attemptLog/2/status").asInt());
        assertEquals("policy:nightly", flaky.get("target").asText());
        List<NotificationReceiver.Received> seen = rx().at("/flaky");
        assertEquals(3, seen.size());
        for (NotificationReceiver.Received s : seen) {
            assertEquals("sha256=" + DeliverySignature.Hmac.sign(POLICY_SECRET.getBytes(StandardCharsets.UTF_8), s.body()),
                    s.header("X-Ferry-Signature-256"), "every attempt signed with the policy target's secret");
            assertEquals(new String(seen.get(0).body(), StandardCharsets.UTF_8), new String(s.body(), StandardCharsets.UTF_8),
                    "every attempt sends the same bytes");
        }
        assertEquals("nightly", JSON.readTree(seen.get(0).body()).get("ferrypolicy").asText());

        // the same end reported again (a second call for the same run) starts no second delivery
        notifier.runEnded(new RunEnded(job, "copy", "nightly", "succeeded", true, JSON.createObjectNode(), Instant.now()),
                List.of(new NotificationTarget(rx().url("/flaky"), NotificationTarget.When.ALL, Optional.empty())));
        Thread.sleep(500);
        assertEquals(3, rx().at("/flaky").size());
        assertEquals(2, deliveriesOf(job).size(), "one per target: the global one and the policy's");
    }

    @Test
    void shouldRefuseURLsTheOutboundRulesForbidWithAClearProblem() {
        FerryException denied = assertThrows(FerryException.class, () -> urls.check("https://forbidden.example.com/hook"));
        assertEquals(ProblemType.NOTIFICATION_URL_NOT_ALLOWED, denied.type());
        assertTrue(denied.getMessage().contains("forbidden.example.com"), denied.getMessage());
        FerryException metadata = assertThrows(FerryException.class, () -> urls.check("http://169.254.169.254/latest"));
        assertEquals(ProblemType.NOTIFICATION_URL_NOT_ALLOWED, metadata.type());
        for (String bad : List.of("ftp://example.com/x", "file:///etc/passwd", "https://user:pw@example.com/x", "not a url", "/relative")) {
            FerryException e = assertThrows(FerryException.class, () -> urls.check(bad), bad);
            assertEquals(ProblemType.INVALID_NOTIFICATION_URL, e.type(), bad);
            assertEquals(400, e.type().status());
            assertFalse(e.getMessage().contains("pw@"), "no credentials echoed");
        }
        assertEquals("https://receiver.example.com/x", urls.check("https://receiver.example.com/x").toString());
    }

    @Test
    void shouldRefuseABadQueryOfTheDeliveryLog() {
        given().queryParam("jobId", "../etc").get("/api/v1/notifications/deliveries").then().statusCode(400)
                .contentType("application/problem+json");
        given().queryParam("state", "lost").get("/api/v1/notifications/deliveries").then().statusCode(400);
        given().queryParam("limit", "100000").get("/api/v1/notifications/deliveries").then().statusCode(400);
    }
}
