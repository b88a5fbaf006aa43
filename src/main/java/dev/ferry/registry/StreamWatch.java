package dev.ferry.registry;

/** Observes one streamed blob: bytes as they reach the destination, and a way to abort the stream. */
public interface StreamWatch {

    /** {@code n} more bytes were handed to the destination connection. Called on an event loop: never block. */
    void bytes(long n);

    /** The download dropped after {@code offset} bytes and is being picked up again with a Range request. */
    default void resumed(long offset, String why) {
    }

    /**
     * A chunked upload continues a session an earlier run left: the registry holds {@code kept} bytes, which are not
     * sent again ({@code recorded}: the offset that run recorded last). {@code kept} 0 with {@code sessionLost}: the
     * recorded session was gone, the blob starts from zero.
     */
    default void uploadResumed(long kept, long recorded, boolean sessionLost) {
    }

    /** Where chunked uploads record their sessions ({@link UploadSessions#NONE}: nowhere). */
    default UploadSessions sessions() {
        return UploadSessions.NONE;
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
