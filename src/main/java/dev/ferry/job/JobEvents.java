package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.logging.Log;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The event logs of the jobs this replica runs: numbered per job (continuing after what the store has),
 * published at once to subscribers in this process, and written to the store in order by one writer thread,
 * fenced by the job's lease. The writer batches: everything queued while it wrote goes out in one transaction
 * per job, so a burst of blob events costs one commit, not one each. Store updates that must stay in order with
 * events go through {@link #write}.
 */
@ApplicationScoped
public class JobEvents {
    private final JobRepository store;
    private final ObjectMapper json;
    /**
     * How long the writer collects before it writes: a burst of blob events of a sync (7 per image) then costs a
     * few commits, not one each. Subscribers in this process get events at once regardless; a store read waits
     * at most this long ({@link #flush}).
     */
    static final long BATCH_WINDOW_MS = 50;
    private final BlockingQueue<Op> ops = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean closed;
    private final Map<String, Log_> open = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<JobEvent>>> subscribers = new ConcurrentHashMap<>();
    /** Every event published here, also to CDI observers of {@code JobEvent} (metrics, job log lines); they must not block. */
    @jakarta.inject.Inject
    jakarta.enterprise.event.Event<JobEvent> published;

    /** A job's numbering and lease while this replica runs it. */
    private static final class Log_ {
        final JobRepository.Lease lease;
        long seq;

        Log_(JobRepository.Lease lease, long seq) {
            this.lease = lease;
            this.seq = seq;
        }
    }

    private sealed interface Op permits Append, Update {
    }

    private record Append(JobRepository.Lease lease, JobEvent event) implements Op {
    }

    private record Update(Runnable work, CompletableFuture<Void> done) implements Op {
    }

    public JobEvents(JobRepository store, ObjectMapper json) {
        this.store = store;
        this.json = json;
        this.writer = new Thread(this::writeLoop, "ferry-job-writer");
        writer.setDaemon(true);
        writer.start();
    }

    @PreDestroy
    void drain() {
        flush(java.time.Duration.ofSeconds(10));
        closed = true;
        writer.interrupt();
    }

    public ObjectNode newData() {
        return json.createObjectNode();
    }

    /** Starts numbering a job's events after {@code lastSeq}, written under {@code lease}. */
    void open(JobRepository.Lease lease, long lastSeq) {
        open.put(lease.jobId(), new Log_(lease, lastSeq));
    }

    /** Stops recording events of a job here (it ended, or its lease is lost). */
    void close(String jobId) {
        open.remove(jobId);
    }

    /** Whether this replica records the events of {@code jobId} now (it runs the job). */
    boolean isOpen(String jobId) {
        return open.containsKey(jobId);
    }

    /** Records and publishes one event. Events of a job that is not open here are dropped (it has ended). */
    public JobEvent append(String jobId, String kind, JsonNode data) {
        JobEvent event = next(jobId, kind, data, true);
        if (event != null) {
            publish(event);
        }
        return event;
    }

    /**
     * Numbers the last events of a job and closes its log: they are written by the caller's own transaction
     * (the job's end), after everything queued before. Published once {@code published} runs.
     */
    List<JobEvent> closeWith(String jobId, List<Map.Entry<String, JsonNode>> last) {
        Log_ log = open.remove(jobId);
        if (log == null) {
            return List.of();
        }
        List<JobEvent> out = new ArrayList<>();
        synchronized (log) {
            for (Map.Entry<String, JsonNode> e : last) {
                out.add(new JobEvent(jobId, ++log.seq, e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    private JobEvent next(String jobId, String kind, JsonNode data, boolean queue) {
        Log_ log = open.get(jobId);
        if (log == null) {
            return null;
        }
        JobEvent event;
        synchronized (log) {
            event = new JobEvent(jobId, ++log.seq, kind, data);
            if (queue) {
                ops.add(new Append(log.lease, event));
            }
        }
        return event;
    }

    /** Hands events (recorded elsewhere, or about to be) to this process's subscribers. */
    void publish(JobEvent event) {
        if (published != null) {
            published.fire(event);
        }
        List<Consumer<JobEvent>> subs = subscribers.get(event.jobId());
        if (subs != null) {
            for (Consumer<JobEvent> s : subs) {
                s.accept(event);
            }
        }
    }

    /** Runs a store update in order with the events queued before it. */
    public CompletableFuture<Void> write(Runnable update) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ops.add(new Update(update, done));
        return done;
    }

    /** Waits until everything queued so far is in the store. */
    public void flush() {
        write(() -> { }).join();
    }

    private void flush(java.time.Duration max) {
        try {
            write(() -> { }).get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            Log.warnf("job events not all written at shutdown: %s", e.toString());
        }
    }

    /** Live events of a job in this process from now on; the returned handle unsubscribes. */
    public Runnable subscribe(String jobId, Consumer<JobEvent> subscriber) {
        subscribers.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(subscriber);
        return () -> subscribers.computeIfPresent(jobId, (k, list) -> {
            list.remove(subscriber);
            return list.isEmpty() ? null : list;
        });
    }

    private void writeLoop() {
        List<Op> batch = new ArrayList<>();
        while (!closed) {
            try {
                batch.add(ops.take());
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            try {
                // group commit: what arrives within the window goes out in the same transactions
                Thread.sleep(BATCH_WINDOW_MS);
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
            }
            ops.drainTo(batch);
            // Appends between two updates: one transaction per job (the order within a job is kept).
            Map<JobRepository.Lease, List<JobEvent>> pending = new java.util.LinkedHashMap<>();
            for (Op op : batch) {
                if (op instanceof Append a) {
                    pending.computeIfAbsent(a.lease(), k -> new ArrayList<>()).add(a.event());
                } else if (op instanceof Update u) {
                    writeEvents(pending);
                    try {
                        u.work().run();
                        u.done().complete(null);
                    } catch (RuntimeException e) {
                        u.done().completeExceptionally(e);
                    }
                }
            }
            writeEvents(pending);
            batch.clear();
        }
    }

    private void writeEvents(Map<JobRepository.Lease, List<JobEvent>> pending) {
        for (Map.Entry<JobRepository.Lease, List<JobEvent>> e : pending.entrySet()) {
            try {
                if (!store.appendEvents(e.getKey(), e.getValue())) {
                    Log.debugf("events of job %s not recorded: its lease is lost", e.getKey().jobId());
                }
            } catch (RuntimeException ex) {
                Log.errorf("recording %d events of job %s failed: %s", e.getValue().size(), e.getKey().jobId(), ex.getMessage());
            }
        }
        pending.clear();
    }
}
