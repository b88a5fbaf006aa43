package dev.ferry.registry;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/** A small in-memory blob (a signature payload, a config) as the paused stream a blob upload reads. */
public final class BytesStream implements ReadStream<Buffer> {
    private final Buffer data;
    private Handler<Buffer> handler;
    private Handler<Void> end;
    private boolean paused = true;
    private boolean done;

    private BytesStream(byte[] bytes) {
        this.data = Buffer.buffer(bytes);
    }

    public static BlobStream of(byte[] bytes) {
        BytesStream s = new BytesStream(bytes);
        return BlobStream.of(s, () -> s.done = true);
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> h) {
        this.handler = h;
        emit();
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
        emit();
        return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
        return resume();
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> h) {
        this.end = h;
        emit();
        return this;
    }

    private void emit() {
        if (paused || done || handler == null || end == null) {
            return;
        }
        done = true;
        if (data.length() > 0) {
            handler.handle(data);
        }
        if (end != null) {
            end.handle(null);
        }
    }
}
