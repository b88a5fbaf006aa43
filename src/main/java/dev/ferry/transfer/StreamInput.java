package dev.ferry.transfer;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;

/**
 * A Vert.x {@link ReadStream} read as a blocking {@link InputStream} by a worker thread, with flow control: the
 * stream is paused once {@link #HIGH} bytes wait unread and resumed (on its event loop) when the reader is down to
 * {@link #LOW}. So a slow compressor holds at most about {@code HIGH} plus one buffer of the source in memory,
 * and a slow source never blocks the event loop. {@link #read} must not be called on an event loop.
 */
final class StreamInput extends InputStream {
    static final long HIGH = 1 << 20;
    static final long LOW = 256 << 10;

    private final ReadStream<Buffer> stream;
    private final Context context;
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private Buffer current;
    private int pos;
    private long queued;
    private boolean ended;
    private Throwable failure;
    private boolean resumeScheduled;

    /** Attaches to {@code stream} (paused, unread) and starts it; call on the stream's context. */
    StreamInput(ReadStream<Buffer> stream, Context context) {
        this.stream = stream;
        this.context = context;
        stream.handler(this::onBuffer);
        stream.endHandler(v -> onEnd());
        stream.exceptionHandler(this::fail);
        stream.resume();
    }

    private void onBuffer(Buffer b) {
        boolean pause;
        synchronized (this) {
            if (failure != null) {
                return;
            }
            queue.add(b);
            queued += b.length();
            pause = queued >= HIGH;
            notifyAll();
        }
        if (pause) {
            stream.pause();
        }
    }

    private synchronized void onEnd() {
        ended = true;
        notifyAll();
    }

    /** Fails the reader (source error, cancel); the next {@link #read} throws. Any thread. */
    synchronized void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        queue.clear();
        queued = 0;
        notifyAll();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        synchronized (this) {
            while (true) {
                if (failure != null) {
                    throw new IOException(failure.getMessage() == null ? failure.toString() : failure.getMessage(), failure);
                }
                if (current != null && pos < current.length()) {
                    break;
                }
                current = queue.poll();
                pos = 0;
                if (current == null) {
                    if (ended) {
                        return -1;
                    }
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
                }
            }
            int n = Math.min(len, current.length() - pos);
            current.getBytes(pos, pos + n, dst, off);
            pos += n;
            queued -= n;
            if (queued <= LOW && !ended && !resumeScheduled) {
                resumeScheduled = true;
                context.runOnContext(v -> resumeIfLow());
            }
            return n;
        }
    }

    /** On the event loop: resume unless the queue filled up again meanwhile (then the reader schedules another). */
    private void resumeIfLow() {
        boolean resume;
        synchronized (this) {
            resumeScheduled = false;
            resume = failure == null && !ended && queued < HIGH;
        }
        if (resume) {
            stream.resume();
        }
    }
}
