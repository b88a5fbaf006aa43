package dev.ferry.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.FaultyProxy;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.PostgresCluster;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.SseClient;
import dev.ferry.testing.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A big blob survives its replica: pushed in chunks to a real distribution registry, the copy's replica is killed with
 * SIGKILL right after the registry acknowledged a chunk (the source stalls exactly there, so the kill point is the
 * test's, not the machine's speed); another replica takes the job over, asks the registry how far the session got,
 * and sends only the rest. The bytes that reach the registry are counted at a proxy in front of it.
 */
class ChunkedResumeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int CHUNK = 1024 * 1024;
    private static final int LAYER = 6 * CHUNK + 12345;
    /** Where the first run's source stalls: a chunk boundary. */
    private static final int STALL_AT = 3 * CHUNK;

    private static Map<String, String> env(PostgresCluster pg, String name) {
        return Map.ofEntries(Map.entry("FERRY_STORE", "postgresql"), Map.entry("FERRY_STORE_JDBC_URL", pg.jdbcUrl()),
                Map.entry("FERRY_STORE_USERNAME", pg.username()), Map.entry("FERRY_STORE_LEASE", "3s"),
                Map.entry("FERRY_STORE_HEARTBEAT", "1s"), Map.entry("FERRY_STORE_POLL_INTERVAL", "200ms"),
                Map.entry("FERRY_STORE_REPLICA_ID", name), Map.entry("FERRY_STORE_SHUTDOWN_GRACE", "1s"),
                Map.entry("FERRY_TRANSFER_CHUNKED_UPLOAD_MIN_SIZE", Integer.toString(2 * CHUNK)),
                Map.entry("FERRY_TRANSFER_UPLOAD_CHUNK_SIZE", Integer.toString(CHUNK)));
    }

    @Test
    void shouldContinueABigBlobFromTheLastAcknowledgedChunkAfterItsReplicaWasKilled() throws Exception {
        run(false);
    }

    @Test
    void shouldStartTheBlobOverWhenTheRecordedSessionIsGone() throws Exception {
        run(true);
    }

    private void run(boolean dropSession) throws Exception {
        TestImages.Image image = new TestImages(91).ociImage(1, LAYER);
        TestImages.Blob big = image.layers().get(0);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger bigGets = new java.util.concurrent.atomic.AtomicInteger();
        Path dir = Files.createTempDirectory("ferry-chunked");
        try (PostgresCluster pg = PostgresCluster.start();
             RegistryProcess registry = RegistryProcess.anonymous();
             FaultyProxy dest = new FaultyProxy(registry.hostPort(), 0, 0, 1);
             ScriptedPeer source = ScriptedPeer.start((ex, n) -> serve(ex, image, big, bigGets, release))) {
            FerryProcess a = FerryProcess.start(dir.resolve("a"), null, dir.resolve("a.log"), env(pg, "replica-a"));
            FerryProcess b = null;
            try {
                String to = dest.hostPort() + "/chunked/app:v1";
                String body = "{\"source\":\"" + source.hostPort() + "/chunked/app:v1\",\"destination\":\"" + to
                        + "\",\"srcTlsVerify\":false,\"destTlsVerify\":false}";
                HttpResponse<String> accepted = HTTP.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/api/v1/copy"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, accepted.statusCode(), accepted.body());
                String id = JSON.readTree(accepted.body()).get("id").asText();

                // the kill point: the third chunk acknowledged and its session recorded, the source stalled there
                String[] recorded = null;
                for (int i = 0; i < 600 && (recorded == null || Long.parseLong(recorded[1]) < STALL_AT); i++) {
                    Thread.sleep(50);
                    recorded = upload(pg, id);
                }
                assertTrue(recorded != null && Long.parseLong(recorded[1]) == STALL_AT,
                        "session recorded at the chunk boundary: " + (recorded == null ? null : recorded[1]) + "\n" + a.tail());
                long sentBeforeKill = dest.uploadBytes.get();
                long config = image.config().size();
                assertTrue(sentBeforeKill == STALL_AT || sentBeforeKill == STALL_AT + config,
                        "three chunks (and maybe the config) reached the registry: " + sentBeforeKill);
                a.kill();
                if (dropSession) {
                    HttpResponse<String> deleted = HTTP.send(HttpRequest.newBuilder(URI.create(recorded[0])).DELETE().build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(204, deleted.statusCode(), "the test cancels the session behind Ferry's back: " + deleted.body());
                }
                release.countDown();

                b = FerryProcess.start(dir.resolve("b"), null, dir.resolve("b.log"), env(pg, "replica-b"));
                JsonNode done = job(b, id);
                for (int i = 0; i < 400 && !done.get("state").asText().matches("succeeded|failed|cancelled"); i++) {
                    Thread.sleep(100);
                    done = job(b, id);
                }
                assertEquals("succeeded", done.get("state").asText(), done + "\n" + b.tail());
                assertEquals(image.digest(), done.at("/result/digest").asText());
                assertArrayEquals(image.manifest(), Skopeo.inspectRaw("docker://" + registry.hostPort() + "/chunked/app:v1"));
                assertEquals(big.digest(), sha256(registry.baseUrl() + "/v2/chunked/app/blobs/" + big.digest()),
                        "the blob the registry stores is the source's, byte for byte");

                long uploaded = dest.uploadBytes.get();
                long resent = uploaded - LAYER - config;
                List<SseClient.Event> events = SseClient.read(b.baseUrl() + "/api/v1/jobs/" + id + "/events", null,
                        Duration.ofSeconds(20)).events();
                JsonNode resumed = null;
                for (SseClient.Event e : events) {
                    JsonNode d = JSON.readTree(e.data());
                    if (e.event().equals("blob") && "resumed".equals(d.path("status").asText())) {
                        resumed = d;
                    }
                }
                assertTrue(resumed != null, "a resumed event: " + events);
                assertEquals(big.digest(), resumed.get("digest").asText());
                assertEquals(STALL_AT, resumed.get("recordedOffset").asLong());
                if (dropSession) {
                    assertTrue(resumed.get("sessionLost").asBoolean(), resumed.toString());
                    assertEquals(0, resumed.get("bytesKept").asLong());
                    assertEquals(STALL_AT, resent, "the whole blob sent again: what the first run sent is re-sent");
                } else {
                    assertFalse(resumed.get("sessionLost").asBoolean(), resumed.toString());
                    assertEquals(STALL_AT, resumed.get("bytesKept").asLong());
                    assertEquals(LAYER - STALL_AT, resumed.get("bytesToSend").asLong());
                    assertTrue(resent <= CHUNK, "at most one chunk re-sent per kill, re-sent " + resent);
                    assertEquals(0, resent, "killed at a chunk boundary: nothing re-sent");
                }
                assertEquals(2, bigGets.get(), "the big blob read once per run (the second run re-reads to verify the digest)");
                assertEquals(0, upload(pg, id) == null ? 0 : 1, "the session row goes with the committed blob");
                System.out.printf("chunked resume (%s): %d-byte blob in %d-byte chunks, killed after %d bytes; "
                                + "bytes uploaded in all %d, re-sent by the kill %d%n", dropSession ? "session gone" : "session kept",
                        LAYER, CHUNK, sentBeforeKill, uploaded - config, resent);
            } finally {
                release.countDown();
                a.kill();
                if (b != null) {
                    b.kill();
                }
            }
        }
    }

    /** location and offset of the job's recorded upload session, or null. */
    private static String[] upload(PostgresCluster pg, String id) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT location, upload_offset FROM upload_sessions WHERE job_id = '" + id + "'")) {
            return rs.next() ? new String[] {rs.getString(1), Long.toString(rs.getLong(2))} : null;
        } catch (java.sql.SQLException notYet) {
            return null; // the schema is being migrated
        }
    }

    private static String sha256(String url) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(r.body()));
    }

    private static JsonNode job(FerryProcess ferry, String id) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(ferry.baseUrl() + "/api/v1/jobs/" + id)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The source: the big blob's first GET stalls at {@link #STALL_AT} until released; every other answer is whole. */
    private static void serve(com.sun.net.httpserver.HttpExchange ex, TestImages.Image image, TestImages.Blob big,
                              java.util.concurrent.atomic.AtomicInteger bigGets, CountDownLatch release) throws java.io.IOException {
        String path = ex.getRequestURI().getPath();
        if (path.equals("/v2/")) {
            ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (path.endsWith("/manifests/v1")) {
            ScriptedPeer.send(ex, 200, image.mediaType(), image.manifest());
            return;
        }
        for (TestImages.Blob blob : image.blobs()) {
            if (!path.endsWith(blob.digest())) {
                continue;
            }
            if ("HEAD".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("Content-Length", Long.toString(blob.size()));
                ex.sendResponseHeaders(200, -1);
                return;
            }
            if (blob != big) {
                ScriptedPeer.send(ex, 200, "application/octet-stream", blob.bytes());
                return;
            }
            boolean first = bigGets.incrementAndGet() == 1;
            ex.sendResponseHeaders(200, blob.bytes().length);
            try (var out = ex.getResponseBody()) {
                out.write(blob.bytes(), 0, STALL_AT);
                out.flush();
                if (first) {
                    release.await(120, TimeUnit.SECONDS);
                }
                out.write(blob.bytes(), STALL_AT, blob.bytes().length - STALL_AT);
            } catch (Exception gone) {
                // the replica reading it was killed
            }
            return;
        }
        ScriptedPeer.send(ex, 404, null, new byte[0]);
    }
}
