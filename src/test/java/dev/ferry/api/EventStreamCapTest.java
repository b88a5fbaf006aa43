package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.SilentPeer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * BAD-INPUT row 31, the per-user connection cap: a caller holding {@code max-event-streams-per-caller} (here 3)
 * event streams open gets 429 {@code too-many-event-streams} for one more, and a stream whose client goes away gives
 * its place back. The job stays running throughout (its source never answers), so no stream ends on its own.
 */
@QuarkusTest
@TestProfile(EventStreamCapTest.Three.class)
class EventStreamCapTest {
    public static class Three implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.jobs.max-event-streams-per-caller", "3");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @jakarta.inject.Inject
    EventStreamCap cap;

    @Test
    void shouldRefuseOneStreamTooManyAndFreeThePlaceOfAClosedOne() throws Exception {
        try (SilentPeer peer = new SilentPeer()) {
            Response submitted = given().contentType("application/json")
                    .body(Map.of("source", peer.hostPort() + "/silent/app:1", "destination", peer.hostPort() + "/silent/copy:1",
                            "srcTlsVerify", false, "destTlsVerify", false, "retryTimes", 20))
                    .post("/api/v1/copy");
            assertEquals(202, submitted.statusCode(), submitted.asString());
            String id = submitted.path("id");
            HttpClient http = HttpClient.newHttpClient();
            List<InputStream> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    HttpResponse<InputStream> r = open(http, id);
                    assertEquals(200, r.statusCode(), "stream " + (i + 1) + " of 3 is allowed");
                    held.add(r.body());
                }
                HttpResponse<InputStream> fourth = open(http, id);
                String body = new String(fourth.body().readAllBytes());
                assertEquals(429, fourth.statusCode(), body);
                assertEquals("application/problem+json", fourth.headers().firstValue("Content-Type").orElse(""));
                assertEquals("5", fourth.headers().firstValue("Retry-After").orElse(""));
                assertTrue(body.contains("urn:ferry:problem:too-many-event-streams"), body);
                assertTrue(body.contains("max-event-streams-per-caller"), body);

                // the other calls of the same caller are not limited by its open streams
                given().get("/api/v1/jobs/" + id).then().statusCode(200);

                held.remove(0).close();
                // the server sees the client go away when it next writes or the connection closes: wait for it,
                // bounded by the test's own timeout rather than by a guess at the machine's speed
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                HttpResponse<InputStream> again = null;
                while (System.nanoTime() < until) {
                    again = open(http, id);
                    if (again.statusCode() == 200) {
                        break;
                    }
                    again.body().close();
                    Thread.sleep(100);
                }
                assertEquals(200, again.statusCode(), "the closed stream's place was given back");
                held.add(again.body());
            } finally {
                for (InputStream in : held) {
                    in.close();
                }
                given().delete("/api/v1/jobs/" + id);
            }
        }
    }

    private HttpResponse<InputStream> open(HttpClient http, String id) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(base.resolve("/api/v1/jobs/" + id + "/events"))
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(30)).GET().build();
        return http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    }
}
