package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * BAD-INPUT row 23: a destination that answers 416 to a chunk of a chunked upload. A real registry will not do that on
 * demand, so the destination is a scripted peer speaking the upload protocol (POST, PATCH with Content-Range, GET for
 * the session's Range, PUT with the digest), verifying what it commits; the source is a scripted peer too.
 */
@QuarkusTest
@TestProfile(ChunkRefusedTest.Profile.class)
class ChunkRefusedTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 4096;
    private static final int LAYER = 5 * CHUNK + 777;
    private static final int ATTEMPTS = 2;
    /** What the scripted registry keeps of the chunk it refuses: the session then ends inside a chunk. */
    private static final int KEPT = 100;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.transfer.chunked-upload-min-size", Integer.toString(2 * CHUNK),
                    "ferry.transfer.upload-chunk-size", Integer.toString(CHUNK),
                    "ferry.transfer.chunk-resume-attempts", Integer.toString(ATTEMPTS));
        }
    }

    /** A destination registry whose upload sessions refuse chunks as {@code refuse} says. */
    private static final class Destination implements ScriptedPeer.Script {
        final Map<String, ByteArrayOutputStream> sessions = new ConcurrentHashMap<>();
        final List<String> committed = new CopyOnWriteArrayList<>();
        final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
        final AtomicLong patchBytes = new AtomicLong();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger cancelled = new AtomicInteger();
        /** The sessions cancelled (DELETE), in order, and the ones that had a chunk refused. */
        final List<String> cancelledIds = new CopyOnWriteArrayList<>();
        final java.util.Set<String> refusedIds = ConcurrentHashMap.newKeySet();
        final AtomicInteger next = new AtomicInteger();
        final boolean always;
        /** The status a refused chunk is answered with. */
        final int status;

        Destination(boolean always) {
            this(always, 416);
        }

        Destination(boolean always, int status) {
            this.always = always;
            this.status = status;
        }

        @Override
        public void answer(HttpExchange ex, int count) throws IOException {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            byte[] body = ScriptedPeer.body(ex);
            if (path.equals("/v2/")) {
                ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            } else if (method.equals("POST") && path.endsWith("/blobs/uploads/")) {
                String id = "u" + next.incrementAndGet();
                sessions.put(id, new ByteArrayOutputStream());
                location(ex, path + id, 0);
                ScriptedPeer.send(ex, 202, null, new byte[0]);
            } else if (path.contains("/blobs/uploads/")) {
                String id = path.substring(path.lastIndexOf('/') + 1);
                ByteArrayOutputStream held = sessions.get(id);
                if (held == null) {
                    ScriptedPeer.send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"BLOB_UPLOAD_UNKNOWN\"}]}".getBytes());
                } else if (method.equals("PATCH")) {
                    patchBytes.addAndGet(body.length);
                    long start = Long.parseLong(ex.getRequestHeaders().getFirst("Content-Range").split("-")[0]);
                    assertEquals(held.size(), start, "each chunk starts where the session ends");
                    if (start > 0 && (always || refused.get() == 0)) {
                        refused.incrementAndGet();
                        refusedIds.add(id);
                        if (!always) {
                            held.write(body, 0, KEPT); // it kept part of the chunk it refuses
                        }
                        ex.getResponseHeaders().set("Range", "0-" + (held.size() - 1));
                        ScriptedPeer.send(ex, status, "application/json", (status == 416
                                ? "{\"errors\":[{\"code\":\"BLOB_UPLOAD_INVALID\"}]}" : "{\"errors\":[{\"code\":\"UNKNOWN\"}]}").getBytes());
                        return;
                    }
                    held.write(body);
                    location(ex, path, held.size());
                    ScriptedPeer.send(ex, 202, null, new byte[0]);
                } else if (method.equals("GET")) {
                    location(ex, path, held.size());
                    ScriptedPeer.send(ex, 204, null, new byte[0]);
                } else if (method.equals("PUT")) {
                    held.write(body);
                    String digest = java.net.URLDecoder.decode(ex.getRequestURI().getRawQuery().replaceFirst(".*digest=", "")
                            .replaceFirst("&.*", ""), StandardCharsets.UTF_8);
                    byte[] bytes = held.toByteArray();
                    if (!TestImages.sha256(bytes).equals(digest)) {
                        ScriptedPeer.send(ex, 400, "application/json", "{\"errors\":[{\"code\":\"DIGEST_INVALID\"}]}".getBytes());
                        return;
                    }
                    sessions.remove(id);
                    blobs.put(digest, bytes);
                    committed.add(digest);
                    ex.getResponseHeaders().set("Docker-Content-Digest", digest);
                    ScriptedPeer.send(ex, 201, null, new byte[0]);
                } else if (method.equals("DELETE")) {
                    sessions.remove(id);
                    cancelled.incrementAndGet();
                    cancelledIds.add(id);
                    ScriptedPeer.send(ex, 204, null, new byte[0]);
                } else {
                    ScriptedPeer.send(ex, 405, null, new byte[0]);
                }
            } else if (method.equals("PUT") && path.contains("/manifests/")) {
                String digest = TestImages.sha256(body);
                ex.getResponseHeaders().set("Docker-Content-Digest", digest);
                ScriptedPeer.send(ex, 201, null, new byte[0]);
            } else {
                ScriptedPeer.send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}".getBytes());
            }
        }

        private static void location(HttpExchange ex, String path, long held) {
            ex.getResponseHeaders().set("Location", path);
            ex.getResponseHeaders().set("Docker-Upload-UUID", path.substring(path.lastIndexOf('/') + 1));
            if (held > 0) {
                ex.getResponseHeaders().set("Range", "0-" + (held - 1));
            }
        }
    }

    private static void serveSource(HttpExchange ex, TestImages.Image image) throws IOException {
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
                ScriptedPeer.send(ex, 200, "application/octet-stream", blob.bytes());
                return;
            }
        }
        ScriptedPeer.send(ex, 404, null, new byte[0]);
    }

    private static JsonNode copy(ScriptedPeer source, ScriptedPeer dest) throws Exception {
        String id = given().contentType("application/json")
                .body(Map.of("source", source.hostPort() + "/chunk416/app:v1", "destination", dest.hostPort() + "/chunk416/app:v1",
                        "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy").then().statusCode(202).extract().jsonPath().getString("id");
        JsonNode job = JSON.readTree(given().get("/api/v1/jobs/" + id).asByteArray());
        for (int i = 0; i < 1200 && !job.get("state").asText().matches("succeeded|failed|cancelled"); i++) {
            Thread.sleep(50);
            job = JSON.readTree(given().get("/api/v1/jobs/" + id).asByteArray());
        }
        return job;
    }

    @Test
    void shouldResumeAChunkAnswered416FromTheSessionsRangeWithinTheSameRun() throws Exception {
        TestImages.Image image = new TestImages(416).ociImage(1, LAYER);
        TestImages.Blob big = image.layers().get(0);
        Destination script = new Destination(false);
        try (ScriptedPeer source = ScriptedPeer.start((ex, n) -> serveSource(ex, image));
             ScriptedPeer dest = ScriptedPeer.start(script)) {
            JsonNode job = copy(source, dest);
            assertEquals("succeeded", job.get("state").asText(), job.toString());
            assertEquals(1, script.refused.get(), "the second chunk was refused once");
            assertTrue(script.committed.contains(big.digest()), "the blob was committed under its digest: " + script.committed);
            assertArrayEquals(big.bytes(), script.blobs.get(big.digest()), "the committed bytes are the blob's");
            // the refused chunk's bytes beyond what the session kept went again; nothing else did
            assertEquals(LAYER + (CHUNK - KEPT), script.patchBytes.get(), "bytes sent by PATCH");
            assertEquals(1L, dest.seen().stream().filter(s -> s.method().equals("GET") && s.path().contains("/blobs/uploads/")).count(),
                    "the session was asked once how far it got");
            assertEquals(2, script.next.get(), "one session for the config, one for the layer: the layer's was continued, not opened again");
            assertEquals(0, script.cancelled.get(), "no session was cancelled");
        }
    }

    /**
     * A registry that stores part of a chunk and then fails it with a 500 (a real distribution behind a streaming proxy
     * would instead cancel the session, see ChunkFaultResumeTest): the session's Range ends inside the chunk, and the
     * run continues from there, sending only the bytes the registry lacks.
     */
    @Test
    void shouldResumeAChunkAnswered500FromWhereTheSessionEndsInsideIt() throws Exception {
        TestImages.Image image = new TestImages(500).ociImage(1, LAYER);
        TestImages.Blob big = image.layers().get(0);
        Destination script = new Destination(false, 500);
        try (ScriptedPeer source = ScriptedPeer.start((ex, n) -> serveSource(ex, image));
             ScriptedPeer dest = ScriptedPeer.start(script)) {
            JsonNode job = copy(source, dest);
            assertEquals("succeeded", job.get("state").asText(), job.toString());
            assertEquals(1, script.refused.get(), "the second chunk was failed once");
            assertArrayEquals(big.bytes(), script.blobs.get(big.digest()), "the committed bytes are the blob's");
            assertEquals(LAYER + (CHUNK - KEPT), script.patchBytes.get(), "bytes sent by PATCH: the refused chunk's rest again, nothing else");
            assertEquals(2, script.next.get(), "the layer's session was continued, not opened again");
            assertEquals(0, script.cancelled.get(), "no session was cancelled");
        }
    }

    @Test
    void shouldFailTheBlobWithAProblemAfterTheConfiguredAttempts() throws Exception {
        TestImages.Image image = new TestImages(417).ociImage(1, LAYER);
        TestImages.Blob big = image.layers().get(0);
        Destination script = new Destination(true);
        try (ScriptedPeer source = ScriptedPeer.start((ex, n) -> serveSource(ex, image));
             ScriptedPeer dest = ScriptedPeer.start(script)) {
            JsonNode job = copy(source, dest);
            assertEquals("failed", job.get("state").asText(), job.toString());
            assertEquals(1 + ATTEMPTS, script.refused.get(), "the first refusal and one per resumed attempt, and the blob not streamed again from zero");
            assertEquals("urn:ferry:problem:registry-invalid-response", job.at("/error/type").asText(), job.toString());
            String detail = job.at("/error/detail").asText();
            assertTrue(detail.contains("416") && detail.contains(big.digest()) && detail.contains("ferry.transfer.chunk-resume-attempts"),
                    "the problem names the 416, the blob and the setting: " + detail);
            // the refused session is cancelled exactly once; another blob's session still open when the layer failed
            // (the config, copied beside it) may be cancelled too: the copy fails fast
            assertEquals(1, script.refusedIds.size(), "one session had its chunks refused: " + script.refusedIds);
            String layerSession = script.refusedIds.iterator().next();
            assertEquals(1, script.cancelledIds.stream().filter(layerSession::equals).count(),
                    "the layer's session was cancelled once the attempts were spent: cancelled " + script.cancelledIds);
            assertEquals(java.util.Set.of(), script.sessions.keySet(), "no session was left open");
            assertTrue(!script.committed.contains(big.digest()), "nothing was committed for the blob");
        }
    }
}
