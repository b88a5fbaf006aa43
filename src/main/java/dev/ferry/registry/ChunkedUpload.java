package dev.ferry.registry;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.registry.http.RegistryCall;
import dev.ferry.registry.http.RegistryResponse;
import dev.ferry.registry.http.RegistryTransport;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.streams.WriteStream;
import java.net.URI;
import java.util.ArrayDeque;

/**
 * One blob pushed into an open upload session in chunks (OCI distribution's chunked upload): a PATCH with
 * Content-Range and Content-Length per chunk, each streamed as the bytes arrive, and a PUT with the digest once
 * every byte is verified. After each chunk the registry acknowledges, its new Location and offset are recorded
 * ({@link UploadSessions}) before the next chunk is sent, so a successor can continue from the last acknowledged
 * chunk. The registry keeps the bytes uncommitted until the PUT: nothing can be taken for the blob before the digest
 * matched ({@link #commitsSeparately()}), and {@link #reset()} leaves only a session for the caller to cancel.
 * <p>
 * Flow control: while a chunk is being acknowledged and recorded, the write queue reports full (the pump pauses the
 * source); at most the buffers of one read wait here meanwhile.
 */
final class ChunkedUpload implements BlobSink, WriteStream<Buffer> {
    private final RegistryTransport transport;
    private final RegistryAccess access;
    private final String scope;
    private final Descriptor blob;
    private final long chunkSize;
    private final UploadSessions sessions;
    private final String destination;
    private final String action;
    private final int bodyLimit;

    private volatile String location;
    /** Bytes the registry acknowledged (the start of the current chunk). */
    private long acked;
    private HttpClientRequest request;
    private Promise<Void> requestBody;
    private long chunkLength;
    private long inChunk;
    /** A chunk is being opened, or acknowledged and recorded: nothing is written meanwhile. */
    private boolean busy;
    private boolean failed;
    /**
     * Why the last chunk failed when it can be picked up again from the registry's Range (a 416, a 5xx or 429, a
     * dropped connection, no answer in time).
     */
    private volatile String resumable;
    /** The failed chunk was answered 416: the registry refused the offset its own Range reports. */
    private volatile boolean rangeRefused;
    /** The failed chunk's Retry-After, when its answer had one. */
    private volatile String retryAfter;
    private final ArrayDeque<Buffer> pending = new ArrayDeque<>();
    /** Answers to a chunk after which the session is asked how far it got (the statuses worth a retry, as for any request). */
    private static final java.util.Set<Integer> RESUMABLE_STATUSES = java.util.Set.of(408, 429, 500, 502, 503, 504);
    private Handler<Void> drain;
    private Handler<Throwable> failure;
    private Promise<Void> ended;

    ChunkedUpload(RegistryTransport transport, RegistryAccess access, String scope, Descriptor blob, long chunkSize,
                  String location, long offset, UploadSessions sessions, String destination, String action, int bodyLimit) {
        this.transport = transport;
        this.access = access;
        this.scope = scope;
        this.blob = blob;
        this.chunkSize = Math.max(1, chunkSize);
        this.location = location;
        this.acked = offset;
        this.sessions = sessions;
        this.destination = destination;
        this.action = action;
        this.bodyLimit = bodyLimit;
    }

    /** The session's newest location (the one to cancel). */
    String location() {
        return location;
    }

    /** Bytes the registry acknowledged so far. */
    synchronized long acknowledged() {
        return acked;
    }

    /**
     * Why the upload stopped when the session may still be there and the caller can ask it how far it got (GET, its
     * {@code Range}) and continue (BAD-INPUT row 23): a chunk answered 416, 429 or a retryable 5xx (408, 500, 502,
     * 503, 504), a connection that dropped during a chunk or before its answer, or no answer within the first-byte
     * timeout. Null when it stopped for any other reason (the source failed, a digest mismatch, another status such as
     * 400 or 404, a reset by the caller).
     */
    String resumable() {
        return resumable;
    }

    /** Whether the failed chunk was answered 416 (see {@link #resumable()}). */
    boolean rangeRefused() {
        return rangeRefused;
    }

    /** The failed chunk's {@code Retry-After} (a 429 or 503), or null. */
    String retryAfter() {
        return retryAfter;
    }

    // ---- BlobSink ---------------------------------------------------------------------------------

    @Override
    public WriteStream<Buffer> stream() {
        return this;
    }

    @Override
    public boolean commitsSeparately() {
        return true;
    }

    @Override
    public Future<Void> end(Buffer last) {
        Promise<Void> p = Promise.promise();
        synchronized (this) {
            ended = p;
            if (last != null) {
                pending.add(last);
            }
        }
        advance();
        return p.future();
    }

    @Override
    public void reset() {
        HttpClientRequest r;
        synchronized (this) {
            failed = true;
            r = request;
            request = null;
            pending.clear();
        }
        if (r != null) {
            r.reset();
        }
    }

    // ---- WriteStream ------------------------------------------------------------------------------

    @Override
    public synchronized WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        this.failure = handler;
        return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
        synchronized (this) {
            pending.add(data);
        }
        advance();
        return Future.succeededFuture();
    }

    @Override
    public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
        write(data).onComplete(handler);
    }

    @Override
    public void end(Handler<AsyncResult<Void>> handler) {
        end((Buffer) null).onComplete(handler);
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
        return this;
    }

    @Override
    public synchronized boolean writeQueueFull() {
        return !pending.isEmpty() || busy || (request != null && request.writeQueueFull());
    }

    @Override
    public synchronized WriteStream<Buffer> drainHandler(Handler<Void> handler) {
        this.drain = handler;
        return this;
    }

    // ---- the chunks -------------------------------------------------------------------------------

    /** Writes what waits into the open chunk, opens the next one, or commits once every byte is acknowledged. */
    private void advance() {
        boolean open = false;
        boolean commit = false;
        boolean drained = false;
        synchronized (this) {
            if (failed || busy) {
                return;
            }
            while (request != null && !pending.isEmpty()) {
                Buffer b = pending.poll();
                long room = chunkLength - inChunk;
                if (b.length() > room) {
                    pending.addFirst(b.slice((int) room, b.length()));
                    b = b.slice(0, (int) room);
                }
                request.write(b);
                inChunk += b.length();
                if (inChunk == chunkLength) {
                    HttpClientRequest full = request;
                    request = null;
                    busy = true; // acknowledged and recorded before anything else is sent
                    full.end();
                    requestBody.tryComplete();
                    return;
                }
            }
            if (request == null && !pending.isEmpty()) {
                busy = true;
                open = true;
            } else if (request == null && ended != null && acked == blob.size()) {
                busy = true;
                commit = true;
            } else {
                drained = pending.isEmpty() && (request == null || !request.writeQueueFull());
            }
        }
        if (open) {
            openChunk();
        } else if (commit) {
            commit();
        } else if (drained) {
            fireDrain();
        }
    }

    private void fireDrain() {
        Handler<Void> d;
        synchronized (this) {
            d = drain;
        }
        if (d != null) {
            d.handle(null);
        }
    }

    private void openChunk() {
        long start;
        long length;
        synchronized (this) {
            start = acked;
            length = Math.min(chunkSize, blob.size() - acked);
        }
        if (length <= 0) {
            fail(new FerryException(ProblemType.DIGEST_MISMATCH, action + ": the source sent more than the " + blob.size()
                    + " bytes its descriptor states"));
            return;
        }
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/octet-stream")
                .add("Content-Range", start + "-" + (start + length - 1));
        RegistryCall patch = new RegistryCall(HttpMethod.PATCH, location, headers, null, scope,
                action + " (chunk at byte " + start + ")", bodyLimit);
        transport.upload(access, patch, length, req -> {
            Promise<Void> body = Promise.promise();
            req.response().onFailure(body::tryFail);
            req.exceptionHandler(body::tryFail);
            req.drainHandler(v -> advance());
            synchronized (this) {
                if (failed) {
                    req.reset();
                    return Future.failedFuture(new java.util.concurrent.CancellationException(action + ": stopped"));
                }
                request = req;
                requestBody = body;
                chunkLength = length;
                inChunk = 0;
                busy = false;
            }
            advance();
            return body.future();
        }).transform(ar -> {
            if (ar.succeeded()) {
                return acknowledged(ar.result(), start, length);
            }
            synchronized (this) {
                if (!failed && !(ar.cause() instanceof FerryException fe && fe.type() == ProblemType.DIGEST_MISMATCH)) {
                    resumable = ar.cause() instanceof FerryException fe && fe.type() == ProblemType.REGISTRY_TIMEOUT
                            ? "the registry did not answer the chunk at byte " + start + " in time"
                            : "the connection dropped during the chunk at byte " + start;
                }
            }
            return Future.failedFuture(ar.cause());
        }).onComplete(ar -> {
            if (ar.failed()) {
                fail(ar.cause());
                return;
            }
            synchronized (this) {
                busy = false;
            }
            advance();
        });
    }

    /** A chunk's answer: 202 with the session's next Location; recorded before the next chunk goes. */
    private Future<Void> acknowledged(RegistryResponse resp, long start, long length) {
        if (resp.status() == 416) {
            rangeRefused = true;
            resumable = "the registry answered 416 (range not satisfiable) to the chunk at byte " + start;
            return Future.failedFuture(new FerryException(ProblemType.REGISTRY_ERROR, action + ": " + resumable));
        }
        if (RESUMABLE_STATUSES.contains(resp.status())) {
            // the session is not gone for a transient refusal: whether the registry kept some or none of the chunk,
            // its Range says where to go on
            retryAfter = resp.header("Retry-After");
            resumable = "the registry answered " + resp.status() + " to the chunk at byte " + start;
            return Future.failedFuture(RegistryErrors.failure(resp, action + " (chunk at byte " + start + ")", ProblemType.BLOB_NOT_FOUND));
        }
        if (resp.status() != 202) {
            return Future.failedFuture(resp.isSuccess()
                    ? new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, action + ": a chunk was answered " + resp.status() + ", not 202")
                    : RegistryErrors.failure(resp, action + " (chunk at byte " + start + ")", ProblemType.BLOB_NOT_FOUND));
        }
        String next = resp.header("Location");
        if (next != null && !next.isBlank()) {
            try {
                location = URI.create(resp.url()).resolve(next).toString();
            } catch (IllegalArgumentException e) {
                return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, action + ": invalid upload Location"));
            }
        }
        long offset;
        synchronized (this) {
            acked = start + length;
            offset = acked;
        }
        return sessions.record(destination, blob.digest(), location, offset);
    }

    /** Every byte is there and verified: the PUT with the digest makes it the blob. */
    private void commit() {
        String put = location + (location.contains("?") ? "&" : "?") + "digest="
                + java.net.URLEncoder.encode(blob.digest().toString(), java.nio.charset.StandardCharsets.UTF_8);
        RegistryCall call = new RegistryCall(HttpMethod.PUT, put, MultiMap.caseInsensitiveMultiMap()
                .add("Content-Type", "application/octet-stream"), Buffer.buffer(), scope, action + " (committing)", bodyLimit);
        transport.exchange(access, call).onComplete(ar -> {
            Promise<Void> done;
            synchronized (this) {
                done = ended;
            }
            if (ar.failed()) {
                done.tryFail(ar.cause());
                return;
            }
            RegistryResponse resp = ar.result();
            if (!resp.isSuccess()) {
                done.tryFail(RegistryErrors.failure(resp, action + " (committing)", ProblemType.BLOB_NOT_FOUND));
                return;
            }
            String stored = resp.header("Docker-Content-Digest");
            if (stored != null && !stored.equals(blob.digest().toString())) {
                done.tryFail(new FerryException(ProblemType.DIGEST_MISMATCH, action + ": the registry stored the blob as " + stored));
                return;
            }
            done.tryComplete();
        });
    }

    private void fail(Throwable t) {
        Handler<Throwable> h;
        Promise<Void> done;
        synchronized (this) {
            if (failed) {
                return;
            }
            failed = true;
            h = failure;
            done = ended;
        }
        if (h != null) {
            h.handle(t);
        }
        if (done != null) {
            done.tryFail(t);
        }
    }
}
