package dev.ferry.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two Ferry processes on one PostgreSQL, both firing schedules every 100 ms: a policy on a 1-second interval gets
 * exactly one run per due time (the fenced next_due update; the unique (policy, due_at) key is the backstop, and no
 * replica ever ran into it), and its runs never overlap. Due times that found the previous run still active are
 * recorded as skipped; fired plus skipped due times are distinct.
 */
class PolicyReplicasIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Map<String, String> env(PostgresCluster pg, String name) {
        Map<String, String> e = new HashMap<>(Map.of("FERRY_STORE", "postgresql", "FERRY_STORE_JDBC_URL", pg.jdbcUrl(),
                "FERRY_STORE_USERNAME", pg.username(), "FERRY_STORE_LEASE", "5s", "FERRY_STORE_HEARTBEAT", "1s",
                "FERRY_STORE_POLL_INTERVAL", "100ms", "FERRY_STORE_REPLICA_ID", name, "FERRY_STORE_SHUTDOWN_GRACE", "1s"));
        e.put("FERRY_POLICIES_TICK", "100ms");
        return e;
    }

    private static HttpResponse<String> send(String method, String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldFireEachDueTimeOnceAcrossTwoReplicasAndNeverOverlapRuns() throws Exception {
        Path dir = Files.createTempDirectory("ferry-policy-replicas");
        try (PostgresCluster pg = PostgresCluster.start();
             RegistryProcess source = RegistryProcess.anonymous();
             RegistryProcess dest = RegistryProcess.anonymous()) {
            RegistryPusher pusher = new RegistryPusher(source.baseUrl());
            TestImages images = new TestImages(31);
            for (int i = 0; i < 3; i++) {
                pusher.push("rep/app", "v" + i, images.ociImage(1, 64 * 1024, "linux", "amd64", null));
            }
            FerryProcess a = FerryProcess.start(dir.resolve("a"), null, dir.resolve("a.log"), env(pg, "replica-a"));
            FerryProcess b = FerryProcess.start(dir.resolve("b"), null, dir.resolve("b.log"), env(pg, "replica-b"));
            try {
                String sync = "{\"source\":\"" + source.hostPort() + "/rep/app\",\"destination\":\"" + dest.hostPort()
                        + "/mirror\",\"srcTlsVerify\":false,\"destTlsVerify\":false}";
                HttpResponse<String> created = send("POST", a.baseUrl() + "/api/v1/policies",
                        "{\"name\":\"every-second\",\"sync\":" + sync + ",\"triggers\":{\"interval\":\"1s\"}}");
                assertEquals(201, created.statusCode(), created.body());
                Thread.sleep(8_000);
                HttpResponse<String> off = send("PUT", b.baseUrl() + "/api/v1/policies/every-second",
                        "{\"sync\":" + sync + ",\"enabled\":false}");
                assertEquals(200, off.statusCode(), off.body());
                // let the last run end
                for (int i = 0; i < 100 && active(pg) > 0; i++) {
                    Thread.sleep(100);
                }
                assertEquals(0, active(pg));

                record Run(Instant due, Instant started, Instant finished, String owner) {
                }
                List<Run> runs = new ArrayList<>();
                List<Instant> skipped = new ArrayList<>();
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), "");
                     Statement st = c.createStatement()) {
                    try (ResultSet rs = st.executeQuery("SELECT due_at, started_at, finished_at, owner, state FROM jobs "
                            + "WHERE policy = 'every-second' ORDER BY due_at")) {
                        while (rs.next()) {
                            assertEquals("succeeded", rs.getString(5));
                            runs.add(new Run(rs.getTimestamp(1).toInstant(), ts(rs, 2), ts(rs, 3), rs.getString(4)));
                        }
                    }
                    try (ResultSet rs = st.executeQuery("SELECT due_at FROM policy_skips WHERE policy = 'every-second'")) {
                        while (rs.next()) {
                            skipped.add(rs.getTimestamp(1).toInstant());
                        }
                    }
                }
                assertTrue(runs.size() >= 4, "a 1 s interval over 8 s: " + runs);
                List<Instant> dues = runs.stream().map(Run::due).toList();
                assertEquals(dues.size(), dues.stream().distinct().count(), "one run per due time: " + dues);
                for (Instant s : skipped) {
                    assertFalse(dues.contains(s), "a skipped due time started no run: " + s);
                }
                Instant first = dues.get(0);
                for (Instant d : dues) {
                    assertEquals(0, java.time.Duration.between(first, d).toMillis() % 1000, "on the 1 s grid: " + dues);
                }
                for (int i = 1; i < runs.size(); i++) {
                    assertFalse(runs.get(i).started().isBefore(runs.get(i - 1).finished()),
                            "run " + i + " started before run " + (i - 1) + " ended: " + runs);
                }
                for (FerryProcess f : List.of(a, b)) {
                    String log = f.tail();
                    assertFalse(log.contains("firing due time") && log.contains("failed"), log);
                }
                System.out.printf("two replicas, 1 s interval, 8 s: %d runs (%d run by replica-a), %d due times skipped%n",
                        runs.size(), runs.stream().filter(r -> "replica-a".equals(r.owner())).count(), skipped.size());
            } finally {
                a.close();
                b.close();
            }
        }
    }

    private static Instant ts(ResultSet rs, int i) throws java.sql.SQLException {
        Timestamp t = rs.getTimestamp(i);
        return t == null ? null : t.toInstant();
    }

    private static int active(PostgresCluster pg) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM jobs WHERE policy = 'every-second' AND state IN ('queued','running')")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
