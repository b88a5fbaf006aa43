package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.SilentPeer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A registry that accepts the connection and never answers (BAD-INPUT "time" rule, row 34 "never finishes
 * headers"): synchronous calls answer 504 within the synchronous-call deadline, a job's requests time out after the
 * first-byte timeout, and a cancel lets go of the registry at once. The timeouts are configured short (3 s deadline,
 * 1 s first byte), so nothing here races the machine: each bound is far from the time it takes otherwise (minutes).
 */
@QuarkusTest
@TestProfile(DeadlineTest.Short.class)
class DeadlineTest {

    public static class Short implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.http.synchronous-deadline", "3s", "ferry.http.first-byte-timeout", "1s");
        }
    }

    @Test
    void shouldAnswerAnInspectOfASilentRegistryWith504WithinTheDeadline() throws Exception {
        try (SilentPeer peer = new SilentPeer()) {
            long started = System.nanoTime();
            given().contentType("application/json")
                    .body(Map.of("image", peer.hostPort() + "/silent/app:1", "tlsVerify", false, "retryTimes", 20))
                    .post("/api/v1/inspect").then().statusCode(504)
                    .contentType("application/problem+json")
                    .body("type", equalTo("urn:ferry:problem:registry-timeout"))
                    .body("detail", containsString("3 s deadline"))
                    .body("detail", containsString(peer.hostPort()))
                    .body("detail", containsString("reading manifest 1"))
                    .body("detail", not(containsString("Exception")));
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            // 20 retries of 1 s each would take over 20 s; the deadline ends it at 3 s
            assertTrue(tookMs >= 3000 && tookMs < 15_000, "answered after " + tookMs + " ms");
            assertTrue(peer.requests() >= 1, "the registry was asked");
        }
    }

    @Test
    void shouldAnswerAListTagsOfASilentRegistryWith504() throws Exception {
        try (SilentPeer peer = new SilentPeer()) {
            given().contentType("application/json")
                    .body(Map.of("repository", peer.hostPort() + "/silent/app", "tlsVerify", false, "retryTimes", 20))
                    .post("/api/v1/list-tags").then().statusCode(504)
                    .body("type", equalTo("urn:ferry:problem:registry-timeout"))
                    .body("detail", containsString("list-tags"))
                    .body("detail", containsString(peer.hostPort()));
        }
    }

    @Test
    void shouldAnswerTheDeletePlanningOfASilentRegistryWith504() throws Exception {
        try (SilentPeer peer = new SilentPeer()) {
            given().contentType("application/json")
                    .body(Map.of("image", peer.hostPort() + "/silent/app:1", "tlsVerify", false, "retryTimes", 20))
                    .post("/api/v1/delete").then().statusCode(504)
                    .body("type", equalTo("urn:ferry:problem:registry-timeout"))
                    .body("detail", containsString("planning the delete"))
                    .body("detail", containsString(peer.hostPort()));
        }
    }

    @Test
    void shouldFailACopyFromASilentRegistryAfterTheFirstByteTimeouts() throws Exception {
        try (SilentPeer peer = new SilentPeer()) {
            Response r = given().contentType("application/json").header("Prefer", "wait=60")
                    .body(Map.of("source", peer.hostPort() + "/silent/app:1", "destination", peer.hostPort() + "/silent/copy:1",
                            "srcTlsVerify", false, "destTlsVerify", false, "retryTimes", 1))
                    .post("/api/v1/copy");
            assertEquals(200, r.statusCode(), r.asString());
            assertEquals("failed", r.path("state"), r.asString());
            assertEquals("urn:ferry:problem:registry-timeout", r.path("error.type"), r.asString());
            assertTrue(r.<String>path("error.detail").contains("first-byte-timeout"), r.asString());
            assertTrue(peer.closedByClient() >= 2, "each timed-out request let go of its connection: " + peer.closedByClient());
        }
    }

    @Test
    void shouldCancelACopyStuckOnASilentRegistryWithinOneSecond() throws Exception {
        try (SilentPeer peer = new SilentPeer()) {
            // 20 retries of 1 s: stuck for well over 20 s unless the cancel aborts the request in flight
            Response submitted = given().contentType("application/json")
                    .body(Map.of("source", peer.hostPort() + "/silent/app:1", "destination", peer.hostPort() + "/silent/copy:1",
                            "srcTlsVerify", false, "destTlsVerify", false, "retryTimes", 20))
                    .post("/api/v1/copy");
            assertEquals(202, submitted.statusCode(), submitted.asString());
            String id = submitted.path("id");
            long waitUntil = System.nanoTime() + 30_000_000_000L;
            while (peer.requests() == 0 && System.nanoTime() < waitUntil) {
                Thread.sleep(20);
            }
            assertTrue(peer.requests() > 0, "the job is waiting for the registry");
            long started = System.nanoTime();
            Response cancelled = given().delete("/api/v1/jobs/" + id);
            long deleteMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals(200, cancelled.statusCode(), cancelled.asString());
            String state = cancelled.path("state");
            while (!"cancelled".equals(state) && System.nanoTime() - started < 5_000_000_000L) {
                Thread.sleep(20);
                state = given().get("/api/v1/jobs/" + id).path("state");
            }
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals("cancelled", state);
            assertTrue(tookMs < 1000, "cancelled " + tookMs + " ms after the DELETE (which answered after " + deleteMs + " ms)");
        }
    }
}
