package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.logging.Log;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Each job's event log: numbered per job, published at once to live subscribers and written to the store
 * in order by one writer thread (so callers on event loops never block). Store updates that must stay in
 * order with events go through {@link #write}.
 */
@ApplicationScoped
public class JobEvents {
    private final JobStore store;
    private final ObjectMapper json;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ferry-job-writer");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, AtomicLong> sequences = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<JobEvent>>> subscribers = new ConcurrentHashMap<>();
    /** Every event appended, also to CDI observers of {@code JobEvent} (metrics); they must not block. */
    @jakarta.inject.Inject
    jakarta.enterprise.event.Event<JobEvent> appended;

    public JobEvents(JobStore store, ObjectMapper json) {
        this.store = store;
        this.json = json;
    }

    @PreDestroy
    void drain() {
        writer.shutdown();
        try {
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public ObjectNode newData() {
        return json.createObjectNode();
    }

    /** Starts numbering a job's events after {@code lastSeq}. */
    void open(String jobId, long lastSeq) {
        sequences.put(jobId, new AtomicLong(lastSeq));
    }

    void close(String jobId) {
        sequences.remove(jobId);
    }

    /** Records and publishes one event. Events of a job that is not open are dropped (it has ended). */
    public JobEvent append(String jobId, String kind, JsonNode data) {
        AtomicLong seq = sequences.get(jobId);
        if (seq == null) {
            return null;
        }
        JobEvent event;
        synchronized (seq) {
            event = new JobEvent(jobId, seq.incrementAndGet(), kind, data);
            writer.execute(() -> {
                try {
                    store.appendEvent(event);
                } catch (RuntimeException e) {
                    Log.errorf("recording event %d of job %s failed: %s", event.seq(), jobId, e.getMessage());
                }
            });
        }
        if (appended != null) {
            appended.fire(event);
        }
        List<Consumer<JobEvent>> subs = subscribers.get(jobId);
        if (subs != null) {
            for (Consumer<JobEvent> s : subs) {
                s.accept(event);
            }
        }
        return event;
    }

    /** Runs a store update in order with the events written before it. */
    public CompletableFuture<Void> write(Runnable update) {
        return CompletableFuture.runAsync(update, writer);
    }

    /** Waits until everything queued so far is in the store. */
    public void flush() {
        write(() -> { }).join();
    }

    /** Live events of a job from now on; the returned handle unsubscribes. */
    public Runnable subscribe(String jobId, Consumer<JobEvent> subscriber) {
        subscribers.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(subscriber);
        return () -> subscribers.computeIfPresent(jobId, (k, list) -> {
            list.remove(subscriber);
            return list.isEmpty() ? null : list;
        });
    }
}
