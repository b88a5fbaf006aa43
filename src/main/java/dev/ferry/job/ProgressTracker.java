package dev.ferry.job;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Lock-free counters that copy callbacks bump from event-loop threads. */
public final class ProgressTracker {
    final AtomicLong bytesDone = new AtomicLong();
    final AtomicLong bytesTotal = new AtomicLong();
    final AtomicLong bytesSkipped = new AtomicLong();
    final AtomicInteger blobsDone = new AtomicInteger();
    final AtomicInteger blobsSkipped = new AtomicInteger();
    final AtomicInteger blobsMounted = new AtomicInteger();
    final AtomicInteger blobsTotal = new AtomicInteger();
    final AtomicInteger retries = new AtomicInteger();
    /** Bytes written so far of each blob that is streaming now, by digest. */
    final Map<String, AtomicLong> streaming = new ConcurrentHashMap<>();

    public void planned(int blobs, long bytes) {
        blobsTotal.set(blobs);
        bytesTotal.set(bytes);
    }

    /** Adds to the totals: for jobs made of several copies (a sync), each planning its own blobs. */
    public void plannedMore(int blobs, long bytes) {
        blobsTotal.addAndGet(blobs);
        bytesTotal.addAndGet(bytes);
    }

    public void bytes(long n) {
        bytesDone.addAndGet(n);
    }

    /** Undoes bytes counted for an attempt that failed and will be retried. */
    public void rewind(long n) {
        bytesDone.addAndGet(-n);
    }

    public void blobDone() {
        blobsDone.incrementAndGet();
    }

    public void blobSkipped(long size, boolean mounted) {
        blobsSkipped.incrementAndGet();
        bytesSkipped.addAndGet(size);
        if (mounted) {
            blobsMounted.incrementAndGet();
        }
    }

    /** {@code n} more bytes of the blob {@code digest} (negative: a failed attempt undone). */
    public void blobBytes(String digest, long n) {
        streaming.computeIfAbsent(digest, k -> new AtomicLong()).addAndGet(n);
    }

    /** The blob is no longer streaming (done, failed or skipped). */
    public void blobEnded(String digest) {
        streaming.remove(digest);
    }

    /** Bytes written of each blob streaming now, by digest (sorted, for stable events). */
    public Map<String, Long> streamingBlobs() {
        Map<String, Long> out = new TreeMap<>();
        streaming.forEach((d, n) -> out.put(d, n.get()));
        return out;
    }

    public void retried() {
        retries.incrementAndGet();
    }

    public Progress snapshot() {
        return new Progress(bytesDone.get(), bytesTotal.get(), bytesSkipped.get(), blobsDone.get(), blobsSkipped.get(),
                blobsMounted.get(), blobsTotal.get(), retries.get());
    }
}
