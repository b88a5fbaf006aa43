package dev.ferry.registry;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/**
 * Where one blob's bytes go (an upload request, a temp file, a tar entry). {@link #end(Buffer)} is called only
 * once every byte is known to match the descriptor; {@link #reset()} when anything went wrong, and it MUST leave
 * nothing behind that could be taken for the blob (the request is reset, the temp file deleted, the tar stream
 * aborted).
 */
public interface BlobSink {

    WriteStream<Buffer> stream();

    /** Writes the last buffer (null: none held) and completes the blob. */
    Future<Void> end(Buffer last);

    void reset();

    /**
     * Whether the sink stores nothing a reader could take for the blob until {@link #end} (a chunked upload: the
     * registry keeps the bytes in an uncommitted session until the final PUT with the digest). Such a sink gets every
     * buffer at once; others get the last one only after the digest and size matched.
     */
    default boolean commitsSeparately() {
        return false;
    }

    /** An HTTP request body, or any write stream whose abort is {@code reset}. */
    static BlobSink of(WriteStream<Buffer> stream, Runnable reset) {
        return new BlobSink() {
            @Override
            public WriteStream<Buffer> stream() {
                return stream;
            }

            @Override
            public Future<Void> end(Buffer last) {
                return last == null ? stream.end() : stream.end(last);
            }

            @Override
            public void reset() {
                reset.run();
            }
        };
    }
}
