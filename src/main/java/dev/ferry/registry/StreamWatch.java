package dev.ferry.registry;

/** Observes one streamed blob: bytes as they reach the destination, and a way to abort the stream. */
public interface StreamWatch {

    /** {@code n} more bytes were handed to the destination connection. Called on an event loop: never block. */
    void bytes(long n);

    /** The download dropped after {@code offset} bytes and is being picked up again with a Range request. */
    default void resumed(long offset, String why) {
    }

    /** Registers {@code abort}, run when the caller gives up (say, the job is cancelled); returns an unregister handle. */
    Runnable onAbort(Runnable abort);

    StreamWatch NONE = new StreamWatch() {
        @Override
        public void bytes(long n) {
        }

        @Override
        public Runnable onAbort(Runnable abort) {
            return () -> { };
        }
    };
}
