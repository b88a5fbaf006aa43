package dev.ferry.registry;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * One blob being read from wherever it lives (a registry download, a file, an entry of a tar stream): a paused
 * {@link ReadStream} that is read once, from the first byte.
 * <p>
 * The reader MUST either read the stream to its end or call {@link #abort()}; abort releases what the stream
 * holds (the connection, the file) and is a no-op once the stream has ended.
 */
public interface BlobStream {

    /** The bytes, paused until the reader sets its handlers and resumes. */
    ReadStream<Buffer> stream();

    /** Gives the stream up: the source is closed or reset; no more events are delivered. */
    void abort();

    /**
     * The same blob again from byte {@code offset}, paused (a dropped download picked up with a Range request);
     * null when this source cannot resume, and the blob is then failed and tried again whole by the caller.
     */
    default Future<BlobStream> reopen(long offset) {
        return null;
    }

    /** Wraps a stream that cannot resume. */
    static BlobStream of(ReadStream<Buffer> stream, Runnable abort) {
        return new BlobStream() {
            @Override
            public ReadStream<Buffer> stream() {
                return stream;
            }

            @Override
            public void abort() {
                abort.run();
            }
        };
    }
}
