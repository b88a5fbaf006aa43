package dev.ferry.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientRequest;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Duration;

/**
 * What Ferry's registry transport does on the wire: {@code ferry_registry_request_seconds} (time to the response
 * headers, a histogram by registry, method and status; {@code error} when no answer came),
 * {@code ferry_registry_throttled_total} (429 answers) and {@code ferry_registry_retries_total} (by registry and the
 * status, or {@code error}, that caused the retry); and, when tracing is on, a client span per request (the registry
 * host, method and status; never a path, which names repositories). Every call is cheap and never blocks.
 */
@ApplicationScoped
public class RegistryMetrics {
    static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

    private final MeterRegistry meters;
    private final Tracer tracer;
    private final Labels labels = new Labels();
    /**
     * Meters already registered, by their tags: building and registering a Timer with its histogram buckets on every
     * request cost about 4 % of a sync's CPU. The label sets are bounded ({@link Labels} caps registries), so is this.
     */
    private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

    public RegistryMetrics(MeterRegistry meters, Tracer tracer) {
        this.meters = meters;
        this.tracer = tracer;
    }

    /**
     * Times one HTTP request to a registry (or its token service) from now until its response headers arrive or it
     * fails; returns {@code opened} unchanged.
     */
    public Future<HttpClientRequest> timed(URI target, String method, Future<HttpClientRequest> opened, long startNanos) {
        String registry = labels.registry(target);
        Span span = tracer.spanBuilder(method).setSpanKind(SpanKind.CLIENT).setAttribute("http.request.method", method)
                .setAttribute("server.address", target.getHost() == null ? "" : target.getHost())
                .setAttribute("ferry.registry", registry).startSpan();
        opened.onComplete(ar -> {
            if (ar.failed()) {
                record(registry, method, "error", startNanos);
                span.setStatus(StatusCode.ERROR, "no connection");
                span.end();
                return;
            }
            ar.result().response().onComplete(resp -> {
                int status = resp.succeeded() ? resp.result().statusCode() : -1;
                record(registry, method, status < 0 ? "error" : Integer.toString(status), startNanos);
                if (span.isRecording()) {
                    span.setAttribute("http.response.status_code", (long) status);
                    if (status < 0 || status >= 500) {
                        span.setStatus(StatusCode.ERROR);
                    }
                }
                span.end();
                if (status == 429) {
                    Counter.builder("ferry.registry.throttled").description("429 Too Many Requests answers from registries")
                            .tag("registry", registry).register(meters).increment();
                }
            });
        });
        return opened;
    }

    private void record(String registry, String method, String status, long startNanos) {
        timers.computeIfAbsent(registry + ' ' + method + ' ' + status, k -> Timer.builder("ferry.registry.request")
                        .description("Registry HTTP requests, to the response headers")
                        .tags("registry", registry, "method", method, "status", status)
                        .serviceLevelObjectives(BUCKETS)
                        .register(meters))
                .record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A registry request is tried again because of {@code status} (an HTTP status, or -1 for a failed connection). */
    public void retried(String url, int status) {
        String registry;
        try {
            registry = labels.registry(URI.create(url));
        } catch (IllegalArgumentException e) {
            registry = Labels.OTHER;
        }
        Counter.builder("ferry.registry.retries").description("Registry requests tried again")
                .tags("registry", registry, "reason", status < 0 ? "error" : Integer.toString(status))
                .register(meters).increment();
    }
}
