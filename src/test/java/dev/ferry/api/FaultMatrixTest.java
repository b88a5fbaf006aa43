package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.FaultyProxy;
import dev.ferry.testing.FaultyProxy.Fault;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fault matrix (issue 8, BAD-INPUT rows 15-20, 23, 24, 34), each cell one copy through a fault-injecting proxy in
 * front of a real registry, and its expected outcome:
 * <table>
 *   <tr><th>cell</th><th>fault</th><th>expected</th></tr>
 *   <tr><td>STATUS_500..504</td><td>manifest GET answered 500/502/503/504 once</td><td>retried; succeeds</td></tr>
 *   <tr><td>RETRY_AFTER_SECONDS / _DATE</td><td>429 with Retry-After: 1 / an HTTP-date</td><td>waits, retries; succeeds</td></tr>
 *   <tr><td>RESET_GET_10/50/90</td><td>blob download cut at 10/50/90 %</td><td>resumed with Range; succeeds</td></tr>
 *   <tr><td>RESET_UPLOAD</td><td>blob upload's connection dropped before the answer</td><td>blob sent again; succeeds</td></tr>
 *   <tr><td>RESUME_416</td><td>download cut, its Range request answered 416</td><td>blob restarts from 0; succeeds</td></tr>
 *   <tr><td>RESUME_200</td><td>download cut, its Range request answered 200 (whole blob)</td><td>not stitched; restarts; succeeds</td></tr>
 *   <tr><td>WRONG_CONTENT_RANGE</td><td>download cut, resumed 206 with a Content-Range off by 7</td><td>not stitched; restarts; succeeds</td></tr>
 *   <tr><td>STALL_MID_BODY</td><td>download stops sending halfway (connection open)</td><td>idle timeout; resumed; succeeds</td></tr>
 *   <tr><td>CORRUPT_BYTE</td><td>one byte of a layer flipped, on every download</td><td>job fails digest-mismatch; no manifest pushed</td></tr>
 * </table>
 * Successful cells end with the destination's manifest byte-identical to the source (skopeo reads it). Then the
 * soak: 100 copies of distinct small images with 15 % of requests faulted (seeded), 100/100 with the source digests,
 * and the bytes downloaded again per resume reported. Timeouts are configured short (idle 1 s) so nothing waits long.
 */
@QuarkusTest
@TestProfile(FaultMatrixTest.ShortTimeouts.class)
class FaultMatrixTest {
    public static class ShortTimeouts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.http.idle-timeout", "1s", "ferry.http.first-byte-timeout", "5s", "ferry.jobs.max-running", "8");
        }
    }

    enum Cell {
        STATUS_500, STATUS_502, STATUS_503, STATUS_504, RETRY_AFTER_SECONDS, RETRY_AFTER_DATE,
        RESET_GET_10, RESET_GET_50, RESET_GET_90, RESET_UPLOAD, RESUME_416, RESUME_200, WRONG_CONTENT_RANGE, STALL_MID_BODY,
        CORRUPT_BYTE
    }

    private static final TestImages IMAGES = new TestImages(8118);
    private static RegistryProcess dest;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL base;

    @BeforeAll
    static void destination() {
        dest = RegistryProcess.anonymous();
    }

    @AfterAll
    static void stop() {
        dest.close();
    }

    /** The fault of {@code cell} for the nth request to {@code path}, or null. */
    private static Fault fault(Cell cell, String method, String path, int nth, String layer) {
        boolean manifest = path.contains("/manifests/") && "GET".equals(method);
        boolean layerGet = path.endsWith(layer) && "GET".equals(method);
        return switch (cell) {
            case STATUS_500, STATUS_502, STATUS_503, STATUS_504 -> manifest && nth == 1
                    ? new Fault.Status(Integer.parseInt(cell.name().substring(7)), Map.of()) : null;
            case RETRY_AFTER_SECONDS -> manifest && nth == 1 ? new Fault.Status(429, Map.of("Retry-After", "1")) : null;
            case RETRY_AFTER_DATE -> manifest && nth == 1 ? new Fault.Status(429, Map.of("Retry-After",
                    DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(2)))) : null;
            case RESET_GET_10 -> layerGet && nth == 1 ? new Fault.CutAt(0.1) : null;
            case RESET_GET_50 -> layerGet && nth == 1 ? new Fault.CutAt(0.5) : null;
            case RESET_GET_90 -> layerGet && nth == 1 ? new Fault.CutAt(0.9) : null;
            case RESET_UPLOAD -> null; // on the destination's proxy, see below
            case RESUME_416 -> layerGet ? (nth == 1 ? new Fault.CutAt(0.5) : nth == 2 ? new Fault.Status(416, Map.of()) : null) : null;
            case RESUME_200 -> layerGet ? (nth == 1 ? new Fault.CutAt(0.5) : nth == 2 ? new Fault.WrongRange(0) : null) : null;
            case WRONG_CONTENT_RANGE -> layerGet ? (nth == 1 ? new Fault.CutAt(0.5) : nth == 2 ? new Fault.WrongRange(7) : null) : null;
            case STALL_MID_BODY -> layerGet && nth == 1 ? new Fault.StallAt(0.5) : null;
            case CORRUPT_BYTE -> layerGet ? new Fault.CorruptByte(1000) : null;
        };
    }

    @ParameterizedTest
    @EnumSource(Cell.class)
    void shouldReachTheExpectedOutcome(Cell cell) throws Exception {
        TestImages.Image image = IMAGES.ociImage(2, 64 * 1024, "linux", "amd64", null);
        String repo = "matrix/" + cell.name().toLowerCase().replace('_', '-');
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push(repo, "v1", image);
        String layer = image.layers().get(0).digest();
        // each upload has its own session URL: the first blob PUT of all is the one dropped
        java.util.concurrent.atomic.AtomicInteger puts = new java.util.concurrent.atomic.AtomicInteger();
        try (FaultyProxy source = new FaultyProxy(SharedRegistries.get().anonymous().hostPort(), 0, 0, 1)
                .rule((method, path, nth) -> fault(cell, method, path, nth, layer));
             FaultyProxy destination = new FaultyProxy(dest.hostPort(), 0, 0, 2)
                     .rule((method, path, nth) -> cell == Cell.RESET_UPLOAD && "PUT".equals(method) && path.contains("/blobs/uploads/")
                             && puts.incrementAndGet() == 1 ? new Fault.DropBeforeAnswer() : null)) {
            Response r = given().contentType("application/json").header("Prefer", "wait=120")
                    .body(Map.of("source", source.hostPort() + "/" + repo + ":v1", "destination", destination.hostPort() + "/" + repo + ":v1",
                            "srcTlsVerify", false, "destTlsVerify", false))
                    .post("/api/v1/copy");
            assertEquals(200, r.statusCode(), r.asString());
            if (cell == Cell.CORRUPT_BYTE) {
                assertEquals("failed", r.path("state"), r.asString());
                assertEquals("urn:ferry:problem:digest-mismatch", r.path("error.type"), r.asString());
                assertEquals(404, new RegistryPusher(dest.baseUrl()).get("/v2/" + repo + "/manifests/v1",
                        Map.of("Accept", TestImages.OCI_MANIFEST)).statusCode(), "no manifest after a corrupted blob");
                return;
            }
            assertEquals("succeeded", r.path("state"), cell + ": " + r.asString());
            assertArrayEquals(image.manifest(), Skopeo.inspectRaw("docker://" + dest.hostPort() + "/" + repo + ":v1"),
                    cell + ": the destination has the source's manifest, byte for byte");
            assertTrue(source.errors.get() + source.drops.get() + destination.drops.get() > 0, cell + ": the fault happened");
        }
    }

    @Test
    void shouldCompleteAHundredCopiesWithFifteenPercentOfRequestsFaulted() throws Exception {
        int copies = 100;
        List<TestImages.Image> sources = new ArrayList<>();
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        for (int i = 0; i < copies; i++) {
            TestImages.Image image = IMAGES.ociImage(2, 16 * 1024, "linux", "amd64", null);
            pusher.push("soak/app" + i, "v1", image);
            sources.add(image);
        }
        long needed = sources.stream().flatMap(i -> i.layers().stream()).mapToLong(TestImages.Blob::size).sum()
                + sources.stream().mapToLong(i -> i.config().size()).sum();
        Random seeded = new Random(15);
        long started = System.nanoTime();
        try (FaultyProxy source = new FaultyProxy(SharedRegistries.get().anonymous().hostPort(), 0.15, 0.15, 3)
                .rule((method, path, nth) -> {
                    // besides 503/429, a reset at a random (seeded) offset for some blob downloads
                    synchronized (seeded) {
                        return path.contains("/blobs/") && "GET".equals(method) && seeded.nextDouble() < 0.05
                                ? new Fault.CutAt(0.05 + 0.9 * seeded.nextDouble()) : null;
                    }
                });
             FaultyProxy destination = new FaultyProxy(dest.hostPort(), 0.15, 0.0, 4)) {
            List<String> jobs = new ArrayList<>();
            for (int i = 0; i < copies; i++) {
                Response r = given().contentType("application/json")
                        .body(Map.of("source", source.hostPort() + "/soak/app" + i + ":v1",
                                "destination", destination.hostPort() + "/soak/copy" + i + ":v1",
                                "srcTlsVerify", false, "destTlsVerify", false))
                        .post("/api/v1/copy");
                assertEquals(202, r.statusCode(), r.asString());
                jobs.add(r.path("id"));
            }
            int succeeded = 0;
            long resumes = 0;
            for (int i = 0; i < copies; i++) {
                String state = "queued";
                Response job = null;
                for (int wait = 0; wait < 12_000 && !List.of("succeeded", "failed", "cancelled").contains(state); wait++) {
                    Thread.sleep(50);
                    job = given().get("/api/v1/jobs/" + jobs.get(i));
                    state = job.path("state");
                }
                assertEquals("succeeded", state, "copy " + i + ": " + (job == null ? "" : job.asString()));
                succeeded++;
                assertArrayEquals(sources.get(i).manifest(), Skopeo.inspectRaw("docker://" + dest.hostPort() + "/soak/copy" + i + ":v1"),
                        "copy " + i + " has the source's digest");
                resumes += dev.ferry.testing.SseClient.read(base + "api/v1/jobs/" + jobs.get(i) + "/events", null,
                        java.time.Duration.ofSeconds(20)).events().stream().filter(e -> e.data().contains("resuming from byte")).count();
            }
            long extra = Math.max(0, source.blobBytesSent.get() - needed);
            System.out.printf("fault soak: %d/%d copies succeeded with the source digests in %d ms; %d faults answered, %d downloads"
                            + " cut, %d resumes; %d bytes sent beyond the %d needed (%d per resume)%n", succeeded, copies,
                    (System.nanoTime() - started) / 1_000_000, source.errors.get() + destination.errors.get(), source.drops.get(),
                    resumes, extra, needed, resumes == 0 ? 0 : extra / resumes);
            assertEquals(copies, succeeded);
            assertTrue(source.errors.get() + destination.errors.get() > 50, "faults were injected");
            assertTrue(resumes > 0, "cut downloads were resumed");
        }
    }
}
