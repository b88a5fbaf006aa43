package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.SseClient;
import dev.ferry.testing.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Copy jobs over HTTP, between real registries, watched over SSE and checked with skopeo. */
@QuarkusTest
class CopyJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(2024);
    private static String src;
    private static RegistryProcess dest;
    private static TestImages.Image image;
    private static TestImages.Image multi;

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void pushFixtures() {
        SharedRegistries r = SharedRegistries.get();
        src = r.anonymous().hostPort();
        dest = RegistryProcess.anonymous();
        RegistryPusher pusher = new RegistryPusher(r.anonymous().baseUrl());
        image = IMAGES.ociImage(4, 256 * 1024, "linux", "amd64", null);
        multi = IMAGES.multiPlatformOci();
        pusher.push("copyjob/app", "v1", image);
        pusher.push("copyjob/multi", "v1", multi);
    }

    @AfterAll
    static void stopDestination() {
        dest.close();
    }

    static Response submit(Map<String, Object> body, Map<String, String> headers) {
        Map<String, Object> b = new HashMap<>(body);
        b.putIfAbsent("srcTlsVerify", false);
        b.putIfAbsent("destTlsVerify", false);
        return given().contentType("application/json").headers(headers).body(b).post("/api/v1/copy");
    }

    static JsonNode finished(Map<String, Object> body) throws Exception {
        Response r = submit(body, Map.of("Prefer", "wait=60"));
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = JSON.readTree(r.asByteArray());
        assertEquals("succeeded", job.get("state").asText(), r.asString());
        return job;
    }

    /** A new image nobody has copied yet, so its blobs must stream (Ferry remembers where blobs landed). */
    static TestImages.Image freshImage(String repo) {
        TestImages.Image fresh = IMAGES.ociImage(4, 256 * 1024, "linux", "amd64", null);
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push(repo, "v1", fresh);
        return fresh;
    }

    @Test
    void shouldCopyAnImageThatSkopeoSeesAsIdentical() throws Exception {
        TestImages.Image image = freshImage("copyjob/identical");
        String to = "docker://" + dest.hostPort() + "/copied/app:v1";
        JsonNode job = finished(Map.of("source", "docker://" + src + "/copyjob/identical:v1", "destination", to));
        assertEquals(image.digest(), job.at("/result/digest").asText());
        assertArrayEquals(image.manifest(), Skopeo.inspectRaw(to));
        JsonNode inspected = Skopeo.inspect(to);
        assertEquals(image.digest(), inspected.get("Digest").asText());
        assertEquals(5, job.at("/progress/blobsTotal").asInt(), "config + 4 layers");
        assertEquals(job.at("/progress/bytesTotal").asLong(), job.at("/progress/bytesDone").asLong());
        assertNotNull(job.get("startedAt"));
        assertTrue(job.get("durationMs").asLong() >= 0);
        assertNotNull(job.get("finishedAt"));
    }

    @Test
    void shouldAcceptWith202AndALocationThenFinish() throws Exception {
        Response r = submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/async:v1"), Map.of());
        assertEquals(202, r.statusCode(), r.asString());
        String location = r.header("Location");
        assertTrue(location.matches(".*/api/v1/jobs/[0-9a-f-]{36}"), location);
        String id = r.jsonPath().getString("id");
        String state = "queued";
        for (int i = 0; i < 200 && !state.equals("succeeded") && !state.equals("failed"); i++) {
            Thread.sleep(50);
            state = given().get("/api/v1/jobs/" + id).then().statusCode(200).extract().jsonPath().getString("state");
        }
        assertEquals("succeeded", state);
        List<String> ids = given().get("/api/v1/jobs?state=succeeded&type=copy&limit=500").then().statusCode(200)
                .extract().jsonPath().getList("items.id", String.class);
        assertTrue(ids.contains(id));
    }

    @Test
    void shouldCopyEveryPlatformWithAll() throws Exception {
        String to = "docker://" + dest.hostPort() + "/copied/multi:all";
        JsonNode job = finished(Map.of("source", src + "/copyjob/multi:v1", "destination", to, "all", true));
        assertEquals(multi.digest(), job.at("/result/digest").asText());
        assertArrayEquals(multi.manifest(), Skopeo.inspectRaw(to));
        for (TestImages.Image child : multi.children()) {
            assertArrayEquals(child.manifest(), Skopeo.inspectRaw("docker://" + dest.hostPort() + "/copied/multi@" + child.digest()));
        }
    }

    @Test
    void shouldCopyOnePlatformLikeSkopeoWithoutAll() throws Exception {
        String to = "docker://" + dest.hostPort() + "/copied/multi:arm";
        JsonNode job = finished(Map.of("source", src + "/copyjob/multi:v1", "destination", to,
                "overrideArch", "arm", "overrideVariant", "v7"));
        TestImages.Image arm = multi.children().stream().filter(c -> "arm".equals(c.architecture())).findFirst().orElseThrow();
        assertEquals(arm.digest(), job.at("/result/digest").asText());
        assertArrayEquals(arm.manifest(), Skopeo.inspectRaw(to));
    }

    @Test
    void shouldReportEveryStepOverServerSentEventsAndReplayFromLastEventId() throws Exception {
        TestImages.Image image = freshImage("copyjob/sse");
        JsonNode job = finished(Map.of("source", src + "/copyjob/sse:v1", "destination", dest.hostPort() + "/copied/sse:v1"));
        String url = base.toString() + "api/v1/jobs/" + job.get("id").asText() + "/events";
        SseClient.Stream stream = SseClient.read(url, null, Duration.ofSeconds(20));
        assertEquals(200, stream.status());
        assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());
        List<SseClient.Event> events = stream.events();
        assertEquals("job", events.get(0).event(), "a job snapshot first");
        assertEquals("queued", JSON.readTree(events.get(0).data()).get("state").asText());
        SseClient.Event last = events.get(events.size() - 1);
        assertEquals("job", last.event());
        assertEquals("succeeded", JSON.readTree(last.data()).get("state").asText(), "the stream ends after the terminal event");
        long previous = 0;
        for (SseClient.Event e : events) {
            long id = Long.parseLong(e.id());
            assertTrue(id > previous, "ids increase");
            previous = id;
        }
        long started = events.stream().filter(e -> e.event().equals("blob") && e.data().contains("\"started\"")).count();
        long done = events.stream().filter(e -> e.event().equals("blob") && e.data().contains("\"done\"")).count();
        assertEquals(5, started);
        assertEquals(5, done);
        JsonNode manifest = JSON.readTree(events.stream().filter(e -> e.event().equals("manifest")).findFirst().orElseThrow().data());
        assertEquals(image.digest(), manifest.get("digest").asText());
        assertEquals("v1", manifest.get("reference").asText());
        assertTrue(events.stream().anyMatch(e -> e.event().equals("progress")));

        String middle = events.get(3).id();
        List<SseClient.Event> replay = SseClient.read(url, middle, Duration.ofSeconds(20)).events();
        assertEquals("job", replay.get(0).event(), "a snapshot first after Last-Event-ID too");
        assertEquals(events.subList(4, events.size()), replay.subList(1, replay.size()), "exactly the missed events");
    }

    @Test
    void shouldSendOnlyEventIdAndDataLinesAndNeverReplayPastTheEnd() throws Exception {
        JsonNode job = finished(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/framing:v1"));
        String url = base.toString() + "api/v1/jobs/" + job.get("id").asText() + "/events";
        java.net.http.HttpResponse<String> raw = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).header("Accept", "text/event-stream").build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        for (String line : raw.body().split("\n")) {
            assertTrue(line.isEmpty() || line.startsWith("event:") || line.startsWith("id:") || line.startsWith("data:"),
                    "an SSE line that is not event/id/data: " + line);
        }
        List<SseClient.Event> events = SseClient.read(url, null, Duration.ofSeconds(20)).events();
        String lastId = events.get(events.size() - 1).id();
        SseClient.Stream atEnd = SseClient.read(url, lastId, Duration.ofSeconds(20));
        assertEquals(204, atEnd.status(), "nothing after the terminal event: 204 tells an EventSource to stop");
        assertTrue(atEnd.events().isEmpty());
        SseClient.Stream past = SseClient.read(url, Long.toString(Long.parseLong(lastId) + 1000), Duration.ofSeconds(20));
        assertEquals(204, past.status(), "an id past the end yields no invented ids and no second final event");
        assertTrue(past.events().isEmpty());
    }

    @Test
    void shouldReportTheTotalOfTheJobList() throws Exception {
        finished(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/total:v1"));
        io.restassured.path.json.JsonPath all = given().get("/api/v1/jobs?limit=500").then().statusCode(200).extract().jsonPath();
        int total = all.getInt("total");
        assertTrue(total >= 1);
        assertEquals(Math.min(total, 500), all.getList("items").size());
        io.restassured.path.json.JsonPath one = given().get("/api/v1/jobs?limit=1").then().statusCode(200).extract().jsonPath();
        assertEquals(1, one.getList("items").size());
        assertTrue(one.getInt("total") >= total, "the total counts every job, not the page");
    }

    @Test
    void shouldMountBlobsWithinOneRegistryAndSayWhy() throws Exception {
        JsonNode job = finished(Map.of("source", src + "/copyjob/app:v1", "destination", src + "/copyjob/mounted:v1"));
        assertEquals(5, job.at("/progress/blobsMounted").asInt());
        assertEquals(0, job.at("/progress/bytesDone").asLong());
        assertEquals(5, job.at("/result/blobsMounted").asInt());
        SseClient.Stream stream = SseClient.read(base + "api/v1/jobs/" + job.get("id").asText() + "/events", null, Duration.ofSeconds(20));
        assertEquals(5, stream.events().stream().filter(e -> e.data().contains("\"reason\":\"mounted\"")).count());
    }

    @Test
    void shouldSkipBlobsTheDestinationHas() throws Exception {
        finished(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/twice:v1"));
        JsonNode again = finished(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/twice:v2"));
        assertEquals(5, again.at("/progress/blobsSkipped").asInt());
        assertEquals(0, again.at("/progress/bytesDone").asLong());
    }

    @Test
    void shouldMoveEachBlobOnceWhenConcurrentJobsShareIt() throws Exception {
        TestImages.Image image = freshImage("copyjob/shared");
        RegistryProcess fresh = RegistryProcess.anonymous();
        try (fresh) {
            List<String> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ids.add(submit(Map.of("source", src + "/copyjob/shared:v1", "destination", fresh.hostPort() + "/shared/app" + i + ":v1"),
                        Map.of()).then().statusCode(202).extract().jsonPath().getString("id"));
            }
            long bytesMoved = 0;
            int copied = 0;
            for (String id : ids) {
                JsonNode job = JSON.readTree(given().get("/api/v1/jobs/" + id).asByteArray());
                for (int i = 0; i < 400 && !job.get("state").asText().equals("succeeded") && !job.get("state").asText().equals("failed"); i++) {
                    Thread.sleep(50);
                    job = JSON.readTree(given().get("/api/v1/jobs/" + id).asByteArray());
                }
                assertEquals("succeeded", job.get("state").asText(), job.toString());
                bytesMoved += job.at("/progress/bytesDone").asLong();
                copied += job.at("/result/blobsCopied").asInt();
                assertArrayEquals(image.manifest(), Skopeo.inspectRaw("docker://" + fresh.hostPort() + "/shared/app" + ids.indexOf(id) + ":v1"));
            }
            long imageBytes = image.blobs().stream().mapToLong(TestImages.Blob::size).sum();
            assertEquals(5, copied, "each of the 5 blobs streamed by exactly one job");
            assertEquals(imageBytes, bytesMoved, "each byte moved once across the 5 jobs");
        }
    }

    @Test
    void shouldFinishANoOpCopyWithOneHeadAndNoPush() throws Exception {
        Map<String, Object> body = Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/noop:v1");
        finished(body);
        JsonNode again = finished(body);
        assertEquals(5, again.at("/progress/blobsSkipped").asInt());
        assertEquals(0, again.at("/progress/bytesDone").asLong());
        List<SseClient.Event> events = SseClient.read(base + "api/v1/jobs/" + again.get("id").asText() + "/events", null,
                Duration.ofSeconds(20)).events();
        assertEquals(0, events.stream().filter(e -> e.event().equals("manifest")).count(),
                "the destination tag already pointed at the digest: nothing pushed");
        assertEquals(5, events.stream().filter(e -> e.data().contains("\"reason\":\"exists\"")).count());
    }

    @Test
    void shouldReturnTheSameJobForTheSameIdempotencyKey() {
        String key = UUID.randomUUID().toString();
        Map<String, Object> body = Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/idem:v1");
        String first = submit(body, Map.of("Idempotency-Key", key)).then().extract().jsonPath().getString("id");
        String second = submit(body, Map.of("Idempotency-Key", key)).then().extract().jsonPath().getString("id");
        assertEquals(first, second);
        submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/other:v1"),
                Map.of("Idempotency-Key", key)).then().statusCode(422)
                .body("type", equalTo("urn:ferry:problem:idempotency-key-reused"));
    }

    @Test
    void shouldKeepCredentialsOutOfTheJobAndItsEvents() throws Exception {
        SharedRegistries r = SharedRegistries.get();
        JsonNode job = finished(Map.of("source", src + "/copyjob/app:v1", "destination", r.htpasswd().hostPort() + "/copied/secret:v1",
                "destCreds", r.creds()));
        String text = job.toString();
        assertFalse(text.contains(r.password()), text);
        assertEquals("destCreds", job.at("/request/redacted/0").asText());
        SseClient.Stream stream = SseClient.read(base + "api/v1/jobs/" + job.get("id").asText() + "/events", null, Duration.ofSeconds(20));
        stream.events().forEach(e -> assertFalse(e.data().contains(r.password())));
        assertArrayEquals(image.manifest(), Skopeo.inspectRaw("docker://" + r.htpasswd().hostPort() + "/copied/secret:v1", "--creds", r.creds()));
    }

    @Test
    void shouldRejectBadRequestsBeforeAcceptingAJob() {
        // no storage root is configured by default: the path transports are off
        submit(Map.of("source", "oci:/tmp/x", "destination", dest.hostPort() + "/a:b"), Map.of()).then()
                .statusCode(403).body("type", equalTo("urn:ferry:problem:storage-disabled"))
                .body("errors[0].field", equalTo("source"));
        submit(Map.of("source", "ostree:/tmp/x", "destination", dest.hostPort() + "/a:b"), Map.of()).then()
                .statusCode(400).body("type", equalTo("urn:ferry:problem:unsupported-transport"))
                .body("errors[0].field", equalTo("source"));
        submit(Map.of("source", "containers-storage:alpine", "destination", dest.hostPort() + "/a:b"), Map.of()).then()
                .statusCode(400).body("type", equalTo("urn:ferry:problem:unsupported-transport"))
                .body("detail", containsString("docker-daemon:"));
        submit(Map.of("source", src + "/copyjob/app:v1"), Map.of()).then()
                .statusCode(400).body("errors[0].field", equalTo("destination"));
        submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/a:b", "multiArch", "some"), Map.of()).then()
                .statusCode(400).body("errors[0].field", equalTo("multiArch"));
        submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/a:b", "all", true, "multiArch", "system"), Map.of()).then()
                .statusCode(400).body("errors[0].field", equalTo("all"));
        submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/a:b", "retryDelay", "soon"), Map.of()).then()
                .statusCode(400).body("errors[0].field", equalTo("retryDelay"));
        submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/a:b", "retryTimes", 99), Map.of()).then()
                .statusCode(400).body("errors[0].field", equalTo("retryTimes"));
        submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/a:b", "imageParallelCopies", 0), Map.of()).then()
                .statusCode(400).body("errors[0].field", equalTo("imageParallelCopies"));
        submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/a:b", "srcCred", "x"), Map.of()).then()
                .statusCode(400).body("errors[0].field", equalTo("srcCred"));
        submit(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/a:b"), Map.of("Idempotency-Key", "bad key")).then()
                .statusCode(400).contentType("application/problem+json");
    }

    @Test
    void shouldFailTheJobClearlyWhenTheSourceIsMissing() throws Exception {
        Response r = submit(Map.of("source", src + "/copyjob/app:nope", "destination", dest.hostPort() + "/copied/missing:v1"),
                Map.of("Prefer", "wait=30"));
        assertEquals(200, r.statusCode());
        r.then().body("state", equalTo("failed"))
                .body("error.type", equalTo("urn:ferry:problem:image-not-found"))
                .body("error.detail", containsString("copyjob/app"));
    }

    @Test
    void shouldAnswerUnknownJobsWith404AndCancelOfAFinishedJobWith409() throws Exception {
        given().get("/api/v1/jobs/" + UUID.randomUUID()).then().statusCode(404)
                .contentType("application/problem+json").body("type", equalTo("urn:ferry:problem:job-not-found"));
        given().get("/api/v1/jobs/not-a-job").then().statusCode(404);
        given().get("/api/v1/jobs/" + UUID.randomUUID() + "/events").then().statusCode(404)
                .contentType("application/problem+json");
        given().get("/api/v1/jobs?state=bogus").then().statusCode(400).body("errors[0].field", equalTo("state"));
        JsonNode job = finished(Map.of("source", src + "/copyjob/app:v1", "destination", dest.hostPort() + "/copied/done:v1"));
        given().delete("/api/v1/jobs/" + job.get("id").asText()).then().statusCode(409)
                .body("type", equalTo("urn:ferry:problem:job-finished"));
    }

    @Test
    void shouldCancelARunningCopyPromptlyAndPushNoManifest() throws Exception {
        TestImages.Image slow = IMAGES.ociImage(1, 4 * 1024 * 1024, "linux", "amd64", null);
        TestImages.Blob layer = slow.layers().get(0);
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/v2/")) {
                ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            } else if (path.endsWith("/manifests/v1")) {
                ScriptedPeer.send(ex, 200, slow.mediaType(), slow.manifest());
            } else if (path.endsWith(slow.config().digest())) {
                ScriptedPeer.send(ex, 200, "application/octet-stream", slow.config().bytes());
            } else if (path.endsWith(layer.digest())) {
                ex.sendResponseHeaders(200, layer.bytes().length);
                try (var out = ex.getResponseBody()) {
                    for (int off = 0; off < layer.bytes().length; off += 64 * 1024) {
                        out.write(layer.bytes(), off, Math.min(64 * 1024, layer.bytes().length - off));
                        out.flush();
                        Thread.sleep(100); // about 40 s for the whole layer
                    }
                } catch (Exception clientGone) {
                    // the copy was cancelled
                }
            } else {
                ScriptedPeer.send(ex, 404, null, new byte[0]);
            }
        })) {
            Response r = submit(Map.of("source", peer.hostPort() + "/slow/app:v1", "destination", dest.hostPort() + "/copied/cancelled:v1"), Map.of());
            String id = r.jsonPath().getString("id");
            long bytes = 0;
            for (int i = 0; i < 100 && bytes == 0; i++) {
                Thread.sleep(100);
                bytes = given().get("/api/v1/jobs/" + id).jsonPath().getLong("progress.bytesDone");
            }
            assertTrue(bytes > 0, "the layer is streaming");
            long t0 = System.nanoTime();
            given().delete("/api/v1/jobs/" + id).then().statusCode(200).body("state", equalTo("cancelled"));
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000, "cancelled promptly");
            Thread.sleep(300);
            assertEquals(404, new RegistryPusher(dest.baseUrl()).get("/v2/copied/cancelled/manifests/v1",
                    Map.of("Accept", TestImages.OCI_MANIFEST)).statusCode(), "no manifest left behind");
            assertFalse(new RegistryPusher(dest.baseUrl()).blobExists("copied/cancelled", layer.digest()));
        }
    }
}
