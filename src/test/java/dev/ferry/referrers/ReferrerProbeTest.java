package dev.ferry.referrers;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.FaultyProxy;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A registry without the referrers API (distribution 2.8 answers 404) is asked once whether it has one, not once per
 * image: the images of a sync copied side by side wait for the first answer.
 */
@QuarkusTest
class ReferrerProbeTest {
    @Test
    void shouldAskARegistryWithoutTheReferrersApiOnceForAWholeSync() throws Exception {
        SharedRegistries r = SharedRegistries.get();
        RegistryPusher pusher = new RegistryPusher(r.anonymous().baseUrl());
        TestImages images = new TestImages(4242);
        for (int i = 0; i < 8; i++) {
            pusher.push("probe/app", "v" + i, images.ociImage(1, 256 + i, "linux", "amd64", null));
        }
        List<String> probes = new CopyOnWriteArrayList<>();
        // a proxy of its own: a host:port Ferry has never asked, whatever ran before in this JVM
        try (FaultyProxy source = new FaultyProxy(r.anonymous().hostPort(), 0, 0, 1).rule((method, path, nth) -> {
            if (path.contains("/referrers/")) {
                probes.add(method + " " + path);
            }
            return null;
        })) {
            Response sync = given().contentType("application/json").header("Prefer", "wait=60")
                    .body(Map.of("source", "docker://" + source.hostPort() + "/probe/app",
                            "destination", "docker://" + r.anonymous().hostPort() + "/probe-synced",
                            "srcTlsVerify", false, "destTlsVerify", false, "parallelImages", 8))
                    .post("/api/v1/sync");
            assertEquals(200, sync.statusCode(), sync.asString());
            JsonNode job = Attached.JSON.readTree(sync.asByteArray());
            assertEquals("succeeded", job.get("state").asText(), sync.asString());
            assertEquals(8, job.at("/result/images").size(), sync.asString());
            assertEquals(1, probes.size(), "referrers API requests to a registry that has none: " + probes);
        }
    }
}
