package dev.ferry.metrics;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** After known jobs, /q/metrics moved by exactly what those jobs did. */
@QuarkusTest
class MetricsTest {
    private static final TestImages IMAGES = new TestImages(4242);
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static RegistryProcess dest;
    private static String src;
    private static TestImages.Image image;

    @BeforeAll
    static void fixtures() {
        src = SharedRegistries.get().anonymous().hostPort();
        dest = RegistryProcess.anonymous();
        image = IMAGES.ociImage(3, 64 * 1024, "linux", "amd64", null);
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push("metrics/app", "1", image);
    }

    @AfterAll
    static void stop() {
        dest.close();
    }

    @Test
    void shouldCountJobsBlobsBytesAndRegistryCalls() throws Exception {
        awaitIdle();
        String before = scrape();
        long blobBytes = image.blobs().stream().mapToLong(TestImages.Blob::size).sum();
        int blobs = image.blobs().size();

        copy(src + "/metrics/app:1", dest.hostPort() + "/m/first:1", "succeeded");   // every blob moves
        copy(src + "/metrics/app:1", dest.hostPort() + "/m/first:2", "succeeded");   // every blob is already there
        copy(src + "/metrics/app:1", dest.hostPort() + "/m/second:1", "succeeded");  // mounted from m/first
        copy(src + "/metrics/app:nope", dest.hostPort() + "/m/missing:1", "failed");
        given().contentType("application/json").body("{}").post("/api/v1/hooks/no-such-hook").then().statusCode(404);
        String after = scrape();

        assertEquals(3, delta(before, after, "ferry_jobs_total", Map.of("type", "copy", "state", "succeeded")));
        assertEquals(1, delta(before, after, "ferry_jobs_total", Map.of("type", "copy", "state", "failed")));
        assertEquals(blobs, delta(before, after, "ferry_blobs_total", Map.of("outcome", "copied")));
        assertEquals(blobs, delta(before, after, "ferry_blobs_total", Map.of("outcome", "exists")));
        assertEquals(blobs, delta(before, after, "ferry_blobs_total", Map.of("outcome", "mounted")));
        assertEquals(blobBytes, delta(before, after, "ferry_bytes_total", Map.of("outcome", "moved")));
        assertEquals(blobBytes, delta(before, after, "ferry_bytes_total", Map.of("outcome", "exists")));
        assertEquals(blobBytes, delta(before, after, "ferry_bytes_total", Map.of("outcome", "mounted")));
        assertEquals(1, delta(before, after, "ferry_webhook_deliveries_total", Map.of("hook", "unknown", "outcome", "hook-not-found")));

        // the source's blobs were read (first copy) besides the manifest reads; the failed copy's manifest GET was a 404
        assertTrue(delta(before, after, "ferry_registry_request_seconds_count",
                Map.of("registry", src, "method", "GET", "status", "200")) >= blobs + 3, "blob and manifest GETs at the source");
        assertTrue(delta(before, after, "ferry_registry_request_seconds_count", Map.of("registry", src, "method", "GET", "status", "404")) >= 1);
        assertTrue(delta(before, after, "ferry_registry_request_seconds_count", Map.of("registry", dest.hostPort(), "method", "PUT")) >= blobs + 3,
                "blob uploads and three manifest pushes");
        assertTrue(after.contains("ferry_registry_request_seconds_bucket{"), "a histogram");
        assertTrue(after.lines().filter(l -> l.startsWith("ferry_registry_request_seconds_count{"))
                .noneMatch(l -> l.contains("metrics/app") || l.contains("/m/")), "no repository in any label");
        assertEquals(0, value(after, "ferry_sse_subscribers", Map.of()));

        // the Grafana dashboard asks only for families Ferry exports (retries and 429s appear with the first one)
        String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("deploy", "grafana", "ferry-dashboard.json"));
        Matcher used = Pattern.compile("ferry_[a-z_]+").matcher(dashboard);
        java.util.Set<String> lazy = java.util.Set.of("ferry_registry_retries_total", "ferry_registry_throttled_total");
        int families = 0;
        while (used.find()) {
            String family = used.group();
            families++;
            assertTrue(lazy.contains(family) || after.contains("\n" + family + "{") || after.contains("\n" + family + " "),
                    "the dashboard uses " + family + ", which /q/metrics does not have");
        }
        assertTrue(families > 10);
    }

    @Test
    void shouldCountActiveJobsFromTheStore() throws Exception {
        awaitIdle();
        try (ScriptedPeer stalling = ScriptedPeer.start((ex, n) -> {
            if (!ex.getRequestURI().getPath().equals("/v2/")) {
                try {
                    Thread.sleep(6000); // the job stays running meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            ScriptedPeer.send(ex, ex.getRequestURI().getPath().equals("/v2/") ? 200 : 404, "application/json", "{}".getBytes());
        })) {
            String id = given().contentType("application/json")
                    .body(Map.of("source", stalling.hostPort() + "/stall/app:1", "destination", dest.hostPort() + "/m/stall:1",
                            "srcTlsVerify", false, "destTlsVerify", false))
                    .post("/api/v1/copy").then().statusCode(202).extract().path("id");
            double running = 0;
            for (int i = 0; i < 50 && running < 1; i++) {
                Thread.sleep(100);
                running = value(scrape(), "ferry_jobs_active", Map.of("state", "running"));
            }
            assertEquals(1, running, "the running job is counted");
            given().delete("/api/v1/jobs/" + id).then().statusCode(org.hamcrest.Matchers.oneOf(200, 202));
            awaitIdle();
        }
    }

    private static void copy(String from, String to, String state) {
        given().contentType("application/json").header("Prefer", "wait=60")
                .body(Map.of("source", from, "destination", to, "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy").then().statusCode(200).body("state", org.hamcrest.Matchers.equalTo(state));
    }

    private static void awaitIdle() throws InterruptedException {
        for (int i = 0; i < 150; i++) {
            if (given().get("/api/v1/jobs?state=running").jsonPath().getList("items").isEmpty()
                    && given().get("/api/v1/jobs?state=queued").jsonPath().getList("items").isEmpty()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("jobs of other tests are still active");
    }

    private static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static double delta(String before, String after, String name, Map<String, String> labels) {
        return value(after, name, labels) - value(before, name, labels);
    }

    /** The sum of the samples of {@code name} whose labels include {@code labels}. */
    static double value(String exposition, String name, Map<String, String> labels) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> have = new HashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    have.put(l.group(1), l.group(2));
                }
            }
            if (have.entrySet().containsAll(labels.entrySet())) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }
}
