package dev.ferry.storage;

import dev.ferry.registry.BlobSink;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a tar stream (POSIX ustar; sizes of 8 GiB and more in GNU base-256) entry after entry into any
 * {@link WriteStream} — a file or an HTTP response — with the stream's own flow control. One entry at a time: a
 * blob entry is a {@link BlobSink} whose header is written first (its size comes from the descriptor) and whose
 * padding follows its last byte. Resetting a blob entry aborts the whole stream ({@code onAbort}): a tar with a
 * missing or short member must never end cleanly, so no reader mistakes it for a good one.
 */
final class TarWriter {
    private static final int BLOCK = 512;
    /** Entries are written with a fixed time, so the same image gives the same tar. */
    private static final long MTIME = 0L;

    private final BlobSink target;
    private final WriteStream<Buffer> out;
    private long written;
    private boolean aborted;

    /** Writes into {@code target}'s stream; {@link #finish()} ends the target, {@link #abort()} resets it. */
    TarWriter(BlobSink target) {
        this.target = target;
        this.out = target.stream();
    }

    /** Bytes handed to the stream so far. */
    long written() {
        return written;
    }

    /** A small entry written whole. */
    Future<Void> entry(String name, byte[] content) {
        Buffer b = Buffer.buffer(BLOCK + content.length + BLOCK);
        b.appendBuffer(header(name, content.length, '0'));
        b.appendBytes(content);
        b.appendBuffer(padding(content.length));
        return write(b);
    }

    /** A directory entry ({@code name} ends with {@code /}). */
    Future<Void> directory(String name) {
        return write(header(name, 0, '5'));
    }

    /** A streamed entry of exactly {@code size} bytes. */
    BlobSink blobEntry(String name, long size) {
        write(header(name, size, '0'));
        WriteStream<Buffer> entry = new WriteStream<>() {
            @Override
            public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
                out.exceptionHandler(handler);
                return this;
            }

            @Override
            public Future<Void> write(Buffer data) {
                return TarWriter.this.write(data);
            }

            @Override
            public void write(Buffer data, Handler<io.vertx.core.AsyncResult<Void>> handler) {
                TarWriter.this.write(data).onComplete(handler);
            }

            @Override
            public Future<Void> end() {
                return TarWriter.this.write(padding(size));
            }

            @Override
            public void end(Handler<io.vertx.core.AsyncResult<Void>> handler) {
                end().onComplete(handler);
            }

            @Override
            public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
                out.setWriteQueueMaxSize(maxSize);
                return this;
            }

            @Override
            public boolean writeQueueFull() {
                return out.writeQueueFull();
            }

            @Override
            public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
                out.drainHandler(handler);
                return this;
            }
        };
        return new BlobSink() {
            @Override
            public WriteStream<Buffer> stream() {
                return entry;
            }

            @Override
            public Future<Void> end(Buffer last) {
                Future<Void> w = last == null ? Future.succeededFuture() : TarWriter.this.write(last);
                return w.compose(v -> TarWriter.this.write(padding(size)));
            }

            @Override
            public void reset() {
                abort();
            }
        };
    }

    /** The two zero blocks that end an archive, then the end of the stream. */
    Future<Void> finish() {
        written += 2 * BLOCK;
        return target.end(Buffer.buffer(new byte[2 * BLOCK]));
    }

    void abort() {
        if (!aborted) {
            aborted = true;
            target.reset();
        }
    }

    boolean aborted() {
        return aborted;
    }

    private Future<Void> write(Buffer b) {
        if (aborted) {
            return Future.failedFuture("the tar stream was aborted");
        }
        written += b.length();
        return out.write(b);
    }

    private static Buffer padding(long size) {
        int rest = (int) (size % BLOCK);
        return Buffer.buffer(rest == 0 ? new byte[0] : new byte[BLOCK - rest]);
    }

    static Buffer header(String name, long size, char type) {
        byte[] h = new byte[BLOCK];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100) {
            throw new IllegalArgumentException("tar entry name longer than 100 bytes: " + name);
        }
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, type == '5' ? 0755 : 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        if (size < 077777777777L) {
            octal(h, 124, 12, size);
        } else { // GNU base-256: high bit set, big-endian binary
            h[124] = (byte) 0x80;
            for (int i = 0; i < 8; i++) {
                h[135 - i] = (byte) (size >>> (8 * i));
            }
        }
        octal(h, 136, 12, MTIME);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        h[156] = (byte) type;
        byte[] magic = "ustar\u000000".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(magic, 0, h, 257, magic.length);
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] chk = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(chk, 0, h, 148, 6);
        h[154] = 0;
        h[155] = ' ';
        return Buffer.buffer(h);
    }

    private static void octal(byte[] h, int off, int len, long value) {
        String s = String.format("%0" + (len - 1) + "o", value);
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, len - 1);
        h[off + len - 1] = 0;
    }
}
