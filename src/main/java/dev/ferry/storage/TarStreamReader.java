package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a tar archive from a stream (an HTTP request body, a daemon's response) as it arrives, one entry at a time,
 * with back-pressure: while the consumer of an entry is paused, the source is paused too, and the next header is not
 * read until the consumer's future for the entry has completed. Nothing is buffered beyond what the source delivered
 * in one chunk.
 * <p>
 * Entry names are normalised and checked as {@link TarIndex} does ({@code ..} or an absolute name: path-not-allowed);
 * GNU long names and PAX {@code path} records are honoured; symlinks and hard links are reported (targets checked
 * too), directories and other types skipped. An archive that ends before its end-of-archive block, or with an entry
 * cut short, is invalid; more than {@code maxBytes} in all, or an entry claiming more, is refused as too large.
 * Everything runs on the source's event loop.
 */
final class TarStreamReader {

    /** What the archive holds, entry by entry. */
    interface Consumer {
        /**
         * A regular file of {@code size} bytes: {@code content} is paused, delivers exactly {@code size} bytes, then
         * ends. The consumer MUST read it to its end (or abort it through {@code abort}); the future completes when it
         * is done with the entry, and the next entry is read only then.
         */
        Future<Void> file(String name, long size, ReadStream<Buffer> content, Runnable abort);

        /** A symbolic or hard link {@code name} → {@code target} (both normalised relative to the archive's root). */
        void link(String name, String target);
    }

    private enum State { HEADER, CONTENT, SKIP, META, END }

    private static final int BLOCK = 512;
    private static final int MAX_META = 64 * 1024;

    private final ReadStream<Buffer> source;
    private final Consumer consumer;
    private final long maxBytes;
    private final int maxEntries;
    private final String what;
    private final Promise<Void> done = Promise.promise();
    private final Promise<Void> drained = Promise.promise();

    private Buffer pending = Buffer.buffer();
    private State state = State.HEADER;
    private long remaining;
    private long padding;
    private Entry current;
    private boolean waiting;
    private boolean sourceEnded;
    private boolean sourcePaused;
    private boolean failed;
    private boolean draining;
    private boolean processing;
    private boolean again;
    private long total;
    private int entries;
    private char metaType;
    private Buffer meta;
    private String longName;
    private String paxPath;
    private String paxLink;
    /** The source's context and thread: every step runs there (a consumer may call back from another event loop). */
    private io.vertx.core.Context context;
    private Thread loop;

    private TarStreamReader(ReadStream<Buffer> source, Consumer consumer, long maxBytes, int maxEntries, String what) {
        this.source = source;
        this.consumer = consumer;
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
        this.what = what;
    }

    /** A started reader; see {@link #done()} and {@link #drained()}. */
    static TarStreamReader read(ReadStream<Buffer> source, Consumer consumer, long maxBytes, int maxEntries, String what) {
        TarStreamReader r = new TarStreamReader(source, consumer, maxBytes, maxEntries, what);
        r.start();
        return r;
    }

    /** Completes once the end-of-archive block was read and the last entry's consumer is done; fails on anything wrong. */
    Future<Void> done() {
        return done.future();
    }

    /**
     * Completes when the source has ended: after the archive (trailing padding is read and dropped), or, after a
     * failure, once the rest was read and dropped — up to {@code maxBytes} in all; past that it fails, and the
     * caller should close the connection instead of answering on it.
     */
    Future<Void> drained() {
        return drained.future();
    }

    /** Total bytes the source delivered so far. */
    long bytesRead() {
        return total;
    }

    /** Runs {@code step} on the reader's thread: at once when already there, else queued on its context. */
    private void onReader(Runnable step) {
        if (context == null || Thread.currentThread() == loop) {
            step.run();
        } else {
            context.runOnContext(v -> step.run());
        }
    }

    private void start() {
        context = io.vertx.core.Vertx.currentContext();
        loop = Thread.currentThread();
        source.exceptionHandler(t -> {
            FerryException e = t instanceof FerryException fe ? fe : invalid("the stream broke off after " + total + " bytes ("
                    + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()) + ")");
            fail(e);
            drained.tryFail(e);
        });
        source.endHandler(v -> {
            sourceEnded = true;
            if (draining || failed) {
                drained.tryComplete();
                return;
            }
            process();
            if (state == State.END) {
                drained.tryComplete();
            }
        });
        source.handler(this::received);
        sourcePaused = false;
        source.resume();
    }

    private void received(Buffer b) {
        total += b.length();
        if (total > maxBytes) {
            FerryException e = new FerryException(ProblemType.PAYLOAD_TOO_LARGE, what + ": more than the " + maxBytes
                    + " bytes allowed (ferry.import.max-bytes)");
            fail(e);
            drained.tryFail(e);
            source.pause();
            return;
        }
        if (draining || failed) {
            return;
        }
        pending = pending.length() == 0 ? b : Buffer.buffer(pending.length() + b.length()).appendBuffer(pending).appendBuffer(b);
        process();
    }

    /** Consumes what is pending as far as the consumer allows; trampolined, so re-entrant calls only loop again. */
    private void process() {
        if (processing) {
            again = true;
            return;
        }
        processing = true;
        try {
            do {
                again = false;
                step();
            } while (again && !failed);
        } catch (FerryException e) {
            fail(e);
        } finally {
            processing = false;
        }
        if (failed || draining) {
            return;
        }
        boolean blocked = waiting && state == State.HEADER || state == State.CONTENT && current != null && current.paused;
        if (blocked && !sourcePaused) {
            sourcePaused = true;
            source.pause();
        } else if (!blocked && sourcePaused) {
            sourcePaused = false;
            source.resume();
        }
    }

    private void step() {
        while (!failed) {
            switch (state) {
                case HEADER -> {
                    if (waiting) {
                        return;
                    }
                    if (pending.length() < BLOCK) {
                        if (sourceEnded) {
                            throw invalid(total == 0 ? "the body is empty" : "it ends after " + total
                                    + " bytes without the end-of-archive block (truncated?)");
                        }
                        return;
                    }
                    byte[] h = pending.getBytes(0, BLOCK);
                    pending = pending.slice(BLOCK, pending.length());
                    if (isZero(h)) {
                        state = State.END;
                        continue;
                    }
                    header(h);
                }
                case CONTENT -> {
                    if (remaining == 0) {
                        Entry e = current;
                        current = null;
                        skip(padding);
                        e.end();
                        continue;
                    }
                    if (current.paused) {
                        return;
                    }
                    if (pending.length() == 0) {
                        if (sourceEnded) {
                            throw invalid("the entry " + current.name + " is cut short (the stream ended)");
                        }
                        return;
                    }
                    int n = (int) Math.min(remaining, pending.length());
                    Buffer chunk = pending.slice(0, n);
                    pending = pending.slice(n, pending.length());
                    remaining -= n;
                    current.deliver(chunk);
                }
                case SKIP, META -> {
                    if (remaining == 0) {
                        if (state == State.META) {
                            meta();
                        }
                        state = State.HEADER;
                        if (padding > 0) {
                            skip(padding);
                        }
                        continue;
                    }
                    if (pending.length() == 0) {
                        if (sourceEnded) {
                            throw invalid("it is cut short (the stream ended inside an entry)");
                        }
                        return;
                    }
                    int n = (int) Math.min(remaining, pending.length());
                    if (state == State.META) {
                        meta.appendBuffer(pending, 0, n);
                    }
                    pending = pending.slice(n, pending.length());
                    remaining -= n;
                }
                case END -> {
                    pending = Buffer.buffer();
                    if (!waiting) {
                        done.tryComplete();
                        if (sourceEnded) {
                            drained.tryComplete();
                        }
                    }
                    return;
                }
            }
        }
    }

    private void skip(long n) {
        state = State.SKIP;
        remaining = n;
        padding = 0;
    }

    private void header(byte[] h) {
        TarIndex.TarHeader header = TarIndex.TarHeader.parse(h, what);
        long size = header.size();
        long pad = (BLOCK - size % BLOCK) % BLOCK;
        if (size > maxBytes - total) {
            throw new FerryException(ProblemType.PAYLOAD_TOO_LARGE, what + ": the entry " + abbreviate(header.name())
                    + " claims " + size + " bytes, more than the " + maxBytes + " allowed (ferry.import.max-bytes)");
        }
        char type = header.type();
        if (type == 'L' || type == 'K' || type == 'x') {
            if (size > MAX_META) {
                throw invalid("an extended header is larger than " + MAX_META + " bytes");
            }
            state = State.META;
            metaType = type;
            meta = Buffer.buffer((int) size);
            remaining = size;
            padding = pad;
            return;
        }
        String raw = paxPath != null ? paxPath : longName != null ? longName : header.name();
        String link = paxLink != null ? paxLink : TarIndex.TarHeader.cString(h, 157, 100);
        longName = null;
        paxPath = null;
        paxLink = null;
        if (++entries > maxEntries) {
            throw invalid("it has more than " + maxEntries + " entries (ferry.import.max-entries)");
        }
        String name = TarIndex.TarHeader.safeName(raw, what);
        if (header.isRegularFile()) {
            current = new Entry(name, size);
            state = State.CONTENT;
            remaining = size;
            padding = pad;
            waiting = true;
            Future<Void> f;
            try {
                f = consumer.file(name, size, current, current::abort);
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            f.onComplete(ar -> onReader(() -> {
                waiting = false;
                if (ar.failed()) {
                    fail(ar.cause());
                } else {
                    process();
                }
            }));
            return;
        }
        if (type == '1' || type == '2') {
            String target = type == '1' ? link : resolveLink(name, link);
            consumer.link(name, TarIndex.TarHeader.safeName(target, what));
        }
        skip(size + pad);
    }

    /** A symlink target relative to the link's directory, normalised; an escaping one is refused by safeName. */
    private String resolveLink(String name, String target) {
        if (target.startsWith("/")) {
            return target;
        }
        int slash = name.lastIndexOf('/');
        String dir = slash < 0 ? "" : name.substring(0, slash + 1);
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (String p : (dir + target).split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (parts.isEmpty()) {
                    return "../" + target;
                }
                parts.removeLast();
            } else {
                parts.addLast(p);
            }
        }
        return String.join("/", parts);
    }

    private void meta() {
        String s = meta.toString(StandardCharsets.UTF_8);
        if (metaType == 'L') {
            longName = TarIndex.TarHeader.cString(meta.getBytes(), 0, meta.length());
        } else if (metaType == 'K') {
            paxLink = TarIndex.TarHeader.cString(meta.getBytes(), 0, meta.length());
        } else {
            // PAX records: "<len> key=value\n"
            int i = 0;
            while (i < s.length()) {
                int space = s.indexOf(' ', i);
                if (space < 0) {
                    throw invalid("a PAX header is malformed");
                }
                int len;
                try {
                    len = Integer.parseInt(s.substring(i, space));
                } catch (NumberFormatException e) {
                    throw invalid("a PAX header is malformed");
                }
                if (len <= space - i || i + len > s.length()) {
                    throw invalid("a PAX header is malformed");
                }
                String record = s.substring(space + 1, i + len - 1);
                int eq = record.indexOf('=');
                if (eq > 0) {
                    String key = record.substring(0, eq);
                    if (key.equals("path")) {
                        paxPath = record.substring(eq + 1);
                    } else if (key.equals("linkpath")) {
                        paxLink = record.substring(eq + 1);
                    }
                }
                i += len;
            }
        }
        meta = null;
    }

    private void fail(Throwable t) {
        if (failed) {
            return;
        }
        failed = true;
        Entry e = current;
        current = null;
        if (e != null) {
            e.fail(t);
        }
        done.tryFail(t);
        drain();
    }

    /** After a failure: read and drop the rest, so an answer can still be given on the connection. */
    private void drain() {
        draining = true;
        pending = Buffer.buffer();
        if (sourceEnded) {
            drained.tryComplete();
            return;
        }
        if (total <= maxBytes) {
            sourcePaused = false;
            source.resume();
        }
    }

    private FerryException invalid(String why) {
        return new FerryException(ProblemType.INVALID_ARCHIVE, what + ": " + why);
    }

    private static boolean isZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 100) + "...";
    }

    /** One regular file's content as a stream: paused until its reader resumes it. */
    private final class Entry implements ReadStream<Buffer> {
        final String name;
        final long size;
        volatile boolean paused = true;
        volatile boolean ended;
        volatile boolean aborted;
        Handler<Buffer> handler;
        Handler<Void> endHandler;
        Handler<Throwable> exceptionHandler;

        Entry(String name, long size) {
            this.name = name;
            this.size = size;
        }

        void deliver(Buffer chunk) {
            if (!aborted && handler != null) {
                handler.handle(chunk);
            }
        }

        void end() {
            ended = true;
            if (!aborted && endHandler != null) {
                endHandler.handle(null);
            }
        }

        void fail(Throwable t) {
            if (!ended && !aborted && exceptionHandler != null) {
                ended = true;
                exceptionHandler.handle(t);
            }
        }

        /** The reader gave the entry up: its bytes are dropped, so the archive can still be read (or drained). */
        void abort() {
            if (ended) {
                return;
            }
            aborted = true;
            paused = false;
            onReader(TarStreamReader.this::process);
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
            if (!aborted) {
                paused = true;
            }
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            paused = false;
            if (!ended) {
                onReader(TarStreamReader.this::process);
            }
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
    }
}
