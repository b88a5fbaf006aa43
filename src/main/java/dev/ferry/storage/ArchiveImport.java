package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.MediaType;
import dev.ferry.oci.OciFormatException;
import dev.ferry.registry.BlobSink;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.StreamWatch;
import dev.ferry.registry.VerifyingPump;
import dev.ferry.transfer.Cancellation;
import dev.ferry.transfer.CopyListener;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The first pass of an import: a tar archive read from a stream, entry by entry, as it arrives. A blob the format
 * names by its digest — and that cannot be anything the image needs to read (a layer: any {@code <hex>.tar} of a
 * docker-archive, a blob of an OCI archive larger than the manifest cap) — is written to the destination at once,
 * verified (digest and size) while it streams, when the destination takes blobs in any order. Everything else is
 * spooled to disk under a cap, because the format puts what explains it later ({@code index.json},
 * {@code manifest.json}). The result is an {@link Entries} view over the archive (spooled files, plus the names of
 * what was written already) that the ordinary sources ({@link OciLayoutSource}, {@link DockerArchiveSource}) read in
 * the second pass, which copies what is left through the engine: remaining blobs, then manifests, then the tag.
 */
final class ArchiveImport {
    enum Format { OCI, DOCKER }

    private static final Pattern OCI_BLOB = Pattern.compile("blobs/([a-z0-9]+)/([a-f0-9]{32,128})");
    private static final Pattern DOCKER_LAYER = Pattern.compile("([a-f0-9]{64})\\.tar");
    private static final MediaType OCTETS = MediaType.of("application/octet-stream");

    /** What the archive held under one name. */
    sealed interface Stored permits Spooled, Written, Link {
    }

    /** Content in a spool file. */
    record Spooled(Path file, long size) implements Stored {
    }

    /** A blob already written to the destination (verified), or found there already. */
    record Written(Digest digest, long size, boolean existed) implements Stored {
    }

    /** A link to another name. */
    record Link(String target) implements Stored {
    }

    private final Format format;
    private final ImageDestination destination;
    private final Path spoolDir;
    private final long spoolMax;
    private final int manifestLimit;
    private final LocalFiles files;
    private final CopyListener listener;
    private final Cancellation cancellation;
    private final String describe;
    private final Map<String, Stored> stored = new ConcurrentHashMap<>();
    private final AtomicLong spooled = new AtomicLong();
    private int spoolFiles;
    private int written;
    private long writtenBytes;

    /**
     * @param writeEarly whether blobs may be written before the image is known (false when a signature policy must
     *                   admit the image before anything is written: then everything is spooled)
     */
    ArchiveImport(Format format, ImageDestination destination, boolean writeEarly, Path spoolDir, long spoolMax,
                  int manifestLimit, LocalFiles files, CopyListener listener, Cancellation cancellation, String describe) {
        this.format = format;
        this.destination = writeEarly && destination.capabilities().parallelBlobs() ? destination : null;
        this.spoolDir = spoolDir;
        this.spoolMax = spoolMax;
        this.manifestLimit = manifestLimit;
        this.files = files;
        this.listener = listener;
        this.cancellation = cancellation;
        this.describe = describe;
    }

    /** Reads the archive from {@code body}; the reader's {@link TarStreamReader#done()} says when the first pass ended. */
    TarStreamReader read(ReadStream<Buffer> body, long maxBytes, int maxEntries) {
        return TarStreamReader.read(body, new TarStreamReader.Consumer() {
            @Override
            public Future<Void> file(String name, long size, ReadStream<Buffer> content, Runnable abort) {
                if (cancellation.isCancelled()) {
                    abort.run();
                    return Future.failedFuture(new Cancellation.CancelledException());
                }
                Digest blob = writableNow(name, size);
                return blob != null && destination != null ? write(name, blob, size, content, abort) : spool(name, size, content, abort);
            }

            @Override
            public void link(String name, String target) {
                stored.put(name, new Link(target));
            }
        }, maxBytes, maxEntries, describe);
    }

    /** The blob an entry is, when it can be written before the rest of the archive is known; else null. */
    private Digest writableNow(String name, long size) {
        Matcher oci = OCI_BLOB.matcher(name);
        if (oci.matches() && size > manifestLimit) {
            try {
                return Digest.parse(oci.group(1) + ":" + oci.group(2));
            } catch (OciFormatException e) {
                return null;
            }
        }
        Matcher layer = DOCKER_LAYER.matcher(name);
        if (format == Format.DOCKER && layer.matches()) {
            return new Digest(Digest.SHA256, layer.group(1));
        }
        return null;
    }

    /** Writes one blob to the destination as it streams in (verified); a blob already there is only verified. */
    private Future<Void> write(String name, Digest digest, long size, ReadStream<Buffer> content, Runnable abort) {
        Descriptor blob = Descriptor.of(OCTETS, digest, size);
        BlobStream stream = BlobStream.of(content, abort);
        StreamWatch watch = watch(blob);
        Future<Boolean> present = destination.capabilities().skipsPresent() ? destination.hasBlob(blob) : Future.succeededFuture(false);
        return present.compose(there -> {
            if (there) {
                // still read and checked: an archive whose bytes do not match its names is refused either way
                return VerifyingPump.pump(stream, discard(), blob, "reading " + name + " of " + describe, StreamWatch.NONE)
                        .map(v -> {
                            stored.put(name, new Written(digest, size, true));
                            listener.planned(1, size);
                            listener.blobSkipped(blob, "exists");
                            return (Void) null;
                        });
            }
            listener.planned(1, size);
            listener.blobStarted(blob);
            ImageSource once = new OneBlob(stream);
            return destination.putBlob(blob, once, watch).map(n -> {
                stored.put(name, new Written(digest, size, false));
                synchronized (this) {
                    written++;
                    writtenBytes += n;
                }
                listener.blobDone(blob);
                return (Void) null;
            }).onFailure(t -> listener.blobFailed(blob, t.getMessage()));
        }).recover(t -> Future.failedFuture(asArchiveProblem(t, name)));
    }

    /** A mismatching blob is the archive's fault (400), not a registry's (502). */
    private FerryException asArchiveProblem(Throwable t, String name) {
        if (t instanceof FerryException fe && fe.type() == ProblemType.DIGEST_MISMATCH) {
            return new FerryException(ProblemType.INVALID_ARCHIVE, describe + ": the entry " + name
                    + " does not match the digest it is named by (" + fe.getMessage() + ")");
        }
        return t instanceof FerryException fe ? fe : new FerryException(ProblemType.INVALID_ARCHIVE,
                describe + ": reading " + name + " failed: " + t.getMessage(), t);
    }

    private StreamWatch watch(Descriptor blob) {
        return new StreamWatch() {
            @Override
            public void bytes(long n) {
                listener.bytes(blob, n);
            }

            @Override
            public Runnable onAbort(Runnable abort) {
                return cancellation.onCancel(abort);
            }
        };
    }

    /** Spools one entry to a file of its own (under the cap); its content is checked when the second pass reads it. */
    private Future<Void> spool(String name, long size, ReadStream<Buffer> content, Runnable abort) {
        if (spooled.addAndGet(size) > spoolMax) {
            abort.run();
            return Future.failedFuture(new FerryException(ProblemType.PAYLOAD_TOO_LARGE, describe + ": the entries that must wait"
                    + " for the rest of the archive (" + name + " and earlier) pass the " + spoolMax
                    + " bytes it may spool to disk (ferry.import.spool-max-bytes)"));
        }
        Path file;
        synchronized (this) {
            file = spoolDir.resolve(Integer.toString(++spoolFiles));
        }
        return files.fs().mkdirs(spoolDir.toString())
                .compose(v -> files.fs().open(file.toString(), new OpenOptions().setWrite(true).setCreateNew(true)))
                .recover(t -> {
                    abort.run();
                    return Future.failedFuture(new FerryException(ProblemType.INTERNAL, "spooling " + name + " of " + describe
                            + " to " + spoolDir + " failed: " + t.getMessage(), t));
                })
                .compose(out -> content.pipeTo(out).map(v -> {
                    stored.put(name, new Spooled(file, size));
                    return (Void) null;
                }));
    }

    /** The archive as the second pass reads it: spooled files, names of blobs already written, links. */
    Entries entries() {
        return new Entries() {
            private Stored find(String name, String what) {
                Stored s = stored.get(name);
                for (int hops = 0; s instanceof Link l && hops < 16; hops++) {
                    s = stored.get(l.target());
                }
                if (s == null || s instanceof Link) {
                    throw new FerryException(ProblemType.INVALID_ARCHIVE, what + ": not in the archive");
                }
                return s;
            }

            @Override
            public Future<byte[]> read(String name, int limit, String what) {
                try {
                    Stored s = find(name, what);
                    if (s instanceof Spooled sp) {
                        return files.readBounded(sp.file(), limit, what);
                    }
                    return Future.failedFuture(new FerryException(ProblemType.INVALID_ARCHIVE, what + ": a large blob, not a document"));
                } catch (FerryException e) {
                    return Future.failedFuture(e);
                }
            }

            @Override
            public Future<BlobStream> open(String name, String what) {
                try {
                    Stored s = find(name, what);
                    if (s instanceof Spooled sp) {
                        return files.openStream(sp.file(), what);
                    }
                    return Future.failedFuture(new FerryException(ProblemType.BLOB_NOT_FOUND, what
                            + ": written to the destination already, but it does not have it now"));
                } catch (FerryException e) {
                    return Future.failedFuture(e);
                }
            }

            @Override
            public Future<Long> size(String name) {
                try {
                    Stored s = find(name, name);
                    return Future.succeededFuture(s instanceof Spooled sp ? sp.size() : ((Written) s).size());
                } catch (FerryException e) {
                    return Future.succeededFuture(-1L);
                }
            }
        };
    }

    /** The blobs written in the first pass, by digest (size as in the archive). */
    Map<Digest, Long> writtenBlobs() {
        Map<Digest, Long> all = new java.util.HashMap<>();
        for (Stored s : stored.values()) {
            if (s instanceof Written w) {
                all.put(w.digest(), w.size());
            }
        }
        return all;
    }

    synchronized int blobsWritten() {
        return written;
    }

    synchronized long bytesWritten() {
        return writtenBytes;
    }

    long bytesSpooled() {
        return Math.max(0, spooled.get());
    }

    /** Removes the spool directory (best effort). */
    Future<Void> cleanUp() {
        return files.fs().deleteRecursive(spoolDir.toString(), true).otherwiseEmpty();
    }

    /** The one blob of a tar entry, as the source a destination's putBlob reads from. */
    private final class OneBlob implements ImageSource {
        private final BlobStream stream;

        OneBlob(BlobStream stream) {
            this.stream = stream;
        }

        @Override
        public String describe() {
            return describe;
        }

        @Override
        public Future<ManifestResult> topManifest() {
            return Future.failedFuture(new IllegalStateException("a blob of an archive being read"));
        }

        @Override
        public Future<ManifestResult> manifest(Digest digest) {
            return topManifest();
        }

        @Override
        public Future<BlobStream> openBlob(Descriptor blob) {
            return Future.succeededFuture(stream);
        }
    }

    /** A sink that drops what it gets (a blob already at the destination is still read through and verified). */
    private static BlobSink discard() {
        WriteStream<Buffer> nothing = new WriteStream<>() {
            @Override
            public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
                return this;
            }

            @Override
            public Future<Void> write(Buffer data) {
                return Future.succeededFuture();
            }

            @Override
            public void write(Buffer data, Handler<io.vertx.core.AsyncResult<Void>> handler) {
                if (handler != null) {
                    handler.handle(Future.succeededFuture());
                }
            }

            @Override
            public void end(Handler<io.vertx.core.AsyncResult<Void>> handler) {
                if (handler != null) {
                    handler.handle(Future.succeededFuture());
                }
            }

            @Override
            public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
                return this;
            }

            @Override
            public boolean writeQueueFull() {
                return false;
            }

            @Override
            public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
                return this;
            }
        };
        return new BlobSink() {
            @Override
            public WriteStream<Buffer> stream() {
                return nothing;
            }

            @Override
            public Future<Void> end(Buffer last) {
                return Future.succeededFuture();
            }

            @Override
            public void reset() {
            }
        };
    }
}
