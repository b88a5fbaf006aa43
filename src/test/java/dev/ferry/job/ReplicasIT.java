package dev.ferry.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Several Ferry processes on one PostgreSQL: a job accepted by one replica and run by another is followed live
 * from a third; killing its owner with SIGKILL hands it to a survivor when the lease expires, which finishes it
 * (manifest pushed once); the events replay from any replica with Last-Event-ID; SIGTERM hands running jobs back.
 */
class ReplicasIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /**
     * Six heartbeats per lease: a live replica loses its lease only after missing five renewals in a row (a loaded
     * machine delays one, not five), so in these tests only a killed replica's lease runs out.
     */
    private static final Duration LEASE = Duration.ofSeconds(6);
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static final Duration POLL = Duration.ofMillis(200);
    /** How long anything that takes "a poll interval or a heartbeat" may take on a machine under any load. */
    private static final Duration PROMPTLY = HEARTBEAT.plus(POLL).multipliedBy(20);

    private static Map<String, String> env(PostgresCluster pg, String name) {
        return Map.of("FERRY_STORE", "postgresql", "FERRY_STORE_JDBC_URL", pg.jdbcUrl(), "FERRY_STORE_USERNAME", pg.username(),
                "FERRY_STORE_LEASE", LEASE.toSeconds() + "s", "FERRY_STORE_HEARTBEAT", HEARTBEAT.toSeconds() + "s",
                "FERRY_STORE_POLL_INTERVAL", POLL.toMillis() + "ms",
                "FERRY_STORE_REPLICA_ID", name, "FERRY_STORE_SHUTDOWN_GRACE", "1s");
    }

    @Test
    void shouldFinishAJobWhoseReplicaWasKilledAndLetAnyReplicaFollowIt() throws Exception {
        TestImages.Image image = new TestImages(9).ociImage(2, 1024 * 1024, "linux", "amd64", null);
        AtomicBoolean slow = new AtomicBoolean(true);
        Path dir = Files.createTempDirectory("ferry-replicas");
        try (PostgresCluster pg = PostgresCluster.start();
             RegistryProcess dest = RegistryProcess.anonymous();
             ScriptedPeer source = ScriptedPeer.start((ex, n) -> serve(ex, image, slow))) {
            FerryProcess a = FerryProcess.start(dir.resolve("a"), null, dir.resolve("a.log"), env(pg, "replica-a"));
            FerryProcess b = FerryProcess.start(dir.resolve("b"), null, dir.resolve("b.log"), env(pg, "replica-b"));
            FerryProcess c = null;
            try {
                String to = dest.hostPort() + "/replicas/app:v1";
                String body = "{\"source\":\"" + source.hostPort() + "/replicas/app:v1\",\"destination\":\"" + to
                        + "\",\"srcTlsVerify\":false,\"destTlsVerify\":false}";
                HttpResponse<String> accepted = HTTP.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/api/v1/copy"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, accepted.statusCode(), accepted.body());
                String id = JSON.readTree(accepted.body()).get("id").asText();

                JsonNode running = job(b, id);
                for (int i = 0; i < 200 && running.at("/progress/bytesDone").asLong() == 0; i++) {
                    Thread.sleep(50);
                    running = job(b, id);
                }
                assertTrue(running.at("/progress/bytesDone").asLong() > 0 || "running".equals(running.get("state").asText()), running.toString());
                String owner = running.get("owner").asText();
                assertTrue(owner.equals("replica-a") || owner.equals("replica-b"), "any replica reads who runs it: " + running);
                assertTrue(running.hasNonNull("leaseExpiresAt"), running.toString());
                FerryProcess victim = owner.equals("replica-a") ? a : b;
                FerryProcess survivor = victim == a ? b : a;

                // follow from the replica that does not run it, from the first event
                CompletableFuture<SseClient.Stream> followed = CompletableFuture.supplyAsync(() -> {
                    try {
                        return SseClient.read(survivor.baseUrl() + "/api/v1/jobs/" + id + "/events", null, Duration.ofSeconds(90));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(500);
                Instant killedAt = Instant.now();
                victim.kill();
                slow.set(false);

                JsonNode done = job(survivor, id);
                Instant giveUp = killedAt.plus(LEASE).plus(PROMPTLY).plus(Duration.ofSeconds(60));
                while (Instant.now().isBefore(giveUp) && !done.get("state").asText().matches("succeeded|failed|cancelled")) {
                    Thread.sleep(100);
                    done = job(survivor, id);
                }
                assertEquals("succeeded", done.get("state").asText(), done + "\n" + survivor.tail());
                assertEquals(image.digest(), done.at("/result/digest").asText());
                assertArrayEquals(image.manifest(), Skopeo.inspectRaw("docker://" + to));

                List<SseClient.Event> events = followed.get(60, TimeUnit.SECONDS).events();
                assertEquals("queued", JSON.readTree(events.get(0).data()).get("state").asText(), "from the first event");
                assertEquals("succeeded", JSON.readTree(events.get(events.size() - 1).data()).get("state").asText(), "to the last");
                long previous = 0;
                for (SseClient.Event e : events) {
                    assertEquals(previous + 1, Long.parseLong(e.id()), "no gap, no repeat: " + events);
                    previous = Long.parseLong(e.id());
                }
                assertEquals(1, events.stream().filter(e -> e.event().equals("manifest")).count(), "the manifest pushed once");

                // a replica started later replays from any id, with nothing missed
                c = FerryProcess.start(dir.resolve("c"), null, dir.resolve("c.log"), env(pg, "replica-c"));
                String middle = events.get(2).id();
                List<SseClient.Event> replay = SseClient.read(c.baseUrl() + "/api/v1/jobs/" + id + "/events", middle,
                        Duration.ofSeconds(20)).events();
                assertEquals(events.subList(3, events.size()), replay.subList(1, replay.size()));

                // What the killed replica did is exact: one run, ended by its lease running out. After it, a survivor may
                // legitimately lose a lease to the other survivor on a starved machine; whatever happened, the recorded
                // runs never overlap and exactly one finished the job.
                List<String[]> attempts = attempts(pg, id);
                String runs = attempts.stream().map(java.util.Arrays::toString).toList().toString();
                assertTrue(attempts.size() >= 2, "the killed run and the one that finished: " + runs);
                String killed = victim == a ? "replica-a" : "replica-b";
                assertEquals(killed, attempts.get(0)[0], "the first run was the killed replica's: " + runs);
                assertEquals("lease-expired", attempts.get(0)[3], runs);
                assertEquals(1L, attempts.stream().filter(r -> r[0].equals(killed)).count(), "the killed replica ran it once: " + runs);
                assertEquals("succeeded", attempts.get(attempts.size() - 1)[3], runs);
                assertEquals(1L, attempts.stream().filter(r -> "succeeded".equals(r[3])).count(), "exactly one run finished: " + runs);
                for (int i = 1; i < attempts.size(); i++) {
                    assertNotEquals(attempts.get(i - 1)[0], attempts.get(i)[0], "a takeover is by another replica: " + runs);
                    assertFalse(Instant.parse(attempts.get(i - 1)[2]).isAfter(Instant.parse(attempts.get(i)[1])), "never at once: " + runs);
                    if (i < attempts.size() - 1) {
                        assertEquals("lease-expired", attempts.get(i)[3], "a run in between ended only by losing its lease: " + runs);
                    }
                }
            } finally {
                a.kill();
                b.kill();
                if (c != null) {
                    c.kill();
                }
            }
        }
    }

    @Test
    void shouldCancelFromAnyReplicaPromptly() throws Exception {
        TestImages.Image image = new TestImages(12).ociImage(1, 1024 * 1024, "linux", "amd64", null);
        AtomicBoolean slow = new AtomicBoolean(true);
        Path dir = Files.createTempDirectory("ferry-replicas-cancel");
        try (PostgresCluster pg = PostgresCluster.start();
             RegistryProcess dest = RegistryProcess.anonymous();
             ScriptedPeer source = ScriptedPeer.start((ex, n) -> serve(ex, image, slow))) {
            FerryProcess a = FerryProcess.start(dir.resolve("a"), null, dir.resolve("a.log"), env(pg, "replica-a"));
            FerryProcess b = FerryProcess.start(dir.resolve("b"), null, dir.resolve("b.log"), env(pg, "replica-b"));
            try {
                String body = "{\"source\":\"" + source.hostPort() + "/cancel/app:v1\",\"destination\":\"" + dest.hostPort()
                        + "/cancel/app:v1\",\"srcTlsVerify\":false,\"destTlsVerify\":false}";
                HttpResponse<String> accepted = HTTP.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/api/v1/copy"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                String id = JSON.readTree(accepted.body()).get("id").asText();
                JsonNode running = job(a, id);
                for (int i = 0; i < 200 && running.at("/progress/bytesDone").asLong() == 0; i++) {
                    Thread.sleep(50);
                    running = job(a, id);
                }
                FerryProcess other = "replica-a".equals(running.get("owner").asText()) ? b : a;
                HttpResponse<String> cancel = HTTP.send(HttpRequest.newBuilder(URI.create(other.baseUrl() + "/api/v1/jobs/" + id))
                        .DELETE().build(), HttpResponse.BodyHandlers.ofString());
                // "at once" is proven by what the answer says, not by a wall-clock bound: the source is still stalled
                // (slow), so the job is still running when the request is answered, with the cancel only recorded
                assertEquals(202, cancel.statusCode(), cancel.body());
                assertEquals("running", JSON.readTree(cancel.body()).get("state").asText(), "answered before the owner stopped it");
                assertTrue(JSON.readTree(cancel.body()).get("cancelRequested").asBoolean(), cancel.body());
                // the owner sees the request at its next poll or heartbeat: well within PROMPTLY, far less than a takeover
                long t0 = System.nanoTime();
                JsonNode end = job(other, id);
                while (!end.get("state").asText().equals("cancelled") && System.nanoTime() - t0 < PROMPTLY.toNanos()) {
                    Thread.sleep(100);
                    end = job(other, id);
                }
                assertEquals("cancelled", end.get("state").asText(), "stopped by its owner within " + PROMPTLY + ": " + end);
                assertEquals(1, attempts(pg, id).size(), "by its owner, not by a takeover");
            } finally {
                slow.set(false);
                a.kill();
                b.kill();
            }
        }
    }

    @Test
    void shouldHandRunningJobsBackAtOnceOnSigterm() throws Exception {
        TestImages.Image image = new TestImages(10).ociImage(1, 1024 * 1024, "linux", "amd64", null);
        AtomicBoolean slow = new AtomicBoolean(true);
        Path dir = Files.createTempDirectory("ferry-replicas-term");
        try (PostgresCluster pg = PostgresCluster.start();
             RegistryProcess dest = RegistryProcess.anonymous();
             ScriptedPeer source = ScriptedPeer.start((ex, n) -> serve(ex, image, slow))) {
            Map<String, String> longLease = new java.util.HashMap<>(env(pg, "replica-a"));
            longLease.put("FERRY_STORE_LEASE", "120s");
            FerryProcess a = FerryProcess.start(dir.resolve("a"), null, dir.resolve("a.log"), longLease);
            FerryProcess b = null;
            try {
                String to = dest.hostPort() + "/term/app:v1";
                String body = "{\"source\":\"" + source.hostPort() + "/term/app:v1\",\"destination\":\"" + to
                        + "\",\"srcTlsVerify\":false,\"destTlsVerify\":false}";
                HttpResponse<String> accepted = HTTP.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/api/v1/copy"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                String id = JSON.readTree(accepted.body()).get("id").asText();
                for (int i = 0; i < 200 && job(a, id).at("/progress/bytesDone").asLong() == 0; i++) {
                    Thread.sleep(50);
                }
                a.terminate(Duration.ofSeconds(30));
                Map<String, String> other = new java.util.HashMap<>(env(pg, "replica-b"));
                other.put("FERRY_STORE_LEASE", "120s");
                b = FerryProcess.start(dir.resolve("b"), null, dir.resolve("b.log"), other);
                slow.set(false);
                JsonNode done = job(b, id);
                for (int i = 0; i < 300 && !done.get("state").asText().matches("succeeded|failed|cancelled"); i++) {
                    Thread.sleep(100);
                    done = job(b, id);
                }
                assertEquals("succeeded", done.get("state").asText(), "resumed without waiting for the 120 s lease: " + done);
                List<String[]> attempts = attempts(pg, id);
                assertEquals("handed-back", attempts.get(0)[3]);
                assertEquals("replica-b", attempts.get(attempts.size() - 1)[0]);
            } finally {
                a.kill();
                if (b != null) {
                    b.kill();
                }
            }
        }
    }

    @Test
    void shouldResumeAJobWithCredentialsOnAnotherReplicaThatHasTheKey() throws Exception {
        TestImages.Image image = new TestImages(11).ociImage(1, 1024 * 1024, "linux", "amd64", null);
        AtomicBoolean slow = new AtomicBoolean(true);
        Path dir = Files.createTempDirectory("ferry-replicas-creds");
        String key = java.util.Base64.getEncoder().encodeToString("k3y-for-tests-only-32-bytes-long".getBytes(StandardCharsets.UTF_8));
        try (PostgresCluster pg = PostgresCluster.start();
             RegistryProcess dest = RegistryProcess.htpasswd("mirror", "Pa55-w0rd-never-shown");
             ScriptedPeer source = ScriptedPeer.start((ex, n) -> serve(ex, image, slow))) {
            Map<String, String> ea = new java.util.HashMap<>(env(pg, "replica-a"));
            ea.put("FERRY_STORE_SECRET_KEY", key);
            Map<String, String> eb = new java.util.HashMap<>(env(pg, "replica-b"));
            eb.put("FERRY_STORE_SECRET_KEY", key);
            FerryProcess a = FerryProcess.start(dir.resolve("a"), null, dir.resolve("a.log"), ea);
            FerryProcess b = null;
            try {
                String to = dest.hostPort() + "/creds/app:v1";
                String body = "{\"source\":\"" + source.hostPort() + "/creds/app:v1\",\"destination\":\"" + to
                        + "\",\"srcTlsVerify\":false,\"destTlsVerify\":false,\"destCreds\":\"mirror:Pa55-w0rd-never-shown\"}";
                HttpResponse<String> accepted = HTTP.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/api/v1/copy"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, accepted.statusCode(), accepted.body());
                String id = JSON.readTree(accepted.body()).get("id").asText();
                for (int i = 0; i < 200 && job(a, id).at("/progress/bytesDone").asLong() == 0; i++) {
                    Thread.sleep(50);
                }
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), "");
                     Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT request, secrets FROM jobs WHERE id = '" + id + "'")) {
                    assertTrue(rs.next());
                    assertFalse(rs.getString(1).contains("Pa55"), "not in the stored request");
                    assertFalse(rs.getString(2).contains("Pa55"), "stored encrypted only");
                }
                a.kill();
                slow.set(false);
                b = FerryProcess.start(dir.resolve("b"), null, dir.resolve("b.log"), eb);
                JsonNode done = job(b, id);
                for (int i = 0; i < 300 && !done.get("state").asText().matches("succeeded|failed|cancelled"); i++) {
                    Thread.sleep(100);
                    done = job(b, id);
                }
                assertEquals("succeeded", done.get("state").asText(), "resumed with the decrypted credentials: " + done);
                assertEquals("[\"destCreds\"]", done.at("/request/redacted").toString(), "still shown redacted");
                String events = SseClient.read(b.baseUrl() + "/api/v1/jobs/" + id + "/events", null, Duration.ofSeconds(20)).events().toString();
                for (String text : List.of(done.toString(), events, Files.readString(dir.resolve("a.log")), Files.readString(dir.resolve("b.log")))) {
                    assertFalse(text.contains("Pa55-w0rd-never-shown"), "no secret in responses, events or logs");
                }
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), "");
                     Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT secrets FROM jobs WHERE id = '" + id + "'")) {
                    assertTrue(rs.next());
                    assertEquals(null, rs.getString(1), "dropped once the job has ended");
                }
            } finally {
                a.kill();
                if (b != null) {
                    b.kill();
                }
            }
        }
    }

    @Test
    void shouldBeNotReadyButAliveWhileTheStoreIsUnreachable() throws Exception {
        Path dir = Files.createTempDirectory("ferry-replicas-health");
        try (PostgresCluster pg = PostgresCluster.start()) {
            FerryProcess a = FerryProcess.start(dir.resolve("a"), null, dir.resolve("a.log"), env(pg, "replica-a"));
            try {
                assertEquals(200, status(a, "/q/health/ready"));
                pg.stopServer();
                int ready = 200;
                for (int i = 0; i < 100 && ready == 200; i++) {
                    Thread.sleep(100);
                    ready = status(a, "/q/health/ready");
                }
                assertEquals(503, ready, "not ready without its store");
                assertEquals(200, status(a, "/q/health/live"), "but alive: restarting it would not bring the database back");
                HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/api/v1/copy"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"source\":\"127.0.0.1:1/a/b:1\",\"destination\":\"127.0.0.1:1/c/d:1\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(503, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("urn:ferry:problem:store-unavailable"), refused.body());
                assertFalse(refused.body().contains("postgres") && refused.body().contains("password"), refused.body());
            } finally {
                a.kill();
            }
        }
    }

    private static int status(FerryProcess f, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(f.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** owner, claimed_at, ended_at, outcome of each run, oldest first. */
    private static List<String[]> attempts(PostgresCluster pg, String id) throws Exception {
        List<String[]> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), "");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT owner, claimed_at, ended_at, outcome FROM job_attempts WHERE job_id = '" + id + "' ORDER BY attempt")) {
            while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getTimestamp(2).toInstant().toString(),
                        rs.getTimestamp(3) == null ? null : rs.getTimestamp(3).toInstant().toString(), rs.getString(4)});
            }
        }
        return out;
    }

    private static JsonNode job(FerryProcess ferry, String id) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(ferry.baseUrl() + "/api/v1/jobs/" + id)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static void serve(com.sun.net.httpserver.HttpExchange ex, TestImages.Image image, AtomicBoolean slow) throws java.io.IOException {
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
            if (path.endsWith(blob.digest())) {
                if ("HEAD".equals(ex.getRequestMethod())) {
                    ex.getResponseHeaders().set("Content-Length", Long.toString(blob.size()));
                    ex.sendResponseHeaders(200, -1);
                    return;
                }
                ex.sendResponseHeaders(200, blob.bytes().length);
                try (var out = ex.getResponseBody()) {
                    for (int off = 0; off < blob.bytes().length; off += 32 * 1024) {
                        out.write(blob.bytes(), off, Math.min(32 * 1024, blob.bytes().length - off));
                        out.flush();
                        while (slow.get()) {
                            Thread.sleep(20); // stalled until the test lets go: the job is mid-blob for as long as it needs
                        }
                    }
                } catch (Exception gone) {
                    // the replica was killed
                }
                return;
            }
        }
        ScriptedPeer.send(ex, 404, null, new byte[0]);
    }
}
