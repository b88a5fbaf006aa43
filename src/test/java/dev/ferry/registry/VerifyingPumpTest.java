package dev.ferry.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.MediaType;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The pump over hand-driven streams: flow control, verification and a resumed source, without any clock. */
class VerifyingPumpTest {

    static final class Source implements ReadStream<Buffer> {
        Handler<Buffer> data;
        Handler<Void> end;
        Handler<Throwable> error;
        boolean paused = true;
        boolean aborted;

        @Override
        public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
            error = h;
            return this;
        }

        @Override
        public ReadStream<Buffer> handler(Handler<Buffer> h) {
            data = h;
            return this;
        }

        @Override
        public ReadStream<Buffer> pause() {
            paused = true;
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            paused = false;
            return this;
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            paused = false;
            return this;
        }

        @Override
        public ReadStream<Buffer> endHandler(Handler<Void> h) {
            end = h;
            return this;
        }

        void emit(String s) {
            assertFalse(paused, "the pump must not receive data while it has paused the source");
            data.handle(Buffer.buffer(s));
        }
    }

    static final class Sink implements WriteStream<Buffer> {
        final Buffer written = Buffer.buffer();
        boolean full;
        boolean ended;
        boolean reset;
        Handler<Void> drain;

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> h) {
            return this;
        }

        @Override
        public Future<Void> write(Buffer b) {
            written.appendBuffer(b);
            return Future.succeededFuture();
        }

        @Override
        public void write(Buffer b, Handler<AsyncResult<Void>> h) {
            write(b).onComplete(h);
        }

        @Override
        public Future<Void> end() {
            ended = true;
            return Future.succeededFuture();
        }

        @Override
        public void end(Handler<AsyncResult<Void>> h) {
            end().onComplete(h);
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int max) {
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            return full;
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> h) {
            drain = h;
            return this;
        }

        void drained() {
            full = false;
            Handler<Void> h = drain;
            drain = null;
            if (h != null) {
                h.handle(null);
            }
        }
    }

    private static Descriptor descriptorOf(String content) {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        return Descriptor.of(MediaType.of("application/octet-stream"), Digest.sha256Of(b), b.length);
    }

    private static BlobStream resumable(Source first, Source second, long[] resumedAt) {
        return new BlobStream() {
            @Override
            public ReadStream<Buffer> stream() {
                return first;
            }

            @Override
            public void abort() {
                first.aborted = true;
            }

            @Override
            public Future<BlobStream> reopen(long offset) {
                resumedAt[0] = offset;
                return Future.succeededFuture(BlobStream.of(second, () -> second.aborted = true));
            }
        };
    }

    @Test
    void shouldResumeTheReopenedSourceWhenTheSinkDrainsAfterADropWhileItWasFull() {
        Source first = new Source();
        Source second = new Source();
        Sink sink = new Sink();
        long[] resumedAt = {-1};
        Future<Void> done = VerifyingPump.pump(resumable(first, second, resumedAt), BlobSink.of(sink, () -> sink.reset = true),
                descriptorOf("aaaabbbbcccc"), "test", StreamWatch.NONE);
        first.emit("aaaa");
        sink.full = true;
        first.emit("bbbb"); // "aaaa" goes out; the queue is full: the pump pauses the source
        assertTrue(first.paused);
        first.error.handle(new java.io.IOException("connection reset")); // the download drops while paused
        assertEquals(8, resumedAt[0], "resumed from the bytes received");
        assertTrue(second.paused, "the new download waits for the sink to drain");
        sink.drained();
        assertFalse(second.paused, "the drain must resume the new download, not the dropped one");
        second.emit("cccc");
        second.end.handle(null);
        assertTrue(done.succeeded(), String.valueOf(done.cause()));
        assertEquals("aaaabbbbcccc", sink.written.toString());
        assertTrue(sink.ended);
    }

    @Test
    void shouldResetTheSinkAndHoldBackTheLastBufferWhenTheDigestDoesNotMatch() {
        Source s = new Source();
        Sink sink = new Sink();
        Future<Void> done = VerifyingPump.pump(BlobStream.of(s, () -> s.aborted = true), BlobSink.of(sink, () -> sink.reset = true),
                descriptorOf("aaaabbbb"), "test", StreamWatch.NONE);
        s.emit("aaaa");
        s.emit("bbbX");
        s.end.handle(null);
        assertTrue(done.failed());
        assertTrue(sink.reset, "the sink is reset");
        assertFalse(sink.ended, "and never ended");
        assertEquals("aaaa", sink.written.toString(), "the last buffer never reached the sink");
    }
}
