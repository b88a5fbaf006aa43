package dev.ferry.metrics;

import dev.ferry.config.FerryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP edge: {@code ferry_webhook_deliveries_total{hook,outcome}} (hook = a configured hook's name, else
 * {@code unknown}; outcome = promoted, redelivered, ignored, or the problem slug it was refused with) and
 * {@code ferry_sse_subscribers} (event streams open now).
 */
@ApplicationScoped
public class EdgeMetrics {
    private final MeterRegistry meters;
    private final FerryConfig config;
    private final AtomicInteger subscribers = new AtomicInteger();

    public EdgeMetrics(MeterRegistry meters, FerryConfig config) {
        this.meters = meters;
        this.config = config;
        Gauge.builder("ferry.sse.subscribers", subscribers, AtomicInteger::get).description("Job event streams open now")
                .register(meters);
    }

    public void webhookDelivery(String hook, String outcome) {
        String name = hook != null && config.hooks().containsKey(hook) ? hook : "unknown";
        Counter.builder("ferry.webhook.deliveries").description("Webhook deliveries by hook and outcome")
                .tags("hook", name, "outcome", outcome).register(meters).increment();
    }

    /** One more event stream open; the returned handle (safe to run more than once) closes it, then runs {@code unsubscribe}. */
    public Runnable sseSubscribed(Runnable unsubscribe) {
        subscribers.incrementAndGet();
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                subscribers.decrementAndGet();
            }
            unsubscribe.run();
        };
    }
}
