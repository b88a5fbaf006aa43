package dev.ferry.api;

import static dev.ferry.api.InspectTest.inspect;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Wire cases that a real registry will not produce, against a scripted peer. */
@QuarkusTest
class WireEdgeCaseTest {
    private static final TestImages IMAGES = new TestImages(99);
    private static final TestImages.Image IMAGE = IMAGES.ociImage(1, 512, "linux", "amd64", null);
    /** Its own config digest, so the config is not already in Ferry's config cache. */
    private static final TestImages.Image REDIRECTED = IMAGES.ociImage(1, 256, "linux", "arm64", "v8");

    /** Serves IMAGE like a minimal anonymous registry. */
    private static boolean serveImage(com.sun.net.httpserver.HttpExchange ex) throws java.io.IOException {
        String path = ex.getRequestURI().getPath();
        if (path.equals("/v2/")) {
            ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            return true;
        }
        if (path.endsWith("/manifests/v1") || path.endsWith("/manifests/" + IMAGE.digest())) {
            ScriptedPeer.send(ex, 200, IMAGE.mediaType(), IMAGE.manifest());
            return true;
        }
        if (path.endsWith("/blobs/" + IMAGE.config().digest())) {
            ScriptedPeer.send(ex, 200, "application/octet-stream", IMAGE.config().bytes());
            return true;
        }
        return false;
    }

    @Test
    void shouldRetryA429AfterItsRetryAfterAndSucceed() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            String path = ex.getRequestURI().getPath();
            if (path.contains("/manifests/") && ex.getRequestURI().getPath().endsWith("v1")
                    && peerCount(ex) == 1) {
                ex.getResponseHeaders().set("Retry-After", "1");
                ScriptedPeer.send(ex, 429, "application/json", "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\"}]}".getBytes());
                return;
            }
            if (!serveImage(ex)) {
                ScriptedPeer.send(ex, 404, null, new byte[0]);
            }
        })) {
            long started = System.nanoTime();
            inspect(Map.of("image", peer.hostPort() + "/wire/app:v1", "noTags", true)).then()
                    .statusCode(200).body("Digest", equalTo(IMAGE.digest()));
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals(2, peer.count("/v2/wire/app/manifests/v1"), "one 429, then one success");
            org.junit.jupiter.api.Assertions.assertTrue(tookMs >= 900, "waited for Retry-After: 1 (took " + tookMs + " ms)");
        }
    }

    private static final java.util.concurrent.atomic.AtomicInteger MANIFEST_HITS = new java.util.concurrent.atomic.AtomicInteger();

    private static int peerCount(com.sun.net.httpserver.HttpExchange ex) {
        return MANIFEST_HITS.incrementAndGet();
    }

    @Test
    void shouldHonourARetryAfterDateAndGiveUpWithA502() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            if (ex.getRequestURI().getPath().equals("/v2/")) {
                ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes());
                return;
            }
            ex.getResponseHeaders().set("Retry-After",
                    DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(1)));
            ScriptedPeer.send(ex, 503, "text/html", "<html>busy: secret-internal-detail</html>".getBytes());
        })) {
            inspect(Map.of("image", peer.hostPort() + "/wire/app:v1", "noTags", true, "retryTimes", 1)).then()
                    .statusCode(502).contentType("application/problem+json")
                    .body("type", equalTo("urn:ferry:problem:registry-error"))
                    .body("detail", containsString("HTTP 503"))
                    .body("detail", org.hamcrest.Matchers.not(containsString("secret-internal-detail")));
            assertEquals(2, peer.count("/v2/wire/app/manifests/"), "first attempt plus one retry");
        }
    }

    @Test
    void shouldNeverRetryA404() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            if (!serveImage(ex)) {
                ScriptedPeer.send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".getBytes());
            }
        })) {
            inspect(Map.of("image", peer.hostPort() + "/wire/app:nope", "noTags", true)).then()
                    .statusCode(404).body("type", equalTo("urn:ferry:problem:image-not-found"));
            assertEquals(1, peer.count("/v2/wire/app/manifests/"));
        }
    }

    @Test
    void shouldRefuseAnOversizedManifestWithOrWithoutContentLength() throws Exception {
        byte[] big = new byte[5 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) ' ');
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            String path = ex.getRequestURI().getPath();
            if (path.endsWith("/manifests/announced")) {
                ScriptedPeer.send(ex, 200, TestImages.OCI_MANIFEST, big);
            } else if (path.endsWith("/manifests/chunked")) {
                ScriptedPeer.sendChunked(ex, 200, TestImages.OCI_MANIFEST, 6L * 1024 * 1024);
            } else if (!serveImage(ex)) {
                ScriptedPeer.send(ex, 404, null, new byte[0]);
            }
        })) {
            for (String tag : new String[] {"announced", "chunked"}) {
                inspect(Map.of("image", peer.hostPort() + "/wire/app:" + tag, "noTags", true)).then()
                        .statusCode(502).contentType("application/problem+json")
                        .body("type", equalTo("urn:ferry:problem:registry-response-too-large"))
                        .body("detail", containsString("4194304"));
            }
        }
    }

    @Test
    void shouldReportAMalformedChallengeWithoutFailingInternally() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"unterminated, ,,=\"\"  service");
            ScriptedPeer.send(ex, 401, "application/json", new byte[0]);
        })) {
            inspect(Map.of("image", peer.hostPort() + "/wire/app:v1", "noTags", true)).then()
                    .statusCode(502).contentType("application/problem+json")
                    .body("type", equalTo("urn:ferry:problem:registry-invalid-response"))
                    .body("detail", containsString("no usable realm"));
        }
    }

    @Test
    void shouldFollowARedirectWithoutSendingCredentialsToAnotherHost() throws Exception {
        try (ScriptedPeer storage = ScriptedPeer.start((ex, n) -> ScriptedPeer.send(ex, 200, "application/octet-stream", REDIRECTED.config().bytes()));
             ScriptedPeer registry = ScriptedPeer.start((ex, n) -> {
                 String path = ex.getRequestURI().getPath();
                 if (path.equals("/v2/")) {
                     ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"wire\"");
                     ScriptedPeer.send(ex, 401, null, new byte[0]);
                 } else if (path.contains("/blobs/")) {
                     ex.getResponseHeaders().set("Location", "http://" + storageHost() + "/storage/config?sig=1");
                     ScriptedPeer.send(ex, 307, null, new byte[0]);
                 } else if (path.endsWith("/manifests/v1")) {
                     ScriptedPeer.send(ex, 200, REDIRECTED.mediaType(), REDIRECTED.manifest());
                 } else {
                     ScriptedPeer.send(ex, 404, null, new byte[0]);
                 }
             })) {
            STORAGE.set(storage.hostPort());
            inspect(Map.of("image", registry.hostPort() + "/wire/app:v1", "noTags", true, "creds", "u:p")).then()
                    .statusCode(200).body("Digest", equalTo(REDIRECTED.digest())).body("Architecture", equalTo("arm64"));
            assertEquals(1, storage.seen().size());
            assertNull(storage.seen().get(0).authorization(), "no Authorization sent to the storage host");
            org.junit.jupiter.api.Assertions.assertNotNull(registry.seen().stream()
                    .filter(s -> s.path().contains("/manifests/")).findFirst().orElseThrow().authorization());
        }
    }

    private static final java.util.concurrent.atomic.AtomicReference<String> STORAGE = new java.util.concurrent.atomic.AtomicReference<>();

    private static String storageHost() {
        return STORAGE.get();
    }

    @Test
    void shouldRejectAManifestThatDoesNotMatchTheDigestAskedFor() throws Exception {
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            if (ex.getRequestURI().getPath().contains("/manifests/sha256:")) {
                ScriptedPeer.send(ex, 200, IMAGE.mediaType(), IMAGE.manifest());
            } else if (!serveImage(ex)) {
                ScriptedPeer.send(ex, 404, null, new byte[0]);
            }
        })) {
            inspect(Map.of("image", peer.hostPort() + "/wire/app@sha256:" + "1".repeat(64), "noTags", true)).then()
                    .statusCode(502).body("type", equalTo("urn:ferry:problem:digest-mismatch"));
        }
    }
}
