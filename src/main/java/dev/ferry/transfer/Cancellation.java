package dev.ferry.transfer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A job's cancel signal: work checks {@link #isCancelled()} between steps and registers what to abort. */
public final class Cancellation {
    private volatile boolean cancelled;
    private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();

    public boolean isCancelled() {
        return cancelled;
    }

    /** Runs {@code action} on cancel (at once if already cancelled). Returns a handle that unregisters it. */
    public Runnable onCancel(Runnable action) {
        onCancel.add(action);
        if (cancelled) {
            action.run();
        }
        return () -> onCancel.remove(action);
    }

    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        for (Runnable r : onCancel) {
            try {
                r.run();
            } catch (RuntimeException ignored) {
                // aborting a stream that already ended
            }
        }
    }

    /** Thrown (as a failed future) by work that noticed the cancel. */
    public static final class CancelledException extends RuntimeException {
        public CancelledException() {
            super("cancelled", null, false, false);
        }
    }
}
