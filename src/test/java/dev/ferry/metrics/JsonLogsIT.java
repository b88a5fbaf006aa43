package dev.ferry.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar with JSON logs switched on: every line is one JSON object; a job's lines carry its id in the MDC. */
class JsonLogsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path data;

    @Test
    void shouldLogJsonWithTheJobIdOnEachLineOfAJob() throws Exception {
        Path log = Path.of("target", "json-logs-it.log");
        Files.deleteIfExists(log);
        try (RegistryProcess registry = RegistryProcess.anonymous();
             FerryProcess ferry = FerryProcess.start(data, null, log, Map.of("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true"))) {
            new RegistryPusher(registry.baseUrl()).push("lab/app", "1", new TestImages(9).ociImage(1, 1024, "linux", "amd64", null));
            String ok = copy(ferry, registry.hostPort() + "/lab/app:1", registry.hostPort() + "/prod/app:1");
            String failed = copy(ferry, registry.hostPort() + "/lab/app:missing", registry.hostPort() + "/prod/app:2");
            Thread.sleep(500);
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(log)) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line)); // throws unless every line is one JSON object
                }
            }
            for (String id : List.of(ok, failed)) {
                List<JsonNode> mine = lines.stream().filter(l -> l.path("message").asText().contains(id)).toList();
                assertTrue(mine.size() >= 2, "a start and an end line for job " + id);
                for (JsonNode l : mine) {
                    assertEquals(id, l.path("mdc").path("jobId").asText(), "jobId in the MDC of " + l);
                }
            }
            assertTrue(lines.stream().anyMatch(l -> l.path("message").asText().contains(failed)
                    && l.path("level").asText().equals("WARN") && l.path("message").asText().contains("image-not-found")));
        }
    }

    private static String copy(FerryProcess ferry, String from, String to) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ferry.baseUrl() + "/api/v1/copy"))
                .header("Content-Type", "application/json").header("Prefer", "wait=60")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("source", from, "destination", to,
                        "srcTlsVerify", false, "destTlsVerify", false)))).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).path("id").asText();
    }
}
