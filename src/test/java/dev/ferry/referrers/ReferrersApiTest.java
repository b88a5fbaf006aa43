package dev.ferry.referrers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.SseClient;
import dev.ferry.testing.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OCI 1.1 referrers API, which distribution 2.8 does not have, on both sides: a scripted source that serves
 * {@code GET /v2/<name>/referrers/<digest>} (with the {@code artifactType} filter), copied to a real registry (which
 * then gets the fallback tag) and to a scripted destination that answers the referrer's push with {@code OCI-Subject}
 * (which then gets no fallback tag).
 */
@QuarkusTest
class ReferrersApiTest {
    private static final TestImages IMAGES = new TestImages(1213);
    private static TestImages.Image image;
    private static Attached.Artifact sbom;
    private static Attached.Artifact scan;
    private static ScriptedPeer source;
    private static RegistryProcess dest;
    private static final Map<String, byte[]> manifests = new HashMap<>();
    private static final Map<String, TestImages.Blob> blobs = new HashMap<>();

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void start() throws IOException {
        image = IMAGES.ociImage(1, 2048, "linux", "amd64", null);
        sbom = Attached.referrer(image, Attached.EXAMPLE_SBOM, "{\"sbom\":\"api\"}");
        scan = Attached.referrer(image, "application/vnd.example.scan.v1+json", "{\"scan\":\"api\"}");
        manifests.put("v1", image.manifest());
        for (TestImages.Image i : List.of(image, sbom.asImage(), scan.asImage())) {
            manifests.put(i.digest(), i.manifest());
            i.blobs().forEach(b -> blobs.put(b.digest(), b));
        }
        source = ScriptedPeer.start(ReferrersApiTest::serveSource);
        dest = RegistryProcess.anonymous();
    }

    @AfterAll
    static void stop() {
        source.close();
        dest.close();
    }

    /** A registry with the referrers API: the image, its two referrers, their blobs; no cosign tags. */
    private static void serveSource(HttpExchange ex, int count) throws IOException {
        String path = ex.getRequestURI().getPath();
        String query = ex.getRequestURI().getRawQuery();
        if (path.equals("/v2/") || path.equals("/v2")) {
            ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes());
        } else if (path.startsWith("/v2/api/app/manifests/") && manifests.containsKey(path.substring(22))) {
            byte[] m = manifests.get(path.substring(22));
            ex.getResponseHeaders().set("Docker-Content-Digest", TestImages.sha256(m));
            ScriptedPeer.send(ex, 200, TestImages.OCI_MANIFEST, m);
        } else if (path.startsWith("/v2/api/app/blobs/") && blobs.containsKey(path.substring(18))) {
            ScriptedPeer.send(ex, 200, "application/octet-stream", blobs.get(path.substring(18)).bytes());
        } else if (path.equals("/v2/api/app/referrers/" + image.digest())) {
            ObjectNode idx = Attached.JSON.createObjectNode();
            idx.put("schemaVersion", 2);
            idx.put("mediaType", TestImages.OCI_INDEX);
            ArrayNode ms = idx.putArray("manifests");
            String filter = query != null && query.startsWith("artifactType=")
                    ? java.net.URLDecoder.decode(query.substring(13), StandardCharsets.UTF_8) : null;
            for (Attached.Artifact a : List.of(sbom, scan)) {
                String type = a == sbom ? Attached.EXAMPLE_SBOM : "application/vnd.example.scan.v1+json";
                if (filter == null || filter.equals(type)) {
                    ObjectNode d = ms.addObject();
                    d.put("mediaType", a.mediaType());
                    d.put("digest", a.digest());
                    d.put("size", a.manifest().length);
                    d.put("artifactType", type);
                }
            }
            if (filter != null) {
                ex.getResponseHeaders().set("OCI-Filters-Applied", "artifactType");
            }
            ScriptedPeer.send(ex, 200, TestImages.OCI_INDEX, Attached.bytes(idx));
        } else {
            ScriptedPeer.send(ex, 404, "application/json",
                    "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"unknown\"}]}".getBytes());
        }
    }

    private JsonNode copied(String destination, Map<String, Object> extra) throws Exception {
        Map<String, Object> body = new HashMap<>(extra);
        body.put("source", source.hostPort() + "/api/app:v1");
        body.put("destination", destination);
        body.put("srcTlsVerify", false);
        body.put("destTlsVerify", false);
        Response r = io.restassured.RestAssured.given().contentType("application/json").header("Prefer", "wait=60")
                .body(body).post("/api/v1/copy");
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = Attached.JSON.readTree(r.asByteArray());
        assertEquals("succeeded", job.get("state").asText(), r.asString());
        return job;
    }

    private List<JsonNode> referrerEvents(JsonNode job) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (SseClient.Event e : SseClient.read(base + "api/v1/jobs/" + job.get("id").asText() + "/events", null,
                Duration.ofSeconds(20)).events()) {
            if (e.event().equals("referrer")) {
                out.add(Attached.JSON.readTree(e.data()));
            }
        }
        return out;
    }

    @Test
    void shouldReadReferrersFromTheApiAndWriteTheFallbackTagWhereTheDestinationHasNoApi() throws Exception {
        String to = dest.hostPort() + "/api/app";
        List<JsonNode> events = referrerEvents(copied(to + ":v1", Map.of()));
        assertEquals(2, events.size(), events.toString());
        events.forEach(e -> {
            assertEquals("api", e.get("via").asText());
            assertEquals("copied", e.get("status").asText());
            assertEquals("index-tag", e.get("detail").asText());
        });
        assertArrayEquals(sbom.manifest(), Skopeo.inspectRaw("docker://" + to + "@" + sbom.digest()));
        assertArrayEquals(scan.manifest(), Skopeo.inspectRaw("docker://" + to + "@" + scan.digest()));
        JsonNode index = Attached.JSON.readTree(Skopeo.inspectRaw("docker://" + to + ":" + Attached.tag(image.digest(), "")));
        assertEquals(2, index.get("manifests").size());
        assertEquals(Attached.EXAMPLE_SBOM, index.get("manifests").get(0).get("artifactType").asText());
    }

    @Test
    void shouldAskTheSourceToFilterByTheOneArtifactTypeWanted() throws Exception {
        long before = source.seen().stream().filter(s -> s.path().contains("/referrers/") && s.path().contains("artifactType=")).count();
        List<JsonNode> events = referrerEvents(copied(dest.hostPort() + "/api/filtered:v1",
                Map.of("referrerArtifactTypes", List.of(Attached.EXAMPLE_SBOM))));
        assertEquals(1, events.size(), events.toString());
        assertEquals(sbom.digest(), events.get(0).get("digest").asText());
        assertTrue(source.seen().stream().filter(s -> s.path().contains("/referrers/") && s.path().contains("artifactType=")).count() > before);
    }

    @Test
    void shouldLeaveTheIndexToADestinationThatAnswersWithOciSubject() throws Exception {
        try (ScriptedPeer destination = ScriptedPeer.start(ReferrersApiTest::serveDestination)) {
            List<JsonNode> events = referrerEvents(copied(destination.hostPort() + "/prod/app:v1", Map.of()));
            assertEquals(2, events.size(), events.toString());
            events.forEach(e -> assertEquals("subject", e.get("detail").asText(), e.toString()));
            List<String> puts = destination.seen().stream().filter(s -> s.method().equals("PUT") && s.path().contains("/manifests/"))
                    .map(ScriptedPeer.Seen::path).toList();
            assertTrue(puts.contains("/v2/prod/app/manifests/" + sbom.digest()), puts.toString());
            assertTrue(puts.contains("/v2/prod/app/manifests/" + scan.digest()), puts.toString());
            assertTrue(puts.stream().noneMatch(p -> p.contains("/manifests/sha256-")), "no fallback tag: " + puts);
        }
    }

    /** A destination with the referrers API: has every blob (and takes uploads), takes every manifest, indexes what has a subject. */
    private static void serveDestination(HttpExchange ex, int count) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        if (path.equals("/v2/") || path.equals("/v2")) {
            ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes());
        } else if (method.equals("HEAD") && path.contains("/blobs/")) {
            ScriptedPeer.send(ex, 200, "application/octet-stream", new byte[0]);
        } else if (method.equals("POST") && path.endsWith("/blobs/uploads/")) {
            // small artifact blobs are written without a HEAD first (ReferrerCopier.SMALL_BLOB)
            ex.getResponseHeaders().set("Location", path + "session-" + count);
            ScriptedPeer.send(ex, 202, null, new byte[0]);
        } else if (method.equals("PUT") && path.contains("/blobs/uploads/")) {
            ScriptedPeer.send(ex, 201, null, new byte[0]); // the peer has read the body already
        } else if (method.equals("PUT") && path.contains("/manifests/")) {
            String ref = path.substring(path.lastIndexOf('/') + 1);
            if (ref.equals(sbom.digest()) || ref.equals(scan.digest())) {
                ex.getResponseHeaders().set("OCI-Subject", image.digest());
            }
            ScriptedPeer.send(ex, 201, null, new byte[0]);
        } else {
            ScriptedPeer.send(ex, 404, "application/json",
                    "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"unknown\"}]}".getBytes());
        }
    }
}
