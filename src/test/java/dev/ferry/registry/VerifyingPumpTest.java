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

    // ---- digest snapshots and a seeded continuation --------------------------------------------------------------

    /** 1000 bytes that are not periodic, so a snapshot at the wrong offset cannot hash the same. */
    private static String content() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < 1000; i++) {
            b.append(Integer.toString(i * 7919 % 1009, 36));
        }
        return b.substring(0, 1000);
    }

    /** Emits {@code content} from {@code from} on in buffers of {@code size} bytes, then ends. */
    private static void emitAll(Source s, String content, int from, int size) {
        for (int i = from; i < content.length(); i += size) {
            s.emit(content.substring(i, Math.min(content.length(), i + size)));
        }
        s.end.handle(null);
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }

    private static String sha256Hex(String s) throws Exception {
        return hex(java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Buffers of 37 bytes put every chunk end inside a buffer, buffers of 100 put them at buffer edges, 250 put two
     * inside one buffer, 1 byte at a time makes every buffer an edge: in every case the clone at each chunk end is the
     * digest of exactly the bytes before it, and a pump seeded with it from there (in other buffer sizes) verifies the
     * whole blob and writes only the bytes after it.
     */
    @Test
    void shouldSnapshotAtEveryChunkEndAndContinueFromEachSnapshotToTheSameDigest() throws Exception {
        String content = content();
        Descriptor blob = descriptorOf(content);
        for (int size : new int[] {37, 100, 250, 1, 1000}) {
            DigestSnapshots snapshots = new DigestSnapshots(100, 100);
            Source s = new Source();
            Sink sink = new Sink();
            Future<Void> done = VerifyingPump.pumpFrom(BlobStream.of(s, () -> s.aborted = true),
                    BlobSink.of(sink, () -> sink.reset = true), blob, "test", StreamWatch.NONE, 0, snapshots);
            emitAll(s, content, 0, size);
            assertTrue(done.succeeded(), size + ": " + done.cause());
            assertEquals(content, sink.written.toString(), size + ": one pass writes everything");
            assertEquals("[100, 200, 300, 400, 500, 600, 700, 800, 900]", java.util.Arrays.toString(snapshots.offsets()),
                    size + ": one snapshot per chunk end, none at 0 or at the blob's end");
            for (long at : snapshots.offsets()) {
                assertEquals(sha256Hex(content.substring(0, (int) at)), hex(snapshots.at(at).digest()),
                        size + ": the snapshot at " + at + " is the digest of exactly the bytes before it");
                for (int again : new int[] {1, 33, 100, 1000}) {
                    DigestSnapshots next = new DigestSnapshots(100, 100);
                    Source rest = new Source();
                    Sink resumed = new Sink();
                    long[] bytes = {0};
                    Future<Void> seeded = VerifyingPump.pumpSeeded(BlobStream.of(rest, () -> rest.aborted = true),
                            BlobSink.of(resumed, () -> resumed.reset = true), blob, "test", counting(bytes), at,
                            snapshots.at(at), next);
                    emitAll(rest, content, (int) at, again);
                    assertTrue(seeded.succeeded(), size + "/" + at + "/" + again + ": " + seeded.cause());
                    assertEquals(content.substring((int) at), resumed.written.toString(), "only the bytes from " + at);
                    assertEquals(content.length() - at, bytes[0], "progress counts only the bytes from " + at);
                    assertEquals(at + 100 < 1000 ? at + 100 : -1, next.offsets().length == 0 ? -1 : next.offsets()[0],
                            "the seeded pass snapshots its own chunk ends, from " + at + " on");
                }
            }
        }
    }

    private static StreamWatch counting(long[] bytes) {
        return new StreamWatch() {
            @Override
            public void bytes(long n) {
                bytes[0] += n;
            }

            @Override
            public Runnable onAbort(Runnable abort) {
                return () -> {
                };
            }
        };
    }

    /** One whole pass of {@code content} in 64-byte reads, with the digest cloned every 100 bytes. */
    private static DigestSnapshots pumpedOnce(String content, Descriptor blob) {
        DigestSnapshots snapshots = new DigestSnapshots(100, 100);
        Source s = new Source();
        Sink sink = new Sink();
        VerifyingPump.pumpFrom(BlobStream.of(s, () -> s.aborted = true), BlobSink.of(sink, () -> sink.reset = true),
                blob, "test", StreamWatch.NONE, 0, snapshots);
        emitAll(s, content, 0, 64);
        return snapshots;
    }

    @Test
    void shouldFailAndResetWhenTheSeedIsNotTheStateAtItsOffset() {
        String content = content();
        Descriptor blob = descriptorOf(content);
        DigestSnapshots snapshots = pumpedOnce(content, blob);
        Source rest = new Source();
        Sink resumed = new Sink();
        Future<Void> seeded = VerifyingPump.pumpSeeded(BlobStream.of(rest, () -> rest.aborted = true),
                BlobSink.of(resumed, () -> resumed.reset = true), blob, "test", StreamWatch.NONE, 300, snapshots.at(200), null);
        emitAll(rest, content, 300, 64);
        assertTrue(seeded.failed(), "the state after 200 bytes continued at byte 300 skips 100 bytes of the hash");
        assertTrue(resumed.reset, "the sink is reset");
        assertFalse(resumed.ended, "and never ended");
    }

    @Test
    void shouldFailWhenASeededSourceSendsMoreOrFewerBytesThanTheRestOfTheBlob() {
        String content = content();
        Descriptor blob = descriptorOf(content);
        DigestSnapshots snapshots = pumpedOnce(content, blob);
        // the source answers the Range request from the first byte: 1000 bytes after the 300 the seed covers
        Source whole = new Source();
        Sink tooMuch = new Sink();
        Future<Void> more = VerifyingPump.pumpSeeded(BlobStream.of(whole, () -> whole.aborted = true),
                BlobSink.of(tooMuch, () -> tooMuch.reset = true), blob, "test", StreamWatch.NONE, 300, snapshots.at(300), null);
        whole.emit(content.substring(0, 500));
        whole.emit(content.substring(500));
        assertTrue(more.failed() && more.cause().getMessage().contains("more than the 1000 bytes"), String.valueOf(more.cause()));
        assertTrue(whole.aborted && tooMuch.reset);
        Source shortSource = new Source();
        Sink tooLittle = new Sink();
        Future<Void> fewer = VerifyingPump.pumpSeeded(BlobStream.of(shortSource, () -> shortSource.aborted = true),
                BlobSink.of(tooLittle, () -> tooLittle.reset = true), blob, "test", StreamWatch.NONE, 300, snapshots.at(300), null);
        shortSource.emit(content.substring(300, 999));
        shortSource.end.handle(null);
        assertTrue(fewer.failed() && fewer.cause().getMessage().contains("999 bytes"), String.valueOf(fewer.cause()));
        assertFalse(tooLittle.ended);
    }

    /**
     * The path of a run that takes over, and of a resume with no snapshot at the registry's offset: the source from byte
     * 0, the first {@code skip} bytes hashed and not written; the pass's own chunk ends are snapshotted from {@code skip}
     * on (its chunks start there), the one at {@code skip} included.
     */
    @Test
    void shouldSnapshotTheChunkEndsOfAPassThatSkipsTheBytesTheRegistryHolds() throws Exception {
        String content = content();
        Descriptor blob = descriptorOf(content);
        DigestSnapshots snapshots = new DigestSnapshots(100, 100);
        Source s = new Source();
        Sink sink = new Sink();
        Future<Void> done = VerifyingPump.pumpFrom(BlobStream.of(s, () -> s.aborted = true),
                BlobSink.of(sink, () -> sink.reset = true), blob, "test", StreamWatch.NONE, 250, snapshots);
        emitAll(s, content, 0, 64);
        assertTrue(done.succeeded(), String.valueOf(done.cause()));
        assertEquals(content.substring(250), sink.written.toString());
        assertEquals("[250, 350, 450, 550, 650, 750, 850, 950]", java.util.Arrays.toString(snapshots.offsets()));
        assertEquals(sha256Hex(content.substring(0, 350)), hex(snapshots.at(350).digest()));
    }

    @Test
    void shouldKeepOnlyTheMostRecentSnapshots() throws Exception {
        String content = content();
        DigestSnapshots snapshots = new DigestSnapshots(100);
        Source s = new Source();
        Sink sink = new Sink();
        VerifyingPump.pumpFrom(BlobStream.of(s, () -> s.aborted = true), BlobSink.of(sink, () -> sink.reset = true),
                descriptorOf(content), "test", StreamWatch.NONE, 0, snapshots);
        emitAll(s, content, 0, 64);
        assertEquals("[600, 700, 800, 900]", java.util.Arrays.toString(snapshots.offsets()));
        assertEquals(null, snapshots.at(500), "an old one is gone: a resume there reads the source from byte 0");
        java.security.MessageDigest a = snapshots.at(900);
        a.update((byte) 1);
        assertEquals(sha256Hex(content.substring(0, 900)), hex(snapshots.at(900).digest()),
                "each caller gets its own clone: using one does not change the kept state");
    }
}
