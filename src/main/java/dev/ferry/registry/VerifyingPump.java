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
    private final HttpClientResponse source;
    private final HttpClientRequest upload;
    private final Descriptor expected;
    private final String action;
    private final StreamWatch watch;
    private final MessageDigest hash;
    private final Promise<Void> done = Promise.promise();
    private Buffer held;
    private long count;

    private VerifyingPump(HttpClientResponse source, HttpClientRequest upload, Descriptor expected, String action,
                          StreamWatch watch) {
        this.source = source;
        this.upload = upload;
        this.expected = expected;
        this.action = action;
        this.watch = watch;
        this.hash = expected.digest().newMessageDigest();
    }

    /** Pumps {@code source} (paused, unread) into {@code upload}; completes once the request has been ended. */
    static Future<Void> pump(HttpClientResponse source, HttpClientRequest upload, Descriptor expected, String action,
                             StreamWatch watch) {
        return new VerifyingPump(source, upload, expected, action, watch).start();
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
        source.exceptionHandler(t -> abort(t));
        source.handler(this::onBuffer);
        source.endHandler(v -> onEnd());
        source.resume();
        return done.future();
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
