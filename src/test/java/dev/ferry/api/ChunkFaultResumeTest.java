package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.FaultyProxy;
import dev.ferry.testing.FaultyProxy.Fault;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.SseClient;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * BAD-INPUT row 23, the faults besides a 416: a chunk of a chunked upload into a real distribution registry fails in
 * flight (a 5xx instead of the registry's answer, the connection dropped before the answer, no answer at all until the
 * first-byte timeout, or the registry's answer lost after it stored the chunk). The fault proxy in front of the
 * registry produces each fault on the third chunk of the layer, once. Where the session survives, the run asks it how
 * far it got and sends only what the registry does not hold: the PATCH bytes that reach the proxy are the layer plus
 * the failed chunk, never the two acknowledged ones again. Where distribution invalidates the session (it signs the
 * offset into the location and cancels a session whose bytes disagree), the blob starts over in a fresh session.
 * Every copy ends with the source's manifest and layer at the destination, read by skopeo and by digest.
 */
@QuarkusTest
@TestProfile(ChunkFaultResumeTest.Profile.class)
class ChunkFaultResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 64 * 1024;
    private static final int LAYER = 6 * CHUNK + 1234;
    private static final int FAULTED_CHUNK = 3;
    private static final int ATTEMPTS = 2;
    private static final TestImages IMAGES = new TestImages(9023);
    private static RegistryProcess dest;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.transfer.chunked-upload-min-size", Integer.toString(2 * CHUNK),
                    "ferry.transfer.upload-chunk-size", Integer.toString(CHUNK),
                    "ferry.transfer.chunk-resume-attempts", Integer.toString(ATTEMPTS),
                    "ferry.http.first-byte-timeout", "5s");
        }
    }

    enum Cell {
        /** The proxy answers 503 (with Retry-After) instead of forwarding the chunk. */
        PATCH_503,
        /** The proxy answers 500 instead of forwarding the chunk. */
        PATCH_500,
        /** The proxy reads the chunk and drops the connection without answering (and without forwarding it). */
        PATCH_RESET,
        /** The proxy reads the chunk and never answers: Ferry's first-byte timeout ends the request. */
        PATCH_TIMEOUT,
        /** The registry stores the chunk, its answer is lost: distribution invalidates the session, a fresh one follows. */
        PATCH_ANSWER_LOST
    }

    @BeforeAll
    static void destination() {
        dest = RegistryProcess.anonymous();
    }

    @AfterAll
    static void stop() {
        if (dest != null) {
            dest.close();
        }
    }

    private static Fault fault(Cell cell) {
        return switch (cell) {
            case PATCH_503 -> new Fault.Status(503, Map.of("Retry-After", "0"));
            case PATCH_500 -> new Fault.Status(500, Map.of());
            case PATCH_RESET -> new Fault.DropBeforeAnswer();
            case PATCH_TIMEOUT -> new Fault.StallBeforeAnswer();
            case PATCH_ANSWER_LOST -> new Fault.DropAnswer();
        };
    }

    /** What the destination's proxy saw of the layer's upload. */
    private static final class Seen {
        final AtomicInteger sessions = new AtomicInteger();
        final AtomicInteger patches = new AtomicInteger();
        final AtomicInteger statusAsks = new AtomicInteger();
        final AtomicInteger cancels = new AtomicInteger();
    }

    @ParameterizedTest
    @EnumSource(Cell.class)
    void shouldContinueFromTheSessionsRangeInsteadOfFromZero(Cell cell) throws Exception {
        TestImages.Image image = IMAGES.ociImage(1, LAYER, "linux", "amd64", null);
        TestImages.Blob layer = image.layers().get(0);
        String repo = "chunkfault/" + cell.name().toLowerCase().replace('_', '-');
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push(repo, "v1", image);
        Seen seen = new Seen();
        // the source behind a proxy too, which counts the layer's bytes it serves (no faults there)
        try (FaultyProxy source = new FaultyProxy(SharedRegistries.get().anonymous().hostPort(), 0, 0, 5);
             FaultyProxy proxy = new FaultyProxy(dest.hostPort(), 0, 0, 7)) {
            proxy.rule(faultOnce(seen, fault(cell)));
            JsonNode job = copy(source.hostPort(), repo, proxy);
            assertEquals("succeeded", job.get("state").asText(), cell + ": " + job);
            assertAtTheDestination(repo, image, layer, cell);
            assertTrue(job.at("/progress/bytesTotal").asLong() > 0, cell + ": " + job);
            assertEquals(job.at("/progress/bytesTotal").asLong(), job.at("/progress/bytesDone").asLong(),
                    cell + ": the progress counts the failed chunk once: " + job.get("progress"));

            long config = image.config().size();
            long patched = proxy.uploadBytes.get() - config; // the config goes in one PUT of its own
            long resent = patched - LAYER;
            JsonNode resumed = resumedEvent(job.get("id").asText(), layer.digest());
            if (cell == Cell.PATCH_ANSWER_LOST) {
                // distribution cancels a session whose stored bytes disagree with the offset signed into its location
                assertTrue(seen.statusAsks.get() >= 1, cell + ": the session was asked how far it got");
                assertEquals(3, seen.sessions.get(), cell + ": one session for the config, two for the layer (the first lost)");
                assertEquals(FAULTED_CHUNK * (long) CHUNK, resent, cell + ": the layer sent again from zero once its session was gone");
                assertTrue(resumed == null, cell + ": no resumed event for a session that was gone: " + resumed);
                assertEquals(2L * LAYER, source.blobBytesSent(layer.digest()),
                        cell + ": the blob started over: a fresh pass reads the source from byte 0");
            } else {
                assertEquals(1, seen.statusAsks.get(), cell + ": the session was asked once how far it got");
                assertEquals(2, seen.sessions.get(), cell + ": one session for the config, one for the layer, continued");
                assertEquals(0, seen.cancels.get(), cell + ": no session cancelled");
                assertEquals(CHUNK, resent, cell + ": only the failed chunk went again, not the two acknowledged ones");
                assertNotNull(resumed, cell + ": a resumed event");
                assertEquals(2L * CHUNK, resumed.get("bytesKept").asLong(), cell + ": " + resumed);
                assertEquals(LAYER - 2L * CHUNK, resumed.get("bytesToSend").asLong(), cell + ": " + resumed);
                assertFalse(resumed.get("sessionLost").asBoolean(), cell + ": " + resumed);
                // the first pass's download (served whole: the proxy sends the body at once) and, for the resume, only
                // the bytes after the registry's offset (a Range request), the hash continued from the state kept there
                assertEquals(LAYER + (LAYER - 2L * CHUNK), source.blobBytesSent(layer.digest()),
                        cell + ": the source read again only from the resume offset, not from byte 0");
            }
            System.out.printf("chunk fault %s: %d-byte layer in %d-byte chunks, PATCH bytes %d, re-sent %d, source bytes %d%n",
                    cell, LAYER, CHUNK, patched, resent, source.blobBytesSent(layer.digest()));
        }
    }

    /** The destination's rule: counts the layer's upload requests and answers the {@code FAULTED_CHUNK}th PATCH with {@code fault}. */
    private static FaultyProxy.Rule faultOnce(Seen seen, Fault fault) {
        return (method, path, nth) -> {
            if (!path.contains("/blobs/uploads/")) {
                return null;
            }
            if ("POST".equals(method)) {
                seen.sessions.incrementAndGet();
            } else if ("GET".equals(method)) {
                seen.statusAsks.incrementAndGet();
            } else if ("DELETE".equals(method)) {
                seen.cancels.incrementAndGet();
            } else if ("PATCH".equals(method) && seen.patches.incrementAndGet() == FAULTED_CHUNK) {
                return fault;
            }
            return null;
        };
    }

    /**
     * The fallback within a run: the source answers the resume's Range request with the whole blob as 200 (a registry
     * without range support), so the pass reads the source from byte 0 again, hashes the bytes the registry holds
     * without sending them, and the digest still covers every byte.
     */
    @Test
    void shouldReadTheSourceFromZeroAgainWhenItCannotAnswerTheRangeOfAResume() throws Exception {
        TestImages.Image image = IMAGES.ociImage(1, LAYER, "linux", "amd64", null);
        TestImages.Blob layer = image.layers().get(0);
        String repo = "chunkfault/no-source-range";
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push(repo, "v1", image);
        Seen seen = new Seen();
        try (FaultyProxy source = new FaultyProxy(SharedRegistries.get().anonymous().hostPort(), 0, 0, 5);
             FaultyProxy proxy = new FaultyProxy(dest.hostPort(), 0, 0, 7)) {
            // every GET of the layer after the first is answered 200 with the whole blob when it asked for a range
            source.rule((method, path, nth) -> "GET".equals(method) && path.endsWith("/blobs/" + layer.digest()) && nth > 1
                    ? new Fault.WrongRange(0) : null);
            proxy.rule(faultOnce(seen, new Fault.Status(503, Map.of("Retry-After", "0"))));
            JsonNode job = copy(source.hostPort(), repo, proxy);
            assertEquals("succeeded", job.get("state").asText(), job.toString());
            assertAtTheDestination(repo, image, layer, null);
            assertEquals(job.at("/progress/bytesTotal").asLong(), job.at("/progress/bytesDone").asLong(),
                    "the progress counts the failed chunk once: " + job.get("progress"));
            long resent = proxy.uploadBytes.get() - image.config().size() - LAYER;
            assertEquals(CHUNK, resent, "only the failed chunk went again: the bytes the registry holds were hashed, not sent");
            assertEquals(2, seen.sessions.get(), "one session for the config, one for the layer, continued");
            assertEquals(0, seen.cancels.get(), "no session cancelled");
            // the first pass, the refused Range request (answered with the whole blob), and the pass from byte 0
            assertEquals(3L * LAYER, source.blobBytesSent(layer.digest()), "the source read again from byte 0");
            System.out.printf("chunk fault without source range: PATCH bytes re-sent %d, source bytes %d%n", resent,
                    source.blobBytesSent(layer.digest()));
        }
    }

    @Test
    void shouldFailTheBlobWithoutStartingOverOnceTheResumeAttemptsAreSpent() throws Exception {
        TestImages.Image image = IMAGES.ociImage(1, LAYER, "linux", "amd64", null);
        TestImages.Blob layer = image.layers().get(0);
        String repo = "chunkfault/always-503";
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push(repo, "v1", image);
        Seen seen = new Seen();
        try (FaultyProxy proxy = new FaultyProxy(dest.hostPort(), 0, 0, 8)) {
            proxy.rule((method, path, nth) -> {
                if (!path.contains("/blobs/uploads/")) {
                    return null;
                }
                if ("POST".equals(method)) {
                    seen.sessions.incrementAndGet();
                } else if ("DELETE".equals(method)) {
                    seen.cancels.incrementAndGet();
                } else if ("PATCH".equals(method) && seen.patches.incrementAndGet() >= FAULTED_CHUNK) {
                    return new Fault.Status(503, Map.of("Retry-After", "0"));
                }
                return null;
            });
            JsonNode job = copy(repo, proxy);
            assertEquals("failed", job.get("state").asText(), job.toString());
            assertEquals(FAULTED_CHUNK - 1 + 1 + ATTEMPTS, seen.patches.get(),
                    "two chunks, the refused third and one per resumed attempt: the blob was not streamed again from zero");
            assertEquals(2, seen.sessions.get(), "no fresh session for the layer");
            assertEquals(1, seen.cancels.get(), "the session was cancelled once the attempts were spent");
            assertEquals("urn:ferry:problem:registry-error", job.at("/error/type").asText(), job.toString());
            String detail = job.at("/error/detail").asText();
            assertTrue(detail.contains("503") && detail.contains(layer.digest()) && detail.contains("ferry.transfer.chunk-resume-attempts"),
                    "the problem names the 503, the blob and the setting: " + detail);
            assertEquals(404, new RegistryPusher(dest.baseUrl()).get("/v2/" + repo + "/manifests/v1",
                    Map.of("Accept", TestImages.OCI_MANIFEST)).statusCode(), "no manifest pushed");
        }
    }

    private static JsonNode copy(String repo, FaultyProxy proxy) throws Exception {
        return copy(SharedRegistries.get().anonymous().hostPort(), repo, proxy);
    }

    private static JsonNode copy(String sourceHostPort, String repo, FaultyProxy proxy) throws Exception {
        String id = given().contentType("application/json")
                .body(Map.of("source", sourceHostPort + "/" + repo + ":v1",
                        "destination", proxy.hostPort() + "/" + repo + ":v1", "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy").then().statusCode(202).extract().jsonPath().getString("id");
        JsonNode job = JSON.readTree(given().get("/api/v1/jobs/" + id).asByteArray());
        for (int i = 0; i < 2400 && !job.get("state").asText().matches("succeeded|failed|cancelled"); i++) {
            Thread.sleep(50);
            job = JSON.readTree(given().get("/api/v1/jobs/" + id).asByteArray());
        }
        return job;
    }

    private static void assertAtTheDestination(String repo, TestImages.Image image, TestImages.Blob layer, Cell cell) throws Exception {
        String ref = "docker://" + dest.hostPort() + "/" + repo + ":v1";
        assertArrayEquals(image.manifest(), Skopeo.inspectRaw(ref), cell + ": the source's manifest, byte for byte");
        assertEquals(image.digest(), Skopeo.inspect(ref).get("Digest").asText(), cell + ": skopeo reads the source's digest");
        byte[] stored = new RegistryPusher(dest.baseUrl()).get("/v2/" + repo + "/blobs/" + layer.digest(), Map.of()).body();
        assertEquals(layer.digest(), "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(stored)),
                cell + ": the stored layer is the source's");
    }

    /** The layer's {@code blob} event with {@code status: resumed}, or null. */
    private JsonNode resumedEvent(String id, String digest) throws Exception {
        String base = io.restassured.RestAssured.baseURI + ":" + io.restassured.RestAssured.port;
        for (SseClient.Event e : SseClient.read(base + "/api/v1/jobs/" + id + "/events", null, Duration.ofSeconds(20)).events()) {
            JsonNode d = JSON.readTree(e.data());
            if (e.event().equals("blob") && "resumed".equals(d.path("status").asText()) && digest.equals(d.path("digest").asText())) {
                return d;
            }
        }
        return null;
    }
}
