package dev.ferry.registry;

import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The digest state of one blob at a few byte offsets, kept within one run so that a chunked upload resumed from the
 * registry's Range continues the hash from there instead of reading the source again from its first byte
 * ({@link VerifyingPump#pumpSeeded}). A snapshot is a clone of the pump's {@link MessageDigest} taken after exactly
 * {@code offset} bytes were hashed; the pump takes one where each chunk of the pass ends ({@code interval} apart from
 * the pass's start). Only the {@code keep} most recent are kept (the acknowledged chunk's end and the ones in flight),
 * never one per chunk of a big blob.
 * <p>
 * A process that takes over a killed one has no such state (a digest's state is not stored anywhere): it reads the
 * source again from byte 0. Safe to use from any thread.
 */
final class DigestSnapshots {
    /** Snapshots kept: the pump runs at most one chunk and one read ahead of the last acknowledged chunk. */
    static final int KEEP = 4;

    /** The digest after exactly {@code offset} bytes. */
    record Snapshot(long offset, MessageDigest digest) {
    }

    private final long interval;
    private final int keep;
    private final ArrayDeque<Snapshot> recent = new ArrayDeque<>();

    DigestSnapshots(long interval) {
        this(interval, KEEP);
    }

    DigestSnapshots(long interval, int keep) {
        this.interval = Math.max(1, interval);
        this.keep = Math.max(1, keep);
    }

    /** Bytes between two snapshots of one pass (the upload's chunk size). */
    long interval() {
        return interval;
    }

    /**
     * Keeps a clone of {@code digest} as the state after {@code offset} bytes (replacing one at the same offset);
     * a digest that cannot be cloned is not kept (a resume at that offset then reads the source from byte 0).
     */
    void take(long offset, MessageDigest digest) {
        MessageDigest copy = cloneOf(digest);
        if (copy == null) {
            return;
        }
        synchronized (this) {
            recent.removeIf(s -> s.offset() == offset);
            recent.addLast(new Snapshot(offset, copy));
            while (recent.size() > keep) {
                recent.removeFirst();
            }
        }
    }

    /** A fresh clone of the state after exactly {@code offset} bytes, or null when none was kept for that offset. */
    MessageDigest at(long offset) {
        synchronized (this) {
            for (Iterator<Snapshot> it = recent.descendingIterator(); it.hasNext(); ) {
                Snapshot s = it.next();
                if (s.offset() == offset) {
                    return cloneOf(s.digest());
                }
            }
        }
        return null;
    }

    /** The offsets kept, oldest first (for tests and logs). */
    synchronized long[] offsets() {
        return recent.stream().mapToLong(Snapshot::offset).toArray();
    }

    static MessageDigest cloneOf(MessageDigest digest) {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            return null;
        }
    }
}
