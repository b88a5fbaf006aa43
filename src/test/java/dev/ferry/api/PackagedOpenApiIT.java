package dev.ferry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ferry.testing.FerryProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the packaged jar ({@code java -jar target/quarkus-app/quarkus-run.jar}) serves, not what test mode serves:
 * {@code /q/openapi} is {@code openapi/ferry.yaml} itself, and Swagger UI, rendered by a real browser, lists every
 * operation of it. (The jar once served an empty "Generated API" document while test mode served the file.)
 */
class PackagedOpenApiIT {
    private static final Path DOCUMENT = Path.of("openapi", "ferry.yaml");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Path dir;
    private static FerryProcess ferry;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("ferry-openapi");
        ferry = FerryProcess.start(dir.resolve("data"), dir, dir.resolve("ferry.log"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (ferry != null) {
            ferry.close();
        }
    }

    @Test
    void shouldServeTheDocumentOfTheOpenapiFolder() throws Exception {
        HttpResponse<String> resp = HTTP.send(HttpRequest.newBuilder(URI.create(ferry.baseUrl() + "/q/openapi?format=json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, resp.statusCode());
        JsonNode served = new ObjectMapper().readTree(resp.body());
        JsonNode file = new ObjectMapper(new YAMLFactory()).readTree(DOCUMENT.toFile());
        assertEquals(file.path("info").path("title").asText(), served.path("info").path("title").asText(), "title");
        assertEquals(operations(file), operations(served), "operations served by the jar");
        assertEquals(file, served, "/q/openapi of the packaged jar is " + DOCUMENT + " as it is");
    }

    @Test
    void shouldListEveryOperationInSwaggerUi() throws Exception {
        JsonNode file = new ObjectMapper(new YAMLFactory()).readTree(DOCUMENT.toFile());
        Process chromium = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--user-data-dir=" + dir.resolve("chromium"), "--virtual-time-budget=20000", "--dump-dom",
                ferry.baseUrl() + "/q/swagger-ui/")
                .redirectError(dir.resolve("chromium.log").toFile()).start();
        String dom = new String(chromium.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(chromium.waitFor(60, TimeUnit.SECONDS), "chromium ended");
        // each operation is an element with class "opblock-summary-path" and data-path="/api/..."
        Matcher m = Pattern.compile("class=\"opblock opblock-(\\w+)[^\"]*\" id=\"operations-[^\"]*\"").matcher(dom);
        int blocks = 0;
        while (m.find()) {
            blocks++;
        }
        TreeSet<String> shownPaths = new TreeSet<>();
        Matcher p = Pattern.compile("data-path=\"([^\"]+)\"").matcher(dom);
        while (p.find()) {
            shownPaths.add(p.group(1).replace("&ZeroWidthSpace;", "").replace("\u200b", ""));
        }
        TreeSet<String> documentedPaths = new TreeSet<>();
        file.path("paths").fieldNames().forEachRemaining(documentedPaths::add);
        assertEquals(operations(file).size(), blocks, "operation blocks Swagger UI shows; paths shown: " + shownPaths);
        assertEquals(documentedPaths, shownPaths, "paths Swagger UI shows");
    }

    private static List<String> operations(JsonNode doc) {
        List<String> ops = new ArrayList<>();
        doc.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (List.of("get", "put", "post", "delete", "patch", "head", "options").contains(method)) {
                ops.add(method.toUpperCase() + " " + path.getKey());
            }
        }));
        ops.sort(null);
        return ops;
    }
}
