package dev.ferry.registry.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.config.FerryConfig;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/** The registry traffic rules on a clock this test controls: nothing here depends on how fast the machine is. */
class TrafficRulesTest {
    private static final long SECOND = 1_000_000_000L;

    /** A clock that moves only when told, and the tasks scheduled on it. */
    static final class ManualTime implements TrafficRules.Scheduler {
        private record Task(long at, long seq, Runnable run) {
        }

        long now = 123_456_789L; // not 0: the rules must not assume the clock starts anywhere
        private long seq;
        private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));

        @Override
        public void after(long nanos, Runnable task) {
            tasks.add(new Task(now + nanos, seq++, task));
        }

        /** Moves the clock to each due task in turn, up to {@code now + nanos}, running them. */
        void advance(long nanos) {
            long end = now + nanos;
            while (!tasks.isEmpty() && tasks.peek().at <= end) {
                Task t = tasks.poll();
                now = Math.max(now, t.at);
                t.run.run();
            }
            now = end;
        }
    }

    record Rules(OptionalInt maxConcurrentRequests, OptionalDouble requestsPerSecond, int requestBurst, OptionalInt rateLimitFloor,
                 Duration rateLimitMaxWait) implements FerryConfig.RegistrySettings {
        @Override
        public Optional<String> username() {
            return Optional.empty();
        }

        @Override
        public Optional<String> password() {
            return Optional.empty();
        }

        @Override
        public Optional<String> passwordFile() {
            return Optional.empty();
        }

        @Override
        public Optional<String> caFile() {
            return Optional.empty();
        }

        @Override
        public OptionalInt maxConcurrentJobs() {
            return OptionalInt.empty();
        }
    }

    private static Rules rate(double rps, int burst) {
        return new Rules(OptionalInt.empty(), OptionalDouble.of(rps), burst, OptionalInt.empty(), Duration.ofMinutes(15));
    }

    @Test
    void shouldNeverStartMoreThanBurstPlusRateTimesTheWindowInAnyWindow() {
        ManualTime time = new ManualTime();
        TrafficRules rules = new TrafficRules(Map.of("registry.example.com", rate(5, 2)), () -> time.now, time);
        TrafficRules.Host host = rules.rulesFor("registry.example.com", "registry.example.com", "registry.example.com");
        List<Long> started = new ArrayList<>();
        for (int i = 0; i < 60; i++) { // 60 requests asked for at the same instant: without the rule all would start now
            rules.admit(host, true).onSuccess(release -> {
                started.add(time.now);
                release.run();
            });
        }
        assertEquals(2, started.size(), "the burst goes at once, the rest waits");
        time.advance(60 * SECOND);
        assertEquals(60, started.size());
        for (int i = 0; i < started.size(); i++) {
            int inWindow = 0;
            for (long t : started) {
                if (t >= started.get(i) && t < started.get(i) + SECOND) {
                    inWindow++;
                }
            }
            assertTrue(inWindow <= 2 + 5, "at most burst + rate requests start in one second, got " + inWindow);
        }
        long span = started.get(59) - started.get(0);
        assertTrue(span >= (60 - 2) * SECOND / 5, "58 requests beyond the burst take 58/5 s: " + span / 1e9);
    }

    @Test
    void shouldHoldRequestsBeyondTheConcurrencyCapUntilOneEnds() {
        ManualTime time = new ManualTime();
        TrafficRules rules = new TrafficRules(Map.of("r:5000", new Rules(OptionalInt.of(2), OptionalDouble.empty(), 1,
                OptionalInt.empty(), Duration.ofMinutes(1))), () -> time.now, time);
        TrafficRules.Host host = rules.rulesFor("r:5000", "r:5000", "r:5000");
        List<Future<Runnable>> asked = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            asked.add(rules.admit(host, true));
        }
        assertEquals(2, asked.stream().filter(Future::succeeded).count());
        Future<Runnable> upload = rules.admit(host, false);
        assertTrue(upload.succeeded(), "a streamed upload takes no permit (its bytes come from a download holding one)");
        asked.get(0).result().run();
        asked.get(0).result().run(); // twice is once
        assertEquals(3, asked.stream().filter(Future::succeeded).count());
        asked.get(1).result().run();
        asked.get(2).result().run();
        assertEquals(5, asked.stream().filter(Future::succeeded).count(), "waiters are served in order as permits free up");
    }

    @Test
    void shouldWaitForTheQuotaWindowWhenRateLimitRemainingIsBelowTheFloor() {
        ManualTime time = new ManualTime();
        TrafficRules rules = new TrafficRules(Map.of("docker.io", new Rules(OptionalInt.empty(), OptionalDouble.empty(), 1,
                OptionalInt.of(10), Duration.ofSeconds(120))), () -> time.now, time);
        // Docker Hub is named docker.io and answers as registry-1.docker.io
        TrafficRules.Host hub = rules.rulesFor("registry-1.docker.io", "docker.io", "registry-1.docker.io");
        assertNotNull(hub);
        assertNull(rules.rulesFor("auth.docker.io", "docker.io", "registry-1.docker.io"), "the token service is another host");

        rules.observe(hub, "76;w=21600", null);
        assertTrue(rules.admit(hub, true).succeeded(), "76 left: above the floor, no wait");

        rules.observe(hub, "9;w=60", null);
        Future<Runnable> next = rules.admit(hub, true);
        assertFalse(next.isComplete(), "9 left, below the floor of 10: the next request waits");
        time.advance(59 * SECOND);
        assertFalse(next.isComplete());
        time.advance(SECOND);
        assertTrue(next.succeeded(), "it goes when the 60 s window has passed");

        rules.observe(hub, "0;w=21600", "30");
        Future<Runnable> afterReset = rules.admit(hub, true);
        time.advance(29 * SECOND);
        assertFalse(afterReset.isComplete());
        time.advance(SECOND);
        assertTrue(afterReset.succeeded(), "RateLimit-Reset says when the window resets");

        rules.observe(hub, "0;w=21600", null);
        Future<Runnable> bounded = rules.admit(hub, true);
        time.advance(120 * SECOND);
        assertTrue(bounded.succeeded(), "a six-hour window is waited for at most rate-limit-max-wait (120 s)");

        rules.observe(hub, "garbage", null);
        assertTrue(rules.admit(hub, true).succeeded(), "an unreadable header changes nothing");
    }

    @Test
    void shouldLeaveHostsWithoutRulesAlone() {
        ManualTime time = new ManualTime();
        TrafficRules rules = new TrafficRules(Map.of("plain.example.com", new Rules(OptionalInt.empty(), OptionalDouble.empty(), 1,
                OptionalInt.empty(), Duration.ofMinutes(1))), () -> time.now, time);
        assertFalse(rules.any());
        assertNull(rules.rulesFor("plain.example.com", "plain.example.com", "plain.example.com"));
        assertTrue(rules.admit(null, true).succeeded());
    }

    @Test
    void shouldRefuseNonsenseRulesAtStartup() {
        assertThrows(IllegalStateException.class, () -> new TrafficRules(Map.of("r", rate(0, 1)), () -> 0, (n, t) -> { }));
        assertThrows(IllegalStateException.class, () -> new TrafficRules(Map.of("r", rate(1, 0)), () -> 0, (n, t) -> { }));
        assertThrows(IllegalStateException.class, () -> new TrafficRules(Map.of("r", new Rules(OptionalInt.of(0), OptionalDouble.empty(), 1,
                OptionalInt.empty(), Duration.ofMinutes(1))), () -> 0, (n, t) -> { }));
    }
}
