package dev.ferry.registry.http;

import dev.ferry.config.FerryConfig;
import dev.ferry.limit.AsyncPermits;
import dev.ferry.limit.TokenBucket;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Per-registry traffic rules ({@code ferry.registries."HOST".max-concurrent-requests}, {@code requests-per-second},
 * {@code request-burst}, {@code rate-limit-floor}), applied to every request the transport sends to that registry,
 * whatever sent it (a policy run, a one-off job, an inspect). Per replica. In this order, a request
 * <ol>
 *   <li>waits while the registry's announced quota is below the floor (until its window resets, bounded),</li>
 *   <li>takes one of the registry's concurrent-request permits (released when the answer has been read),</li>
 *   <li>takes its token of the request rate, in order (waits for it: requests are paced, not refused).</li>
 * </ol>
 * Time comes from a clock and a scheduler passed in, so tests control it. Hosts without rules pass straight through.
 */
final class TrafficRules {
    private static final Runnable NOTHING = () -> { };
    private static final Pattern REMAINING = Pattern.compile("^\\s*(\\d+)\\s*(?:;\\s*w\\s*=\\s*(\\d+))?");

    /** Runs a task after a delay (Vert.x timers in Ferry, a controlled queue in tests). */
    interface Scheduler {
        void after(long nanos, Runnable task);
    }

    /** The rules of one registry and their state. */
    static final class Host {
        final String name;
        final AsyncPermits permits;
        final TokenBucket bucket;
        final Integer floor;
        final long maxWaitNanos;
        /** The configured (cluster-wide) values; a replica's share of them is in permits and bucket. */
        final int concurrent;
        final double perSecond;
        final int burst;
        volatile long pausedUntil;
        /** Requests waiting for a token, in order; a timer is pending for the head when pumpScheduled. */
        final java.util.ArrayDeque<Promise<Void>> pacing = new java.util.ArrayDeque<>();
        boolean pumpScheduled;
        volatile long announcedPause = Long.MIN_VALUE;

        Host(String name, FerryConfig.RegistrySettings s, long now) {
            this.name = name;
            this.permits = s.maxConcurrentRequests().isPresent() ? new AsyncPermits(positive(name, "max-concurrent-requests",
                    s.maxConcurrentRequests().getAsInt())) : null;
            if (s.requestsPerSecond().isPresent()) {
                double rps = s.requestsPerSecond().getAsDouble();
                if (!(rps > 0)) {
                    throw new IllegalStateException("ferry.registries.\"" + name + "\".requests-per-second must be positive");
                }
                this.bucket = new TokenBucket(rps, positive(name, "request-burst", s.requestBurst()), now);
            } else {
                this.bucket = null;
            }
            this.concurrent = permits == null ? 0 : permits.limit();
            this.perSecond = s.requestsPerSecond().orElse(0);
            this.burst = s.requestBurst();
            this.floor = s.rateLimitFloor().isPresent() ? s.rateLimitFloor().getAsInt() : null;
            this.maxWaitNanos = s.rateLimitMaxWait().toNanos();
            this.pausedUntil = now;
        }

        boolean passive() {
            return permits == null && bucket == null && floor == null;
        }

        private static int positive(String host, String property, int v) {
            if (v < 1) {
                throw new IllegalStateException("ferry.registries.\"" + host + "\"." + property + " must be at least 1");
            }
            return v;
        }
    }

    private final Map<String, FerryConfig.RegistrySettings> settings;
    private final LongSupplier clock;
    private final Scheduler scheduler;
    private final Map<String, Host> hosts = new ConcurrentHashMap<>();

    TrafficRules(Map<String, FerryConfig.RegistrySettings> settings, LongSupplier nanoClock, Scheduler scheduler) {
        this.settings = settings;
        this.clock = nanoClock;
        this.scheduler = scheduler;
        long now = nanoClock.getAsLong();
        settings.forEach((host, s) -> {
            Host h = new Host(host, s, now);
            if (!h.passive()) {
                hosts.put(host.toLowerCase(Locale.ROOT), h);
            }
        });
    }

    /**
     * The rules for a request to {@code authority} (host[:port] of the URL) of the registry {@code registry} (as the
     * reference names it, e.g. {@code docker.io} for {@code registry-1.docker.io}), or null when none apply.
     */
    Host rulesFor(String authority, String registry, String endpoint) {
        if (hosts.isEmpty() || authority == null) {
            return null;
        }
        Host h = hosts.get(authority.toLowerCase(Locale.ROOT));
        if (h == null && registry != null && authority.equalsIgnoreCase(endpoint)) {
            h = hosts.get(registry.toLowerCase(Locale.ROOT));
        }
        return h;
    }

    /**
     * Completes (with the release to run when the answer has been read) once {@code host}'s rules let a request go;
     * {@code counted}: whether it takes a concurrent-request permit. A null host passes at once.
     */
    Future<Runnable> admit(Host host, boolean counted) {
        if (host == null) {
            return Future.succeededFuture(NOTHING);
        }
        return afterPause(host).compose(v -> counted && host.permits != null ? host.permits.acquire() : Future.succeededFuture(NOTHING))
                .compose(release -> paced(host).map(v -> release));
    }

    private Future<Void> afterPause(Host host) {
        long now = clock.getAsLong();
        long until = host.pausedUntil;
        if (until - now <= 0) {
            return Future.succeededFuture();
        }
        if (host.announcedPause != until) {
            host.announcedPause = until;
            Log.infof("registry %s: its quota is below ferry.registries.\"%s\".rate-limit-floor=%d; requests wait %d s for "
                    + "the window to reset", host.name, host.name, host.floor, Math.max(1, (until - now) / 1_000_000_000L));
        }
        Promise<Void> p = Promise.promise();
        scheduler.after(until - now, () -> afterPause(host).onComplete(p));
        return p.future();
    }

    /**
     * Waits for the request's token, in the order requests asked. The token is taken when the request is about to go
     * (not reserved ahead), so a timer that fires late cannot release a bunch of requests at once: the bound holds at
     * the moment requests are sent.
     */
    private Future<Void> paced(Host host) {
        if (host.bucket == null) {
            return Future.succeededFuture();
        }
        Promise<Void> p = Promise.promise();
        synchronized (host) {
            host.pacing.add(p);
        }
        pump(host);
        return p.future();
    }

    private void pump(Host host) {
        List<Promise<Void>> go = new ArrayList<>();
        long wait = 0;
        synchronized (host) {
            while (!host.pacing.isEmpty()) {
                wait = host.bucket.tryTake(clock.getAsLong());
                if (wait > 0) {
                    break;
                }
                go.add(host.pacing.poll());
            }
            if (wait > 0 && !host.pumpScheduled) {
                host.pumpScheduled = true;
            } else {
                wait = 0;
            }
        }
        go.forEach(Promise::complete);
        if (wait > 0) {
            scheduler.after(wait, () -> {
                synchronized (host) {
                    host.pumpScheduled = false;
                }
                pump(host);
            });
        }
    }

    /**
     * Reads a registry's quota headers from an answer: {@code RateLimit-Remaining: N[;w=SECONDS]} below the floor
     * pauses the registry's next requests until {@code RateLimit-Reset} seconds (if sent) or the window {@code w}
     * from now, at most {@code rate-limit-max-wait}.
     */
    void observe(Host host, String remainingHeader, String resetHeader) {
        if (host == null || host.floor == null || remainingHeader == null) {
            return;
        }
        Matcher m = REMAINING.matcher(remainingHeader);
        if (!m.find()) {
            return;
        }
        long remaining;
        try {
            remaining = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return;
        }
        if (remaining >= host.floor) {
            return;
        }
        Long seconds = parseSeconds(resetHeader);
        if (seconds == null && m.group(2) != null) {
            seconds = parseSeconds(m.group(2));
        }
        long wait = seconds == null ? host.maxWaitNanos : Math.min(host.maxWaitNanos, Duration.ofSeconds(seconds).toNanos());
        long until = clock.getAsLong() + wait;
        if (until - host.pausedUntil > 0) {
            host.pausedUntil = until;
        }
    }

    private static Long parseSeconds(String v) {
        if (v == null) {
            return null;
        }
        try {
            long s = Long.parseLong(v.trim());
            return s < 0 ? null : s;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Takes this replica's share of every registry's concurrency and rate: {@link dev.ferry.limit.ClusterShare#of} of
     * {@code max-concurrent-requests} and {@code request-burst}, and {@code requests-per-second / members}, so the
     * replicas of one store together stay within what is configured. Called when the live replicas change.
     */
    void share(int rank, int members) {
        long now = clock.getAsLong();
        for (Host h : hosts.values()) {
            if (h.permits != null) {
                h.permits.setLimit(dev.ferry.limit.ClusterShare.of(h.concurrent, rank, members));
            }
            if (h.bucket != null) {
                h.bucket.setRate(h.perSecond / members, dev.ferry.limit.ClusterShare.of(h.burst, rank, members), now);
            }
        }
        if (!hosts.isEmpty()) {
            StringBuilder what = new StringBuilder();
            for (Host h : hosts.values()) {
                if (h.permits != null || h.bucket != null) {
                    what.append(what.length() == 0 ? "" : "; ").append(h.name).append(':');
                    if (h.permits != null) {
                        what.append(" max-concurrent-requests ").append(h.permits.limit()).append(" of ").append(h.concurrent);
                    }
                    if (h.bucket != null) {
                        what.append(String.format(java.util.Locale.ROOT, " requests-per-second %.3f of %s",
                                h.perSecond / members, h.perSecond));
                    }
                }
            }
            Log.infof("traffic rules: this replica is %d of %d live replicas; its share: %s", rank + 1, members, what);
        }
    }

    /** Whether any registry has rules (no rules: the transport skips all of this). */
    boolean any() {
        return !hosts.isEmpty();
    }
}
