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
import java.security.MessageDigest;

/**
 * Moves one blob from a paused download into an upload request with Vert.x flow control (the source
 * pauses while the upload's write queue is full), hashing and counting every buffer as it passes.
 * <p>
 * The last buffer received is held back until the source has ended and both size and digest are known
 * to match the descriptor; only then is it written and the request ended. On any mismatch the request is
 * reset instead, so the registry never receives a complete body for the wrong content.
 */
final class VerifyingPump {
    /** Most times one blob's download is picked up again with a Range request after the connection dropped. */
    static final int MAX_RESUMES = 8;

    /** Opens the source again from a byte offset (a Range request), paused and unread. */
    @FunctionalInterface
    interface Reopener {
        Future<HttpClientResponse> from(long offset);
    }

    private HttpClientResponse source;
    private final Reopener reopener;
    private int resumes;
    private final HttpClientRequest upload;
    private final Descriptor expected;
    private final String action;
    private final StreamWatch watch;
    private final MessageDigest hash;
    private final Promise<Void> done = Promise.promise();
    private Buffer held;
    private long count;

    private VerifyingPump(HttpClientResponse source, HttpClientRequest upload, Descriptor expected, String action,
                          StreamWatch watch, Reopener reopener) {
        this.source = source;
        this.reopener = reopener;
        this.upload = upload;
        this.expected = expected;
        this.action = action;
        this.watch = watch;
        this.hash = expected.digest().newMessageDigest();
    }

    /** Pumps {@code source} (paused, unread) into {@code upload}; completes once the request has been ended. */
    static Future<Void> pump(HttpClientResponse source, HttpClientRequest upload, Descriptor expected, String action,
                             StreamWatch watch, Reopener reopener) {
        return new VerifyingPump(source, upload, expected, action, watch, reopener).start();
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

    private void attach(HttpClientResponse from) {
        source = from;
        from.exceptionHandler(t -> onSourceFailure(from, t));
        from.handler(this::onBuffer);
        from.endHandler(v -> onEnd());
        if (!upload.writeQueueFull()) {
            from.resume();
        }
    }

    /** A dropped download is picked up where it stopped with a Range request; the upload stays open meanwhile. */
    private void onSourceFailure(HttpClientResponse from, Throwable t) {
        if (done.future().isComplete() || from != source) {
            return;
        }
        if (reopener == null || resumes >= MAX_RESUMES || t instanceof java.util.concurrent.CancellationException) {
            abort(t);
            return;
        }
        resumes++;
        from.handler(null);
        from.endHandler(null);
        watch.resumed(count, t.getMessage());
        reopener.from(count).onComplete(ar -> {
            if (done.future().isComplete()) {
                if (ar.succeeded()) {
                    ar.result().request().reset();
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
        hash.update(buffer.getByteBuf().nioBuffer()); // a view, not a copy of the chunk
        if (held != null) {
            upload.write(held);
            watch.bytes(held.length());
        }
        held = buffer;
        if (upload.writeQueueFull()) {
            source.pause();
            upload.drainHandler(v -> source.resume());
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
        Future<Void> ended = held == null ? upload.end() : upload.end(held);
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
        upload.reset();
        source.request().reset();
    }
}
