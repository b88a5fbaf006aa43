package dev.ferry.notify;

import dev.ferry.error.FerryException;
import dev.ferry.job.JobService;
import dev.ferry.registry.http.RetryPolicy;
import dev.ferry.security.OutboundGuard;
import dev.ferry.webhook.DeliverySignature;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Sends recorded notifications: claims due deliveries from the log (a lease, so two replicas never send the same
 * attempt), POSTs each one's CloudEvents document with {@code X-Ferry-Signature-256: sha256=<hex HMAC-SHA256 of the
 * body>} to the checked address of its URL (the outbound guard resolves and checks the host at every attempt; no
 * redirect is followed), records the attempt, and retries a failure with backoff (the registry client's
 * {@link RetryPolicy}, honouring {@code Retry-After}) up to {@code ferry.notifications.max-attempts}. A 2xx answer
 * is delivered; anything else, a timeout or a refused address is a failed attempt. Delivery is at least once: a
 * replica that dies mid-attempt leaves the delivery to be sent again when its lease ends.
 */
@ApplicationScoped
public class NotificationSender {
    private static final int CLAIM_BATCH = 32;
    private static final int MAX_ERROR = 300;

    private final NotificationSettings settings;
    private final NotificationDeliveries deliveries;
    private final OutboundGuard guard;
    private final Vertx vertx;
    private final Clock clock;
    private final JobService jobs;
    private final RetryPolicy retry;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ferry-notify");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean polling = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private volatile Function<NotificationDeliveries.Delivery, Notifications.SecretLookup> secrets;
    private volatile HttpClient client;
    private volatile boolean stopped;
    private long timer = -1;

    public NotificationSender(NotificationSettings settings, NotificationDeliveries deliveries, OutboundGuard guard, Vertx vertx,
                              Clock clock, JobService jobs) {
        this.settings = settings;
        this.deliveries = deliveries;
        this.guard = guard;
        this.vertx = vertx;
        this.clock = clock;
        this.jobs = jobs;
        this.retry = new RetryPolicy(settings.retryDelay(), settings.maxRetryDelay());
        if (settings.maxAttempts() < 1) {
            throw new IllegalStateException("ferry.notifications.max-attempts must be at least 1");
        }
    }

    void secrets(Function<NotificationDeliveries.Delivery, Notifications.SecretLookup> lookup) {
        this.secrets = lookup;
    }

    void start(@Observes StartupEvent e) {
        client = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis()))
                .setIdleTimeout((int) Math.max(1, settings.timeout().toSeconds()))
                .setKeepAlive(true)
                .setTryUseCompression(false)
                .setName("ferry-notify"), new PoolOptions().setHttp1MaxSize(8));
        timer = vertx.setPeriodic(Math.max(50, settings.pollInterval().toMillis()), id -> kick());
        kick();
    }

    void stop(@Observes ShutdownEvent e) {
        stopped = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        worker.shutdown();
        if (client != null) {
            client.close();
        }
    }

    /** Looks for due deliveries now (returns at once). */
    public void kick() {
        if (stopped || secrets == null || client == null) {
            return;
        }
        again.set(true);
        if (!polling.compareAndSet(false, true)) {
            return;
        }
        try {
            worker.execute(this::poll);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            polling.set(false);
        }
    }

    private void poll() {
        try {
            while (again.getAndSet(false) && !stopped) {
                Instant now = clock.instant();
                Duration lease = settings.timeout().plusSeconds(30);
                List<NotificationDeliveries.Delivery> due = deliveries.claimDue(jobs.replica(), now, now.plus(lease),
                        now.minus(lease.multipliedBy(2)), CLAIM_BATCH);
                // each delivery's request chain is built on an event loop, not on this poller thread (see RegistryTransport)
                due.forEach(d -> ((io.vertx.core.impl.VertxInternal) vertx).createEventLoopContext().runOnContext(v -> {
                    try {
                        send(d);
                    } catch (RuntimeException e) {
                        Log.warnf("sending notification %s failed (sent again after its lease): %s", d.id(), e.getMessage());
                    }
                }));
                if (due.size() == CLAIM_BATCH) {
                    again.set(true);
                }
            }
        } catch (RuntimeException e) {
            Log.warnf("looking for notifications to send failed: %s", e.getMessage());
        } finally {
            polling.set(false);
            if (again.get()) {
                kick();
            }
        }
    }

    private record Answer(Integer status, String error, String retryAfter) {
    }

    private void send(NotificationDeliveries.Delivery d) {
        int attempt = d.attempts() + 1;
        Notifications.SecretLookup secret = secrets.apply(d);
        Instant started = clock.instant();
        long t0 = System.nanoTime();
        if (secret.missing() != null) {
            // cannot be signed as promised: never sent unsigned
            finish(d, attempt, started, t0, new Answer(null, "not sent: " + secret.missing(), null), true);
            return;
        }
        byte[] body = d.payload().getBytes(StandardCharsets.UTF_8);
        URI url = URI.create(d.url());
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(d.url())
                .putHeader("Content-Type", "application/cloudevents+json; charset=utf-8")
                .putHeader("User-Agent", "ferry/0.1")
                .putHeader("X-Ferry-Delivery", d.id())
                .putHeader("X-Ferry-Attempt", Integer.toString(attempt))
                .putHeader("X-Ferry-Event", d.eventType())
                .setFollowRedirects(false);
        if (secret.key() != null) {
            options.putHeader("X-Ferry-Signature-256", "sha256=" + DeliverySignature.Hmac.sign(secret.key(), body));
        }
        Promise<Answer> answer = Promise.promise();
        long deadline = vertx.setTimer(Math.max(1, settings.timeout().toMillis()), id -> answer.tryComplete(
                new Answer(null, "no answer within " + settings.timeout().toMillis() + " ms (ferry.notifications.timeout)", null)));
        guard.connectAddress(url, "sending a notification").compose(server -> {
            if (server != null) {
                options.setServer(server);
            }
            return client.request(options);
        }).compose(req -> req.send(Buffer.buffer(body))).onComplete(ar -> {
            if (ar.failed()) {
                answer.tryComplete(new Answer(null, describe(ar.cause()), null));
                return;
            }
            var resp = ar.result();
            Answer got = new Answer(resp.statusCode(), null, resp.getHeader("Retry-After"));
            // the body is not read (Vert.x drops chunks no handler takes); the answer counts once it ended or was cut
            // off. end() is a future, so it also holds for an answer that ended before this ran (a handler set then
            // would throw "Response already ended", and the attempt was once recorded with no status)
            resp.end().onComplete(ended -> answer.tryComplete(got));
        });
        answer.future().onComplete(ar -> {
            vertx.cancelTimer(deadline);
            Answer a = ar.result();
            try {
                worker.execute(() -> finish(d, attempt, started, t0, a, false));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                Log.debugf("notification %s: attempt %d not recorded at shutdown (sent again after its lease)", d.id(), attempt);
            }
        });
    }

    private void finish(NotificationDeliveries.Delivery d, int attempt, Instant started, long t0, Answer a, boolean giveUp) {
        boolean ok = a.status() != null && a.status() >= 200 && a.status() < 300;
        String error = a.error() != null ? a.error() : ok ? null : "HTTP " + a.status();
        String state;
        Instant next = started;
        if (ok) {
            state = NotificationDeliveries.DELIVERED;
        } else if (giveUp || attempt >= settings.maxAttempts()) {
            state = NotificationDeliveries.FAILED;
        } else {
            state = NotificationDeliveries.PENDING;
            next = clock.instant().plus(retry.delay(attempt, a.retryAfter(), clock.instant()));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        NotificationDeliveries.Attempt rec = new NotificationDeliveries.Attempt(attempt, jobs.replica(), started, a.status(),
                error == null ? null : truncate(error), ms);
        try {
            if (!deliveries.recordAttempt(d.id(), jobs.replica(), rec, state, next)) {
                Log.warnf("notification %s: attempt %d not recorded, another replica holds it now", d.id(), attempt);
                return;
            }
        } catch (RuntimeException e) {
            Log.warnf("notification %s: recording attempt %d failed: %s", d.id(), attempt, e.getMessage());
            return;
        }
        if (ok) {
            Log.infof("notification of job %s delivered to %s (attempt %d, HTTP %d)", d.jobId(), NotificationUrls.shown(d.url()),
                    attempt, a.status());
        } else if (NotificationDeliveries.FAILED.equals(state)) {
            Log.warnf("notification of job %s to %s given up after %d attempts: %s", d.jobId(), NotificationUrls.shown(d.url()),
                    attempt, error);
        } else {
            long wait = Math.max(1, Duration.between(clock.instant(), next).toMillis());
            Log.infof("notification of job %s to %s failed (attempt %d: %s); next attempt in %d ms", d.jobId(),
                    NotificationUrls.shown(d.url()), attempt, error, wait);
            vertx.setTimer(wait, id -> kick());
        }
    }

    private static String describe(Throwable t) {
        if (t instanceof FerryException fe) {
            return fe.getMessage();
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.net.ConnectException) {
                return "connection refused";
            }
            if (c instanceof java.net.UnknownHostException) {
                return "unknown host";
            }
            if (c instanceof javax.net.ssl.SSLException) {
                return "TLS handshake failed";
            }
        }
        return "connection failed";
    }

    private static String truncate(String s) {
        return s.length() <= MAX_ERROR ? s : s.substring(0, MAX_ERROR) + "…";
    }
}
