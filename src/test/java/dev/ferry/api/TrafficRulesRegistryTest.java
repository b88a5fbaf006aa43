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
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-registry traffic rules against a real registry, measured where the registry would see them: at a counting proxy
 * in front of it. The workloads ask for everything at once, so without the rules they would exceed the caps; the
 * assertions are upper bounds (and the lower bound on time the pacing implies), none depends on the machine's speed.
 */
@QuarkusTest
@TestProfile(TrafficRulesRegistryTest.Profile.class)
class TrafficRulesRegistryTest {
    static final int RATE = 2;
    static final int BURST = 1;
    static final int CONCURRENT = 2;

    /** Proxy ports, chosen once (system properties: the profile may load in more than one class loader). */
    static int port(String name) {
        synchronized (System.class) {
            String key = "trafficrulestest." + name;
            if (System.getProperty(key) == null) {
                try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                    System.setProperty(key, String.valueOf(s.getLocalPort()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return Integer.getInteger(key);
        }
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> c = new HashMap<>();
            String paced = "ferry.registries.\"127.0.0.1:" + port("paced") + "\".";
            c.put(paced + "requests-per-second", String.valueOf(RATE));
            c.put(paced + "request-burst", String.valueOf(BURST));
            c.put("ferry.registries.\"127.0.0.1:" + port("narrow") + "\".max-concurrent-requests", String.valueOf(CONCURRENT));
            String quota = "ferry.registries.\"127.0.0.1:" + port("quota") + "\".";
            c.put(quota + "rate-limit-floor", "5");
            c.put(quota + "rate-limit-max-wait", "3s");
            return c;
        }
    }

    private static FaultyProxy paced;
    private static FaultyProxy narrow;
    private static FaultyProxy quota;
    private static final List<Long> quotaArrivals = new CopyOnWriteArrayList<>();
    private static final List<Long> pacedArrivals = new CopyOnWriteArrayList<>();
    private static final TestImages.Image IMAGE = new TestImages(5151).ociImage(6, 256 * 1024);

    @BeforeAll
    static void start() throws IOException {
        RegistryProcess registry = SharedRegistries.get().anonymous();
        RegistryPusher pusher = new RegistryPusher(registry.baseUrl());
        pusher.push("traffic/app", "v1", IMAGE);
        pusher.push("traffic/limited", "v1", IMAGE);
        paced = new FaultyProxy(registry.hostPort(), 0, 0, 1, port("paced")).rule((method, path, nth) -> {
            pacedArrivals.add(System.nanoTime());
            if (path.equals("/v2/traffic/limited/manifests/v1") && nth == 1) {
                return new FaultyProxy.Fault.Status(429, Map.of("Retry-After", "1"));
            }
            return null;
        });
        narrow = new FaultyProxy(registry.hostPort(), 0, 0, 2, port("narrow"));
        // Docker Hub's quota headers on every manifest answer: 2 left (below the floor of 5) in a 2 s window
        quota = new FaultyProxy(registry.hostPort(), 0, 0, 3, port("quota")).rule((method, path, nth) -> {
            quotaArrivals.add(System.nanoTime());
            return path.contains("/manifests/") ? new FaultyProxy.Fault.AddHeaders(Map.of(
                    "RateLimit-Limit", "100;w=2", "RateLimit-Remaining", "2;w=2")) : null;
        });
    }

    @AfterAll
    static void stop() {
        paced.close();
        narrow.close();
        quota.close();
    }

    private static Response inspect(String image) {
        return given().contentType("application/json").body(Map.of("image", image, "tlsVerify", false)).post("/api/v1/inspect");
    }

    /** Runs {@code n} calls at once and checks each answered 200. */
    private static void atOnce(int n, java.util.function.IntFunction<Response> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Response>> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                all.add(pool.submit(() -> call.apply(k)));
            }
            for (Future<Response> f : all) {
                Response r = f.get();
                assertEquals(200, r.statusCode(), r.asString());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldHoldRequestsPerSecondUnderTheConfiguredCapAtTheRegistry() throws Exception {
        pacedArrivals.clear();
        long t0 = System.nanoTime();
        atOnce(10, i -> inspect("docker://" + paced.hostPort() + "/traffic/app:v1"));
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<Long> times = new ArrayList<>(pacedArrivals);
        times.sort(Long::compare);
        int peak = 0;
        for (int i = 0; i < times.size(); i++) {
            int inWindow = 0;
            for (int j = i; j < times.size() && times.get(j) - times.get(i) < 1_000_000_000L; j++) {
                inWindow++;
            }
            peak = Math.max(peak, inWindow);
        }
        double span = (times.get(times.size() - 1) - times.get(0)) / 1e9;
        System.out.printf("traffic rules: %d requests reached the registry in %.2f s (%.2f/s on average), at most %d in any 1 s "
                + "window; cap %d/s, burst %d; 10 inspects took %.2f s%n", times.size(), span, (times.size() - 1) / span, peak,
                RATE, BURST, seconds);
        assertTrue(times.size() >= 10, "every inspect reached the registry: " + times.size());
        // Ferry starts at most burst + rate * 1 s in any second (TrafficRulesTest proves that on a controlled clock);
        // requests sent 1/rate = 500 ms apart can reach the proxy bunched only by the delays between Ferry and the
        // proxy on a loaded machine: the tolerance of two requests covers up to a second of such jitter. Without the
        // rule all of them would arrive at once.
        int tolerance = 2;
        assertTrue(peak <= BURST + RATE + tolerance, "at most " + (BURST + RATE + tolerance) + " requests in any second, saw " + peak);
        assertTrue(span >= (times.size() - BURST - 1) / (double) RATE * 0.9,
                "pacing spreads " + times.size() + " requests over at least " + (times.size() - BURST - 1) / (double) RATE + " s: " + span);
    }

    @Test
    void shouldWaitForTheQuotaWindowInsteadOfFailingWhenRateLimitRemainingIsBelowTheFloor() {
        Response first = inspect("docker://" + quota.hostPort() + "/traffic/app:v1");
        assertEquals(200, first.statusCode(), first.asString());
        long answered = System.nanoTime();
        int before = quotaArrivals.size();
        Response second = inspect("docker://" + quota.hostPort() + "/traffic/app:v1");
        assertEquals(200, second.statusCode(), second.asString());
        assertEquals(IMAGE.digest(), second.jsonPath().getString("Digest"));
        long firstRequest = quotaArrivals.get(before);
        assertTrue(firstRequest - answered >= 1_500_000_000L,
                "the next request waited for the 2 s window (after the answer that said 2 remain): "
                        + (firstRequest - answered) / 1_000_000 + " ms");
    }

    @Test
    void shouldStillHonourA429sRetryAfterUnderTheRules() {
        long t0 = System.nanoTime();
        Response r = inspect("docker://" + paced.hostPort() + "/traffic/limited:v1");
        assertEquals(200, r.statusCode(), r.asString());
        assertEquals(IMAGE.digest(), r.jsonPath().getString("Digest"));
        assertTrue(System.nanoTime() - t0 >= 1_000_000_000L, "waited for Retry-After: 1");
    }

    @Test
    void shouldKeepConcurrentRequestsToTheRegistryUnderTheCapIncludingBlobDownloads() throws Exception {
        narrow.maxInFlight.set(0);
        atOnce(12, i -> inspect("docker://" + narrow.hostPort() + "/traffic/app:v1"));
        // The proxy sees a request end only after its last byte went out, and Ferry may have read it and sent the next
        // request by then: the proxy can count one more than Ferry has in flight. Without the rule: up to 12.
        assertTrue(narrow.maxInFlight.get() <= CONCURRENT + 1, "at most " + CONCURRENT + " (+1) at once, saw " + narrow.maxInFlight.get());

        // a copy of six layers out of the capped registry (into another): the downloads hold their permits until read
        try (RegistryProcess destination = RegistryProcess.anonymous()) {
            narrow.maxInFlight.set(0);
            Response copy = given().contentType("application/json").header("Prefer", "wait=60")
                    .body(Map.of("source", narrow.hostPort() + "/traffic/app:v1", "destination", destination.hostPort() + "/copied/app:v1",
                            "srcTlsVerify", false, "destTlsVerify", false))
                    .post("/api/v1/copy");
            assertEquals(200, copy.statusCode(), copy.asString());
            assertEquals("succeeded", copy.jsonPath().getString("state"), copy.asString());
            assertEquals(7, copy.jsonPath().getInt("result.blobsCopied"), "six layers and the config were streamed");
            assertTrue(narrow.maxInFlight.get() <= CONCURRENT + 1, "at most " + CONCURRENT + " (+1) at once, saw " + narrow.maxInFlight.get());
            System.out.printf("traffic rules: at most %d requests in flight at the capped registry (cap %d) during a six-layer copy%n",
                    narrow.maxInFlight.get(), CONCURRENT);
            assertArrayEquals(IMAGE.manifest(), Skopeo.inspectRaw("docker://" + destination.hostPort() + "/copied/app:v1"));
        }
    }
}
