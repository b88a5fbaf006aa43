package dev.ferry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.oci.Digest;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * What the HTTP layer refuses before any resource runs is problem+json like every other refusal (BAD-INPUT row 5
 * and the body rules): a body over the limit, announced or chunked (413, connection closed), a URL over 8 KiB (414),
 * headers over 16 KiB (431). The limit is quarkus.http.limits.max-body-size (1 MiB).
 */
@QuarkusTest
class HttpLayerRefusalTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** HTTP/1.1: a body without a length is sent chunked (HTTP/2 frames have no such thing). */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TestHTTPResource("/")
    URL base;

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode problem(HttpResponse<String> r, int status, String slug) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), r.headers().toString());
        JsonNode p = JSON.readTree(r.body());
        assertEquals("urn:ferry:problem:" + slug, p.path("type").asText(), r.body());
        assertEquals(status, p.path("status").asInt());
        return p;
    }

    /** A JSON body of about {@code size} bytes, without a Content-Length (so sent chunked). */
    private static HttpRequest.BodyPublisher chunked(long size) {
        byte[] filler = new byte[(int) size];
        Arrays.fill(filler, (byte) 'a');
        InputStream body = new SequenceInputStream(new SequenceInputStream(
                new ByteArrayInputStream("{\"image\":\"".getBytes(StandardCharsets.UTF_8)), new ByteArrayInputStream(filler)),
                new ByteArrayInputStream("\"}".getBytes(StandardCharsets.UTF_8)));
        return HttpRequest.BodyPublishers.ofInputStream(() -> body);
    }

    @Test
    void shouldRefuseAnAnnouncedElevenMegabyteBodyWith413AndClose() throws Exception {
        byte[] body = new byte[11 * 1024 * 1024];
        Arrays.fill(body, (byte) ' ');
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.toURI().resolve("/api/v1/inspect"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        problem(r, 413, "payload-too-large");
        assertEquals("close", r.headers().firstValue("Connection").orElse(""));
    }

    @Test
    void shouldRefuseAChunkedBodyOverTheLimitWith413ProblemJson() throws Exception {
        for (String path : new String[] {"/api/v1/inspect", "/api/v1/copy", "/api/v1/manifest-digest"}) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(base.toURI().resolve(path))
                    .header("Content-Type", "application/json").POST(chunked(2L * 1024 * 1024)));
            JsonNode p = problem(r, 413, "payload-too-large");
            assertTrue(p.path("detail").asText().contains("1048576 bytes"), p.toString());
            assertEquals("close", r.headers().firstValue("Connection").orElse(""), path);
        }
    }

    @Test
    void shouldStillReadAChunkedBodyUnderTheLimit() throws Exception {
        byte[] manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.toURI().resolve("/api/v1/manifest-digest"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(manifest))));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(Digest.sha256Of(manifest).toString(), JSON.readTree(r.body()).path("digest").asText());
    }

    @Test
    void shouldRefuseAnOverlongUrlWith414ProblemJson() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "api/v1/jobs?state=" + "a".repeat(10_000))));
        problem(r, 414, "uri-too-long");
    }

    @Test
    void shouldRefuseOversizedHeadersWith431ProblemJson() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.toURI().resolve("/api/v1/jobs")).header("X-Big", "a".repeat(20_000)));
        problem(r, 431, "headers-too-large");
    }

    @Test
    void shouldRefuseAWrongContentTypeWith415ProblemJson() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.toURI().resolve("/api/v1/copy"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("a=b")));
        problem(r, 415, "unsupported-media-type");
    }

    @Test
    void shouldAnswerAnUnknownPathAndMethodAsProblemJson() throws Exception {
        problem(send(HttpRequest.newBuilder(base.toURI().resolve("/api/v1/nothing"))), 404, "not-found");
        problem(send(HttpRequest.newBuilder(base.toURI().resolve("/api/v1/inspect")).PUT(HttpRequest.BodyPublishers.noBody())),
                405, "method-not-allowed");
    }
}
