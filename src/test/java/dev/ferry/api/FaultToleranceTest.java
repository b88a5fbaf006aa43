package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.FaultyProxy;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Copies through proxies that answer 5xx/429 to 15% of requests and cut blob downloads off halfway. */
@QuarkusTest
class FaultToleranceTest {
    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL base;

    @Test
    void shouldCompleteTenOfTenCopiesThroughFaultyRegistries() throws Exception {
        // Ten different images, so every copy has to move its own bytes (Ferry mounts blobs it has seen).
        TestImages images = new TestImages(77);
        java.util.List<TestImages.Image> sources = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            TestImages.Image image = images.ociImage(3, 512 * 1024, "linux", "amd64", null);
            new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push("faulty/app" + i, "v1", image);
            sources.add(image);
        }
        try (RegistryProcess dest = RegistryProcess.anonymous();
             FaultyProxy source = new FaultyProxy(SharedRegistries.get().anonymous().hostPort(), 0.15, 0.3, 1);
             FaultyProxy destination = new FaultyProxy(dest.hostPort(), 0.15, 0.0, 2)) {
            java.util.List<String> jobs = new java.util.ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Response r = given().contentType("application/json").header("Prefer", "wait=120")
                        .body(Map.of("source", source.hostPort() + "/faulty/app" + i + ":v1",
                                "destination", destination.hostPort() + "/faulty/copy" + i + ":v1",
                                "srcTlsVerify", false, "destTlsVerify", false))
                        .post("/api/v1/copy");
                assertEquals(200, r.statusCode(), r.asString());
                assertEquals("succeeded", r.jsonPath().getString("state"), r.asString());
                jobs.add(r.jsonPath().getString("id"));
                assertArrayEquals(sources.get(i).manifest(), Skopeo.inspectRaw("docker://" + dest.hostPort() + "/faulty/copy" + i + ":v1"),
                        "copy " + i + " has the source's digest");
            }
            assertTrue(source.errors.get() + destination.errors.get() > 10, "faults were injected");
            assertTrue(source.drops.get() > 0, "downloads were cut off");
            long resumed = 0;
            for (String id : jobs) {
                resumed += dev.ferry.testing.SseClient.read(base + "api/v1/jobs/" + id + "/events", null,
                        java.time.Duration.ofSeconds(20)).events().stream()
                        .filter(e -> e.data().contains("resuming from byte")).count();
            }
            assertTrue(resumed > 0, "dropped downloads were resumed with Range requests, and said so");
        }
    }
}
