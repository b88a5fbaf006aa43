package dev.ferry.api;

import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/**
 * A {@link WriteStream} feeding a Mutiny emitter, so an engine that writes with Vert.x flow control can stream an
 * HTTP response body through RESTEasy Reactive: the queue counts buffers emitted beyond the subscriber's demand
 * and says "full" past {@link #MAX_AHEAD}, and a new request drains it. Ending completes the body; a failure or
 * {@link #reset()} fails it, and a body that fails after its first bytes is cut off (the connection closed without
 * the final chunk), so no client takes a truncated tar for a whole one.
 */
final class EmitterWriteStream implements WriteStream<Buffer> {
    static final int MAX_AHEAD = 32;

    private final MultiEmitter<? super Buffer> emitter;
    private long demand;
    private long emitted;
    private Handler<Void> drain;
    private boolean ended;

    EmitterWriteStream(MultiEmitter<? super Buffer> emitter) {
        this.emitter = emitter;
        emitter.onRequest(n -> {
            Handler<Void> h;
            synchronized (this) {
                demand = n == Long.MAX_VALUE || demand + n < 0 ? Long.MAX_VALUE : demand + n;
                h = full() ? null : drain;
                if (h != null) {
                    drain = null;
                }
            }
            if (h != null) {
                h.handle(null);
            }
        });
    }

    private boolean full() {
        return demand != Long.MAX_VALUE && emitted - demand > MAX_AHEAD;
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
        if (ended || emitter.isCancelled()) {
            return Future.failedFuture("the client went away");
        }
        synchronized (this) {
            emitted++;
        }
        emitter.emit(data);
        return Future.succeededFuture();
    }

    @Override
    public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
        write(data).onComplete(handler);
    }

    @Override
    public Future<Void> end() {
        if (!ended) {
            ended = true;
            emitter.complete();
        }
        return Future.succeededFuture();
    }

    @Override
    public void end(Handler<AsyncResult<Void>> handler) {
        end().onComplete(handler);
    }

    /** Fails the body: the response is cut off. */
    void reset() {
        if (!ended) {
            ended = true;
            emitter.fail(new Incomplete());
        }
    }

    /** Why a body was cut off (the cause is in the log line of the failed blob); no stack trace, it is expected. */
    static final class Incomplete extends java.io.IOException {
        private static final long serialVersionUID = 1L;

        Incomplete() {
            super("the export failed before the archive was complete; the response was cut off", null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
        return this;
    }

    @Override
    public synchronized boolean writeQueueFull() {
        return full();
    }

    @Override
    public synchronized WriteStream<Buffer> drainHandler(Handler<Void> handler) {
        drain = handler;
        return this;
    }
}
