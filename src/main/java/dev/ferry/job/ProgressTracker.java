package dev.ferry.job;

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

    public void retried() {
        retries.incrementAndGet();
    }

    public Progress snapshot() {
        return new Progress(bytesDone.get(), bytesTotal.get(), bytesSkipped.get(), blobsDone.get(), blobsSkipped.get(),
                blobsMounted.get(), blobsTotal.get(), retries.get());
    }
}
