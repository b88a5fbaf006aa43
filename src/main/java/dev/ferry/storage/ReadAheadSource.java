package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.streams.ReadStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A source read in a fixed order (the blobs of a tar stream, one after the other) whose next blobs are downloaded
 * ahead, in parallel, into a bounded spool directory while the current one streams: the tar never waits on a single
 * registry download — when the link is the limit: read-ahead starts once a blob streaming straight from the source
 * has run slower than a configured rate (a registry across a network, where one connection is bounded by its window
 * and round trip); on a fast link the spool would only add disk writes. A blob being read that is still downloading is read from its spool file as the file grows; one
 * whose turn comes before its download started (or that does not fit the cap) is opened straight from the source.
 * <p>
 * Bounds: at most {@code ahead} downloads at once, at most {@code maxBytes} reserved in the spool (a blob's whole size
 * is reserved when its download starts and released once it has been read), a download cut off at its descriptor's
 * size. Nothing is held in memory beyond the file's write queue and one read chunk. Blobs are not verified here: the
 * reader verifies them as they pass (size and digest), exactly as it would a registry download. Every spool file is
 * deleted once read, and {@link #close()} stops the downloads and removes the directory, whatever happened.
 * <p>
 * All state is touched on one event loop (the one the first {@link #openBlob} ran on); callbacks from elsewhere are
 * moved there.
 */
final class ReadAheadSource implements ImageSource {
    static final int READ_CHUNK = 512 * 1024;
    /** What a download gathers before one file write. */
    static final int WRITE_BATCH = 512 * 1024;
    /** Most bytes of one download received but not yet in its file (the batch and the writes under way). */
    static final long MAX_IN_FLIGHT = 2L * 1024 * 1024;
    /** How long a download straight from the source is watched before its rate counts. */
    static final long WATCH_NANOS = 500_000_000L;
    /** Most times a dropped read-ahead download is picked up again with a Range request (as VerifyingPump does). */
    private static final int MAX_RESUMES = 8;

    private final ImageSource delegate;
    private final List<Descriptor> order;
    private final Map<Digest, Integer> position = new HashMap<>();
    private final Path dir;
    private final long maxBytes;
    private final int ahead;
    private final Vertx vertx;
    private final long belowRate;
    /** Whether read-ahead has started (at once when {@code belowRate} is 0, else once a download was slow). */
    private boolean started;
    private final Map<Digest, Spool> spools = new LinkedHashMap<>();
    private Context context;
    private boolean dirMade;
    private int next;
    private int cursor;
    private long reserved;
    private long peakReserved;
    private int downloading;
    private int spooledBlobs;
    private boolean closed;
    private Future<Void> closing;
    private int files;

    /**
     * @param order     the blobs in the order they will be read (duplicates and foreign layers are never opened: leave
     *                  them out)
     * @param belowRate read-ahead starts once a blob streaming straight from the source has run slower than this
     *                  (bytes per second) for {@link #WATCH_NANOS}; 0: from the first blob
     */
    ReadAheadSource(ImageSource delegate, List<Descriptor> order, Path dir, long maxBytes, int ahead, long belowRate,
                    Vertx vertx) {
        this.delegate = delegate;
        this.belowRate = belowRate;
        this.started = belowRate <= 0;
        List<Descriptor> distinct = new ArrayList<>();
        for (Descriptor d : order) {
            if (!position.containsKey(d.digest())) {
                position.put(d.digest(), distinct.size());
                distinct.add(d);
            }
        }
        this.order = distinct;
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.ahead = ahead;
        this.vertx = vertx;
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public Future<ManifestResult> topManifest() {
        return delegate.topManifest();
    }

    @Override
    public Future<ManifestResult> manifest(Digest digest) {
        return delegate.manifest(digest);
    }

    @Override
    public Future<java.util.List<String>> tags() {
        return delegate.tags();
    }

    @Override
    public String inspectName() {
        return delegate.inspectName();
    }

    /** The most bytes the spool held reserved at once (for tests and logs). */
    long peakReserved() {
        return peakReserved;
    }

    /** How many blobs were downloaded ahead into the spool. */
    int spooledBlobs() {
        return spooledBlobs;
    }

    @Override
    public Future<BlobStream> openBlob(Descriptor blob) {
        if (context == null) {
            context = Vertx.currentContext();
        }
        if (closed) {
            return Future.failedFuture(new IllegalStateException("the source is closed"));
        }
        Integer at = position.get(blob.digest());
        if (at != null) {
            cursor = Math.max(cursor, at + 1);
        }
        Spool s = spools.get(blob.digest());
        Future<BlobStream> opened;
        if (s != null && s.failure == null) {
            opened = Future.succeededFuture(s.reader());
        } else {
            if (s != null) {
                s.release(); // its download failed before it was read: the blob streams straight from the source
            }
            opened = delegate.openBlob(blob).map(this::watched);
        }
        schedule();
        return opened;
    }

    /**
     * The blob streaming straight from the source, watched: once it has run for {@link #WATCH_NANOS} slower than
     * {@code belowRate}, the link (not this machine) is the limit, and read-ahead starts.
     */
    private BlobStream watched(BlobStream b) {
        if (started) {
            return b;
        }
        ReadStream<Buffer> in = b.stream();
        long[] first = {-1};
        long[] bytes = {0};
        ReadStream<Buffer> m = new ReadStream<>() {
            @Override
            public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
                in.exceptionHandler(h);
                return this;
            }

            @Override
            public ReadStream<Buffer> handler(Handler<Buffer> h) {
                in.handler(h == null ? null : buf -> {
                    if (!started) {
                        long now = System.nanoTime();
                        if (first[0] < 0) {
                            first[0] = now;
                        } else if (now - first[0] >= WATCH_NANOS
                                && (bytes[0] + buf.length()) * 1_000_000_000.0 / (now - first[0]) < belowRate) {
                            onLoop(() -> {
                                started = true;
                                schedule();
                            });
                        }
                        bytes[0] += buf.length();
                    }
                    h.handle(buf);
                });
                return this;
            }

            @Override
            public ReadStream<Buffer> pause() {
                in.pause();
                return this;
            }

            @Override
            public ReadStream<Buffer> resume() {
                in.resume();
                return this;
            }

            @Override
            public ReadStream<Buffer> fetch(long n) {
                in.fetch(n);
                return this;
            }

            @Override
            public ReadStream<Buffer> endHandler(Handler<Void> h) {
                in.endHandler(h);
                return this;
            }
        };
        return new BlobStream() {
            @Override
            public ReadStream<Buffer> stream() {
                return m;
            }

            @Override
            public void abort() {
                b.abort();
            }

            @Override
            public Future<BlobStream> reopen(long offset) {
                Future<BlobStream> again = b.reopen(offset);
                return again == null ? null : again.map(ReadAheadSource.this::watched);
            }
        };
    }

    /** Starts downloads ahead of the reader, within the bounds. */
    private void schedule() {
        if (context == null || !started) {
            return;
        }
        while (!closed && downloading < ahead && next < order.size()) {
            if (next < cursor) {
                next++; // its turn came already: it is (or was) read straight from the source
                continue;
            }
            Descriptor d = order.get(next);
            if (d.size() > maxBytes) {
                next++; // never fits: streamed straight from the source when its turn comes
                continue;
            }
            if (reserved + d.size() > maxBytes) {
                return; // waits for room: a blob read and deleted releases its bytes
            }
            next++;
            reserved += d.size();
            peakReserved = Math.max(peakReserved, reserved);
            downloading++;
            spooledBlobs++;
            Spool s = new Spool(d, dir.resolve(Integer.toString(++files)));
            spools.put(d.digest(), s);
            s.start();
        }
    }

    /** Runs {@code step} on the source's event loop: at once when already there, else queued (in order). */
    private void onLoop(Runnable step) {
        if (Vertx.currentContext() == context) {
            step.run();
        } else {
            context.runOnContext(v -> step.run());
        }
    }

    @Override
    public Future<Void> close() {
        if (closing != null) {
            return closing;
        }
        Promise<Void> done = Promise.promise();
        closing = done.future();
        Runnable shut = () -> {
            closed = true;
            List<Future<Void>> closedFiles = new ArrayList<>();
            for (Spool s : new ArrayList<>(spools.values())) {
                closedFiles.add(s.stop());
            }
            spools.clear();
            Future.join(closedFiles)
                    .transform(x -> dirMade ? vertx.fileSystem().deleteRecursive(dir.toString(), true) : Future.succeededFuture())
                    .otherwiseEmpty()
                    .transform(x -> delegate.close())
                    .onComplete(x -> done.complete());
        };
        if (context == null) {
            shut.run();
        } else {
            onLoop(shut);
        }
        return closing;
    }

    /** One blob downloaded ahead into its spool file, and read from it as it grows. */
    private final class Spool {
        final Descriptor blob;
        final Path file;
        /** The file opened for writing; every later step waits for it. */
        Future<AsyncFile> out;
        BlobStream download;
        int resumes;
        /** Bytes received from the source (all handed to the file, in order). */
        long received;
        /** Bytes known to be in the file: a contiguous prefix (writes may complete out of order). */
        long written;
        final ArrayDeque<long[]> writes = new ArrayDeque<>();
        boolean complete;
        Throwable failure;
        boolean released;
        Reader reader;

        Spool(Descriptor blob, Path file) {
            this.blob = blob;
            this.file = file;
        }

        void start() {
            Future<Void> mkdir = dirMade ? Future.succeededFuture()
                    : vertx.fileSystem().mkdirs(dir.toString()).onSuccess(v -> dirMade = true);
            out = mkdir.compose(v -> vertx.fileSystem().open(file.toString(),
                    new OpenOptions().setWrite(true).setRead(false).setCreateNew(true)));
            out.compose(f -> delegate.openBlob(blob)).onComplete(ar -> onLoop(() -> {
                if (ar.failed()) {
                    fail(ar.cause());
                } else if (released || closed) {
                    ar.result().abort();
                } else {
                    attach(ar.result());
                }
            }));
        }

        private void attach(BlobStream from) {
            download = from;
            paused = false;
            ReadStream<Buffer> s = from.stream();
            s.exceptionHandler(t -> onLoop(() -> dropped(from, t)));
            s.handler(b -> onLoop(() -> received(from, b)));
            s.endHandler(v -> onLoop(() -> ended(from)));
            s.resume();
        }

        private void received(BlobStream from, Buffer b) {
            if (from != download || failure != null || released) {
                return;
            }
            if (received + b.length() > blob.size()) {
                // never more on disk than the descriptor says; the reader reports the mismatch when it gets there
                fail(new FerryException(ProblemType.DIGEST_MISMATCH, "reading blob " + blob.digest() + " of "
                        + delegate.describe() + ": the source sent more than the " + blob.size() + " bytes its descriptor states"));
                return;
            }
            received += b.length();
            if (batch == null) {
                batch = Buffer.buffer(WRITE_BATCH);
            }
            batch.appendBuffer(b);
            inFlight += b.length();
            if (batch.length() >= WRITE_BATCH) {
                flush();
            }
            if (!paused && inFlight > MAX_IN_FLIGHT) {
                paused = true;
                from.stream().pause();
            }
        }

        /**
         * Writes what was received since the last write, as one positional write (a registry delivers chunks of up to
         * 64 KiB; a file write per chunk costs a worker-thread hop each).
         */
        private void flush() {
            if (batch == null || batch.length() == 0) {
                return;
            }
            Buffer b = batch;
            batch = null;
            long at = received - b.length();
            long[] w = {received, 0};
            writes.add(w);
            out.result().write(b, at).onComplete(ar -> onLoop(() -> {
                if (ar.failed()) {
                    fail(new FerryException(ProblemType.INTERNAL, "spooling blob " + blob.digest() + " to " + file
                            + " failed: " + ar.cause().getMessage(), ar.cause()));
                    return;
                }
                w[1] = 1;
                while (!writes.isEmpty() && writes.peekFirst()[1] == 1) {
                    written = writes.pollFirst()[0];
                }
                inFlight -= b.length();
                if (paused && inFlight <= MAX_IN_FLIGHT / 2 && download != null) {
                    paused = false;
                    download.stream().resume();
                }
                wake();
            }));
        }

        /** Bytes received but not yet in the file: past {@link #MAX_IN_FLIGHT}, the download waits. */
        private long inFlight;
        private boolean paused;
        private Buffer batch;

        private void ended(BlobStream from) {
            if (from != download || failure != null || released) {
                return;
            }
            flush();
            complete = true;
            download = null;
            downloading--;
            wake();
            schedule();
        }

        private void dropped(BlobStream from, Throwable t) {
            if (from != download || failure != null || released) {
                return;
            }
            Future<BlobStream> again = resumes >= MAX_RESUMES ? null : from.reopen(received);
            if (again == null) {
                fail(t);
                return;
            }
            resumes++;
            from.stream().handler(null);
            from.stream().endHandler(null);
            download = null;
            again.onComplete(ar -> onLoop(() -> {
                if (ar.failed()) {
                    fail(ar.cause());
                } else if (released || failure != null || closed) {
                    ar.result().abort();
                } else {
                    attach(ar.result());
                }
            }));
        }

        private void fail(Throwable t) {
            if (failure != null || released) {
                return;
            }
            failure = t;
            if (!complete) {
                downloading--;
            }
            if (download != null) {
                download.abort();
                download = null;
            }
            wake();
            schedule();
        }

        /** The reader's stream; it is handed out once. */
        BlobStream reader() {
            reader = new Reader(this);
            return BlobStream.of(reader, reader::abort);
        }

        private void wake() {
            if (reader != null) {
                reader.pull();
            }
        }

        /** Read (or given up): the file goes and its bytes are free for the next download. */
        void release() {
            if (released) {
                return;
            }
            stop();
            spools.remove(blob.digest());
            reserved -= blob.size();
            schedule();
        }

        /** Stops the download, closes the files, deletes the spool file. */
        Future<Void> stop() {
            boolean wasActive = !released && !complete && failure == null;
            released = true;
            if (wasActive) {
                downloading--;
            }
            if (download != null) {
                download.abort();
                download = null;
            }
            List<Future<Void>> all = new ArrayList<>();
            if (reader != null) {
                all.add(reader.closeFile());
            }
            all.add(out.transform(ar -> ar.succeeded() ? ar.result().close().otherwiseEmpty()
                    .compose(v -> vertx.fileSystem().delete(file.toString())).otherwiseEmpty() : Future.succeededFuture()));
            return Future.join(all).mapEmpty();
        }
    }

    /** A spool file read from its start while it is written, chunk by chunk, on demand. */
    private final class Reader implements ReadStream<Buffer> {
        private final Spool spool;
        private Future<AsyncFile> in;
        private Handler<Buffer> handler;
        private Handler<Void> endHandler;
        private Handler<Throwable> exceptionHandler;
        private boolean paused = true;
        private boolean reading;
        private boolean done;
        private long at;

        Reader(Spool spool) {
            this.spool = spool;
        }

        @Override
        public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
            exceptionHandler = h;
            return this;
        }

        @Override
        public ReadStream<Buffer> handler(Handler<Buffer> h) {
            handler = h;
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
            onLoop(this::pull);
            return this;
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            return resume();
        }

        @Override
        public ReadStream<Buffer> endHandler(Handler<Void> h) {
            endHandler = h;
            return this;
        }

        void pull() {
            if (paused || reading || done) {
                return;
            }
            if (at < spool.written) {
                int n = (int) Math.min(READ_CHUNK, spool.written - at);
                reading = true;
                if (in == null) {
                    in = spool.out.compose(w -> vertx.fileSystem().open(spool.file.toString(),
                            new OpenOptions().setRead(true).setWrite(false).setCreate(false)));
                }
                long from = at;
                in.compose(f -> f.read(Buffer.buffer(n), 0, from, n)).onComplete(ar -> onLoop(() -> {
                    reading = false;
                    if (done) {
                        return;
                    }
                    if (ar.failed()) {
                        finish(new FerryException(ProblemType.INTERNAL, "reading the spooled blob " + spool.blob.digest()
                                + " back from " + spool.file + " failed: " + ar.cause().getMessage(), ar.cause()));
                        return;
                    }
                    Buffer b = ar.result();
                    at += b.length();
                    if (b.length() == 0) {
                        finish(new FerryException(ProblemType.INTERNAL, "the spooled blob " + spool.blob.digest() + " in "
                                + spool.file + " is shorter than was written"));
                        return;
                    }
                    if (handler != null) {
                        handler.handle(b);
                    }
                    pull();
                }));
                return;
            }
            if (spool.failure != null) {
                finish(spool.failure);
            } else if (spool.complete && at == spool.received) {
                done = true;
                spool.release();
                if (endHandler != null) {
                    endHandler.handle(null);
                }
            }
            // else: the download has not got further yet; its next write wakes this reader
        }

        private void finish(Throwable t) {
            done = true;
            spool.release();
            if (exceptionHandler != null) {
                exceptionHandler.handle(t);
            }
        }

        void abort() {
            onLoop(() -> {
                if (!done) {
                    done = true;
                    spool.release();
                }
            });
        }

        Future<Void> closeFile() {
            return in == null ? Future.succeededFuture() : in.transform(ar -> ar.succeeded()
                    ? ar.result().close().otherwiseEmpty() : Future.succeededFuture());
        }
    }
}
