package dev.ferry.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.FaultyProxy;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.PostgresCluster;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Per-registry traffic rules hold across replicas: two Ferry processes on one PostgreSQL, both configured with a
 * registry's cluster-wide max-concurrent-requests and requests-per-second, each take their share (by rank among the
 * live replicas), so the registry sees the configured limits, not twice them. Measured at a proxy in front of a real
 * registry.
 */
class ClusterLimitsIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int CONCURRENT = 6;
    private static final int RATE = 8;
    private static final int BURST = 2;

    @Test
    void shouldHoldAConcurrencyAndRateLimitAcrossTwoReplicas() throws Exception {
        TestImages.Image image = new TestImages(77).ociImage(1, 64 * 1024);
        Path dir = Files.createTempDirectory("ferry-cluster-limits");
        List<Long> pacedArrivals = new CopyOnWriteArrayList<>();
        try (PostgresCluster pg = PostgresCluster.start();
             RegistryProcess registry = RegistryProcess.anonymous();
             FaultyProxy narrow = new FaultyProxy(registry.hostPort(), 0, 0, 1);
             FaultyProxy paced = new FaultyProxy(registry.hostPort(), 0, 0, 2).rule((method, path, nth) -> {
                 pacedArrivals.add(System.nanoTime());
                 return null;
             })) {
            new RegistryPusher(registry.baseUrl()).push("limits/app", "v1", image);
            Path work = dir.resolve("work");
            Files.createDirectories(work.resolve("config"));
            // a properties file: the colon of host:port is escaped in keys
            String n = narrow.hostPort().replace(":", "\\:");
            String p = paced.hostPort().replace(":", "\\:");
            Files.writeString(work.resolve("config/application.properties"), String.join("\n",
                    "ferry.registries.\"" + n + "\".max-concurrent-requests=" + CONCURRENT,
                    "ferry.registries.\"" + p + "\".requests-per-second=" + RATE,
                    "ferry.registries.\"" + p + "\".request-burst=" + BURST, ""));
            FerryProcess a = FerryProcess.start(dir.resolve("a"), work, dir.resolve("a.log"), env(pg, "replica-a"));
            FerryProcess b = FerryProcess.start(dir.resolve("b"), work, dir.resolve("b.log"), env(pg, "replica-b"));
            try {
                // both replicas see each other (within a heartbeat)
                awaitLog(dir.resolve("a.log"), "2 live replicas on the store, rank 1");
                awaitLog(dir.resolve("b.log"), "2 live replicas on the store, rank 2");

                narrow.maxInFlight.set(0);
                atOnce(24, i -> inspect(i % 2 == 0 ? a : b, "docker://" + narrow.hostPort() + "/limits/app:v1"));
                int seen = narrow.maxInFlight.get();
                // and took half of each rule (logged when the registry client starts, before its first request)
                String shareA = awaitLog(dir.resolve("a.log"), "is 1 of 2 live replicas");
                String shareB = awaitLog(dir.resolve("b.log"), "is 2 of 2 live replicas");
                assertTrue(shareA.contains("max-concurrent-requests 3 of 6"), shareA);
                assertTrue(shareB.contains("max-concurrent-requests 3 of 6"), shareB);
                assertTrue(shareA.contains("requests-per-second 4.000 of 8.0"), shareA);
                System.out.printf("cluster traffic rules: at most %d requests in flight at the registry from two replicas "
                        + "(cluster cap %d; each replica alone may send %d)%n", seen, CONCURRENT, CONCURRENT);
                // the proxy counts a request until its last byte went out, when the replica may have sent its next one:
                // one more per replica than they have in flight. Without the shares: up to 2 x 6 = 12.
                assertTrue(seen <= CONCURRENT + 2, "at most " + CONCURRENT + " (+1 per replica) at once, saw " + seen);
                assertTrue(seen >= 3, "the calls did overlap: " + seen);

                pacedArrivals.clear();
                atOnce(12, i -> inspect(i % 2 == 0 ? a : b, "docker://" + paced.hostPort() + "/limits/app:v1"));
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
                System.out.printf("cluster traffic rules: %d requests from two replicas in %.2f s (%.2f/s), at most %d in any "
                        + "1 s window; cluster cap %d/s, burst %d (each replica alone: %d/s)%n", times.size(), span,
                        (times.size() - 1) / span, peak, RATE, BURST, RATE);
                // as TrafficRulesRegistryTest: two requests of tolerance for the delay between Ferry and the proxy.
                // Without the shares two replicas would send up to 2 x (8 + 2) in a second.
                assertTrue(times.size() >= 12, "every inspect reached the registry: " + times.size());
                assertTrue(peak <= BURST + RATE + 2, "at most " + (BURST + RATE + 2) + " requests in any second, saw " + peak);
                assertTrue(span >= (times.size() - BURST - 1) / (double) RATE * 0.9,
                        times.size() + " requests spread over at least " + (times.size() - BURST - 1) / (double) RATE + " s: " + span);
            } finally {
                a.kill();
                b.kill();
            }
        }
    }

    private static Map<String, String> env(PostgresCluster pg, String name) {
        return Map.of("FERRY_STORE", "postgresql", "FERRY_STORE_JDBC_URL", pg.jdbcUrl(), "FERRY_STORE_USERNAME", pg.username(),
                "FERRY_STORE_LEASE", "3s", "FERRY_STORE_HEARTBEAT", "500ms", "FERRY_STORE_POLL_INTERVAL", "200ms",
                "FERRY_STORE_REPLICA_ID", name);
    }

    /** The first line of {@code log} that contains {@code text}, waiting up to 30 s for it. */
    private static String awaitLog(Path log, String text) throws Exception {
        for (int i = 0; i < 300; i++) {
            for (String line : Files.readAllLines(log)) {
                if (line.contains(text)) {
                    return line;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no line with '" + text + "' in " + log + ":\n" + String.join("\n", Files.readAllLines(log)));
    }

    private static int inspect(FerryProcess ferry, String image) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(ferry.baseUrl() + "/api/v1/inspect"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"" + image + "\",\"tlsVerify\":false}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.statusCode();
    }

    @FunctionalInterface
    private interface Call {
        int run(int i) throws Exception;
    }

    private static void atOnce(int n, Call call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                all.add(pool.submit(() -> call.run(k)));
            }
            for (Future<Integer> f : all) {
                assertEquals(200, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
