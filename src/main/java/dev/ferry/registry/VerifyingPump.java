package dev.ferry.registry;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.security.MessageDigest;

/**
 * Moves one blob from a paused {@link BlobStream} (a registry download, a file, a tar entry) into a
 * {@link BlobSink} (an upload request, a temp file, a tar stream) with Vert.x flow control (the source pauses
 * while the sink's write queue is full), hashing and counting every buffer as it passes.
 * <p>
 * The last buffer received is held back until the source has ended and both size and digest are known
 * to match the descriptor; only then is it written and the sink ended. On any mismatch the sink is
 * reset instead, so the destination never receives a complete body for the wrong content.
 */
public final class VerifyingPump {
    /** Most times one blob's download is picked up again with a Range request after the connection dropped. */
    static final int MAX_RESUMES = 8;

    private BlobStream source;
    private int resumes;
    private final BlobSink sink;
    private final WriteStream<Buffer> upload;
    private final Descriptor expected;
    private final String action;
    private final StreamWatch watch;
    private final MessageDigest hash;
    /** Where the digest state is cloned at chunk ends (null: nowhere), and the next offset to clone it at. */
    private final DigestSnapshots snapshots;
    private long nextSnapshot = Long.MAX_VALUE;
    private final Promise<Void> done = Promise.promise();
    private Buffer held;
    private long count;
    /** Bytes at the start that are hashed but not written (the destination holds them already). */
    private long skip;
    private final boolean writeThrough;

    private VerifyingPump(BlobStream source, BlobSink sink, Descriptor expected, String action, StreamWatch watch, long skip) {
        this(source, sink, expected, action, watch, skip, null, 0, null);
    }

    /**
     * {@code seed} null: the source starts at byte 0 and the first {@code skip} bytes are hashed, not written. Otherwise
     * the source starts at byte {@code start}, {@code seed} is the digest state after exactly {@code start} bytes, and
     * every byte read is hashed and written. With {@code snapshots}, the digest is cloned where each chunk of this pass
     * ends: at the pass's first byte ({@code skip} or {@code start}) plus multiples of the snapshots' interval.
     */
    private VerifyingPump(BlobStream source, BlobSink sink, Descriptor expected, String action, StreamWatch watch, long skip,
                          DigestSnapshots snapshots, long start, MessageDigest seed) {
        this.skip = seed == null ? skip : 0;
        this.writeThrough = sink.commitsSeparately();
        this.source = source;
        this.sink = sink;
        this.upload = sink.stream();
        this.expected = expected;
        this.action = action;
        this.watch = watch;
        this.hash = seed == null ? expected.digest().newMessageDigest() : seed;
        this.count = seed == null ? 0 : start;
        this.snapshots = snapshots;
        if (snapshots != null) {
            long passStart = seed == null ? skip : start;
            nextSnapshot = count < passStart ? passStart : passStart + snapshots.interval();
        }
    }

    /** Pumps {@code source} (paused, unread) into {@code sink}; completes once the sink has been ended. */
    public static Future<Void> pump(BlobStream source, BlobSink sink, Descriptor expected, String action, StreamWatch watch) {
        return new VerifyingPump(source, sink, expected, action, watch, 0).start();
    }

    /**
     * As {@link #pump}, reading the source from its first byte but writing only from byte {@code skip} on: the first
     * {@code skip} bytes are hashed and counted, not written (a resumed upload whose destination holds them already),
     * so the digest still covers the whole blob.
     */
    static Future<Void> pumpFrom(BlobStream source, BlobSink sink, Descriptor expected, String action, StreamWatch watch, long skip) {
        return new VerifyingPump(source, sink, expected, action, watch, skip).start();
    }

    /**
     * As {@link #pumpFrom}, cloning the digest into {@code snapshots} where each chunk of this pass ends (from byte
     * {@code skip} on, the snapshots' interval apart), so that a resume within the run can continue from one of them
     * ({@link #pumpSeeded}).
     */
    static Future<Void> pumpFrom(BlobStream source, BlobSink sink, Descriptor expected, String action, StreamWatch watch, long skip,
                                 DigestSnapshots snapshots) {
        return new VerifyingPump(source, sink, expected, action, watch, skip, snapshots, 0, null).start();
    }

    /**
     * Continues a blob from byte {@code start} with the digest state after exactly those bytes ({@code seed}, a clone
     * from {@link DigestSnapshots#at}): {@code source} delivers the blob from byte {@code start} (a Range request), the
     * bytes before it are neither read nor written, and every byte from {@code start} on is hashed and written. Size
     * and digest are checked over the whole blob as for {@link #pump}: the count starts at {@code start}, the digest
     * from the seed. The digest is cloned into {@code snapshots} at {@code start} plus multiples of their interval.
     */
    static Future<Void> pumpSeeded(BlobStream source, BlobSink sink, Descriptor expected, String action, StreamWatch watch,
                                   long start, MessageDigest seed, DigestSnapshots snapshots) {
        java.util.Objects.requireNonNull(seed, "seed");
        if (start < 0 || start > expected.size()) {
            throw new IllegalArgumentException("start " + start + " outside the blob's " + expected.size() + " bytes");
        }
        return new VerifyingPump(source, sink, expected, action, watch, 0, snapshots, start, seed).start();
    }

    /** A registry download as a blob stream that resumes through {@code reopener} (null: it cannot). */
    static BlobStream download(HttpClientResponse response, java.util.function.LongFunction<Future<HttpClientResponse>> reopener) {
        return new BlobStream() {
            @Override
            public ReadStream<Buffer> stream() {
                return response;
            }

            @Override
            public void abort() {
                response.request().reset();
            }

            @Override
            public Future<BlobStream> reopen(long offset) {
                return reopener == null ? null : reopener.apply(offset).map(r -> download(r, reopener));
            }
        };
    }

    /** An upload request as a sink. */
    static BlobSink upload(HttpClientRequest request) {
        return BlobSink.of(request, request::reset);
    }

    private Future<Void> start() {
        Context context = Vertx.currentContext();
        Runnable unregister = watch.onAbort(() -> {
            java.util.concurrent.CancellationException why = new java.util.concurrent.CancellationException(action + ": cancelled");
            if (context == null) {
                abort(why);
            } else {
                context.runOnContext(v -> abort(why));
            }
        });
        done.future().onComplete(ar -> unregister.run());
        upload.exceptionHandler(t -> abort(t));
        attach(source);
        return done.future();
    }

    private void attach(BlobStream from) {
        source = from;
        ReadStream<Buffer> s = from.stream();
        s.exceptionHandler(t -> onSourceFailure(from, t));
        s.handler(this::onBuffer);
        s.endHandler(v -> onEnd());
        if (!upload.writeQueueFull()) {
            s.resume();
        } else {
            // the drain handler set for the stream this one replaces must resume this one, not the dead one
            upload.drainHandler(v -> resumeCurrent());
        }
    }

    /** A dropped download is picked up where it stopped with a Range request; the upload stays open meanwhile. */
    private void onSourceFailure(BlobStream from, Throwable t) {
        if (done.future().isComplete() || from != source) {
            return;
        }
        Future<BlobStream> again = resumes >= MAX_RESUMES || t instanceof java.util.concurrent.CancellationException
                ? null : from.reopen(count);
        if (again == null) {
            abort(t);
            return;
        }
        resumes++;
        from.stream().handler(null);
        from.stream().endHandler(null);
        watch.resumed(count, t.getMessage());
        again.onComplete(ar -> {
            if (done.future().isComplete()) {
                if (ar.succeeded()) {
                    ar.result().abort();
                }
            } else if (ar.succeeded()) {
                attach(ar.result());
            } else {
                abort(ar.cause());
            }
        });
    }

    private void onBuffer(Buffer buffer) {
        if (done.future().isComplete()) {
            return;
        }
        count += buffer.length();
        if (count > expected.size()) {
            abort(mismatch("more than the " + expected.size() + " bytes its descriptor states"));
            return;
        }
        hashAndSnapshot(buffer);
        if (skip > 0) {
            if (buffer.length() <= skip) {
                skip -= buffer.length();
                return;
            }
            buffer = buffer.slice((int) skip, buffer.length());
            skip = 0;
        }
        if (writeThrough) {
            upload.write(buffer);
            watch.bytes(buffer.length());
        } else {
            if (held != null) {
                upload.write(held);
                watch.bytes(held.length());
            }
            held = buffer;
        }
        if (upload.writeQueueFull()) {
            source.stream().pause();
            upload.drainHandler(v -> resumeCurrent());
        }
    }

    /**
     * Hashes {@code buffer} (whose last byte is byte {@code count} of the blob) through a view, not a copy; where a
     * snapshot offset falls inside it, the update is split there and the digest cloned at exactly that byte.
     */
    private void hashAndSnapshot(Buffer buffer) {
        io.netty.buffer.ByteBuf bytes = buffer.getByteBuf();
        int base = bytes.readerIndex();
        int length = buffer.length();
        long first = count - length; // the blob offset of the buffer's first byte
        int done = 0;
        while (nextSnapshot <= count && nextSnapshot < expected.size()) {
            int cut = (int) (nextSnapshot - first);
            if (cut > done) {
                hash.update(bytes.nioBuffer(base + done, cut - done));
            }
            done = cut;
            snapshots.take(nextSnapshot, hash);
            nextSnapshot += snapshots.interval();
        }
        if (done < length) {
            hash.update(bytes.nioBuffer(base + done, length - done));
        }
    }

    /** After the sink drained: the current source (a resumed download replaces the first) reads again. */
    private void resumeCurrent() {
        if (!done.future().isComplete()) {
            source.stream().resume();
        }
    }

    private void onEnd() {
        if (done.future().isComplete()) {
            return;
        }
        if (count != expected.size()) {
            abort(mismatch(count + " bytes where its descriptor states " + expected.size()));
            return;
        }
        if (!expected.digest().matchesDigestBytes(hash.digest())) {
            abort(mismatch("content that does not match its digest"));
            return;
        }
        Future<Void> ended = sink.end(held);
        if (held != null) {
            watch.bytes(held.length());
        }
        held = null;
        ended.onComplete(done);
    }

    private FerryException mismatch(String what) {
        return new FerryException(ProblemType.DIGEST_MISMATCH, action + ": the source sent " + what);
    }

    private void abort(Throwable why) {
        if (!done.tryFail(why)) {
            return;
        }
        held = null;
        sink.reset();
        source.abort();
    }
}
