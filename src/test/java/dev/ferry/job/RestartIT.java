package dev.ferry.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A job accepted is never lost: Ferry killed with SIGKILL mid-copy resumes the job when it starts again. */
class RestartIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void shouldResumeACopyInterruptedByKillMinus9() throws Exception {
        TestImages.Image image = new TestImages(5).ociImage(2, 2 * 1024 * 1024, "linux", "amd64", null);
        AtomicBoolean slow = new AtomicBoolean(true);
        Path data = Files.createTempDirectory("ferry-restart");
        Path log = data.resolve("ferry.log");
        try (RegistryProcess dest = RegistryProcess.anonymous();
             ScriptedPeer source = ScriptedPeer.start((ex, n) -> serve(ex, image, slow))) {
            String to = dest.hostPort() + "/restart/app:v1";
            String id;
            FerryProcess first = FerryProcess.start(data, log);
            try {
                String body = "{\"source\":\"" + source.hostPort() + "/restart/app:v1\",\"destination\":\"" + to
                        + "\",\"srcTlsVerify\":false,\"destTlsVerify\":false}";
                HttpResponse<String> accepted = HTTP.send(HttpRequest.newBuilder(URI.create(first.baseUrl() + "/api/v1/copy"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, accepted.statusCode(), accepted.body());
                id = JSON.readTree(accepted.body()).get("id").asText();
                long bytes = 0;
                for (int i = 0; i < 200 && bytes == 0; i++) {
                    Thread.sleep(50);
                    bytes = job(first, id).at("/progress/bytesDone").asLong();
                }
                assertTrue(bytes > 0, "killed while a blob was streaming");
            } finally {
                first.kill();
            }
            slow.set(false);
            try (FerryProcess second = FerryProcess.start(data, log)) {
                JsonNode job = job(second, id);
                for (int i = 0; i < 300 && !job.get("state").asText().equals("succeeded") && !job.get("state").asText().equals("failed"); i++) {
                    Thread.sleep(100);
                    job = job(second, id);
                }
                assertEquals("succeeded", job.get("state").asText(), job.toString() + "\n" + second.tail());
                assertEquals(image.digest(), job.at("/result/digest").asText());
                assertArrayEquals(image.manifest(), Skopeo.inspectRaw("docker://" + to));
            }
        }
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
        for (TestImages.Blob b : image.blobs()) {
            if (path.endsWith(b.digest())) {
                if ("HEAD".equals(ex.getRequestMethod())) {
                    ex.getResponseHeaders().set("Content-Length", Long.toString(b.size()));
                    ex.sendResponseHeaders(200, -1);
                    return;
                }
                ex.sendResponseHeaders(200, b.bytes().length);
                try (var out = ex.getResponseBody()) {
                    for (int off = 0; off < b.bytes().length; off += 32 * 1024) {
                        out.write(b.bytes(), off, Math.min(32 * 1024, b.bytes().length - off));
                        out.flush();
                        if (slow.get()) {
                            Thread.sleep(50);
                        }
                    }
                } catch (Exception gone) {
                    // Ferry was killed
                }
                return;
            }
        }
        ScriptedPeer.send(ex, 404, null, new byte[0]);
    }
}
