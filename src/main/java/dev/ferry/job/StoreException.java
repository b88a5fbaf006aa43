package dev.ferry.job;

/** The store failed; callers answer 503 and nothing is half-accepted. */
public class StoreException extends RuntimeException {
    public StoreException(String action, Throwable cause) {
        super(action + " failed: " + (cause == null ? "" : cause.getMessage()), cause);
    }
}
