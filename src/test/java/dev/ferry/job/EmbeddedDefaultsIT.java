package dev.ferry.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.FerryProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's first command: the packaged jar starts on its embedded defaults, with no configuration at all. */
class EmbeddedDefaultsIT {

    @Test
    void shouldStartWithNoConfigurationAndKeepItsStoreUnderTheWorkingDirectory() throws Exception {
        Path dir = Files.createTempDirectory("ferry-defaults");
        try (FerryProcess ferry = FerryProcess.start(null, dir, dir.resolve("ferry.log"))) {
            HttpResponse<String> jobs = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(ferry.baseUrl() + "/api/v1/jobs")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, jobs.statusCode(), jobs.body());
            assertTrue(Files.exists(dir.resolve("data").resolve("ferry.mv.db")), "the job store is ./data/ferry.mv.db");
        }
    }
}
