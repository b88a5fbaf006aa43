package dev.ferry.transfer;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.BufferedInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Rewrites one layer with another compression while it streams: source bytes (verified against the source descriptor
 * as they pass) → decompress (gzip, zstd or none, told by the bytes' magic as containers/image does) → compress →
 * a spool file, hashed and counted as it is written.
 * <p>
 * Why a spool file and not a registry upload session with the digest given at the end: the new digest and size are
 * known only after the last byte, and most destinations need them first — a tar stream writes the size into the
 * entry header, an OCI layout and {@code dir:} name the file by digest, a registry wants Content-Length (a chunked
 * PATCH without it is not accepted by every registry) and is asked with HEAD whether it already holds the result.
 * One spool per layer, written once, serves them all, and a failed upload is retried from the file without reading
 * the source again. The spool is capped ({@code ferry.compress.spool-max-bytes}) and deleted once the blob is written.
 * <p>
 * All CPU work (inflate, hash, deflate) runs on a worker thread, never on the event loop; the source is read through
 * {@link StreamInput}, which pauses it while about 1 MiB waits, so memory stays bounded whatever the layer size
 * (zstd's window at levels up to 19 is at most 8 MiB).
 */
final class LayerRecompressor {
    private static final int CHUNK = 128 * 1024;

    /** One rewritten layer waiting in its spool file. */
    record Spooled(Path file, Descriptor descriptor) {
        void delete() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the spool directory is cleaned at start as well
            }
        }
    }

    /**
     * Threads of the shared {@code ferry-compress} pool: the CPU work of every recompressing copy runs there, never on
     * the event loop, and a 1 GiB layer may take minutes, so the blocked-thread warning is set far off.
     */
    static final int THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

    private final Vertx vertx;
    private final io.vertx.core.WorkerExecutor workers;
    private final Path spoolDir;
    private final long spoolMax;

    /** Opens the shared pool (one handle per {@link ImageCopier}, kept for its life). */
    static io.vertx.core.WorkerExecutor pool(Vertx vertx) {
        return vertx.createSharedWorkerExecutor("ferry-compress", THREADS, 6, java.util.concurrent.TimeUnit.HOURS);
    }

    LayerRecompressor(Vertx vertx, io.vertx.core.WorkerExecutor workers, Path spoolDir, long spoolMax) {
        this.vertx = vertx;
        this.workers = workers;
        this.spoolDir = spoolDir;
        this.spoolMax = spoolMax;
    }

    /**
     * Reads {@code blob} from {@code source} and writes it compressed as {@code compression} says; succeeds with the
     * spool file and the new descriptor (same annotations and URLs, new media type, digest and size). {@code cancelled}
     * is polled between chunks.
     */
    Future<Spooled> rewrite(Descriptor blob, ImageSource source, LayerCompression compression, Cancellation cancellation,
                            String what) {
        Context context = Vertx.currentContext() != null ? Vertx.currentContext() : vertx.getOrCreateContext();
        return source.openBlob(blob).compose(opened -> {
            StreamInput in = new StreamInput(opened.stream(), context);
            Runnable unregister = cancellation.onCancel(() -> {
                in.fail(new Cancellation.CancelledException());
                context.runOnContext(v -> opened.abort());
            });
            Future<Spooled> done = workers.executeBlocking(() -> spool(in, blob, compression, what), false);
            return done.onComplete(ar -> {
                unregister.run();
                if (ar.failed()) {
                    in.fail(ar.cause());
                    opened.abort();
                }
            }).recover(t -> Future.failedFuture(cancellation.isCancelled() ? new Cancellation.CancelledException() : t));
        });
    }

    private Spooled spool(StreamInput in, Descriptor blob, LayerCompression compression, String what) throws IOException {
        Files.createDirectories(spoolDir);
        Path file = spoolDir.resolve("layer-" + UUID.randomUUID() + ".tmp");
        MessageDigest sourceHash = blob.digest().newMessageDigest();
        MessageDigest outHash = newSha256();
        long[] sourceCount = {0};
        InputStream verified = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n > 0) {
                    sourceHash.update(b, off, n);
                    sourceCount[0] += n;
                    if (sourceCount[0] > blob.size()) {
                        throw new Mismatch(what + ": the source sent more than the " + blob.size() + " bytes its descriptor states");
                    }
                }
                return n;
            }
        };
        boolean ok = false;
        try (OutputStream fileOut = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            CountingHashOut counted = new CountingHashOut(fileOut, outHash, spoolMax, what);
            BufferedInputStream buffered = new BufferedInputStream(verified, CHUNK);
            try (InputStream plain = decompressed(buffered);
                 OutputStream packed = compressed(counted, compression)) {
                byte[] chunk = new byte[CHUNK];
                for (int n; (n = plain.read(chunk)) >= 0; ) {
                    packed.write(chunk, 0, n);
                }
                // whatever follows the compressed stream (padding) is part of the source blob and verified with it
                while (buffered.read(chunk) >= 0) {
                    // drain
                }
            }
            if (sourceCount[0] != blob.size()) {
                throw new Mismatch(what + ": the source sent " + sourceCount[0] + " bytes where its descriptor states " + blob.size());
            }
            if (!blob.digest().matchesDigestBytes(sourceHash.digest())) {
                throw new Mismatch(what + ": the source sent content that does not match its digest");
            }
            Digest digest = new Digest(Digest.SHA256, HexFormat.of().formatHex(outHash.digest()));
            Descriptor out = new Descriptor(compression.mediaTypeFor(blob), digest, counted.count, blob.platform(),
                    blob.annotations(), blob.urls(), blob.artifactType());
            ok = true;
            return new Spooled(file, out);
        } catch (Mismatch e) {
            throw new FerryException(ProblemType.DIGEST_MISMATCH, e.getMessage());
        } catch (TooLarge e) {
            throw new FerryException(ProblemType.COMPRESS_SPOOL_LIMIT, e.getMessage());
        } catch (java.util.zip.ZipException | com.github.luben.zstd.ZstdIOException e) {
            throw new FerryException(ProblemType.INVALID_LAYER, what + ": the layer is not a valid compressed stream ("
                    + e.getMessage() + ")");
        } finally {
            if (!ok) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** The layer's tar, told by magic bytes (gzip 1f 8b, zstd 28 b5 2f fd), else the bytes as they are. */
    private static InputStream decompressed(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new GZIPInputStream(in, CHUNK);
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
                && (magic[3] & 0xff) == 0xfd) {
            return new ZstdInputStreamNoFinalizer(in);
        }
        return new java.io.FilterInputStream(in) {
            @Override
            public void close() {
                // the caller drains and closes the source itself
            }
        };
    }

    private static OutputStream compressed(OutputStream out, LayerCompression c) throws IOException {
        int level = c.effectiveLevel();
        if ("gzip".equals(c.algorithm())) {
            return new GZIPOutputStream(out, CHUNK) {
                {
                    def.setLevel(level);
                }
            };
        }
        ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(new java.io.BufferedOutputStream(out, CHUNK), level);
        z.setChecksum(true); // as klauspost/compress (containers/image's encoder) writes frames
        return z;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Hashes and counts what is written; fails past the spool cap. */
    private static final class CountingHashOut extends FilterOutputStream {
        private final MessageDigest hash;
        private final long max;
        private final String what;
        long count;

        CountingHashOut(OutputStream out, MessageDigest hash, long max, String what) {
            super(out);
            this.hash = hash;
            this.max = max;
            this.what = what;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            count += len;
            if (count > max) {
                throw new TooLarge(what + ": the recompressed layer is larger than ferry.compress.spool-max-bytes (" + max + " bytes)");
            }
            hash.update(b, off, len);
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush(); // the file itself is closed by its owner
        }
    }

    private static final class Mismatch extends IOException {
        Mismatch(String m) {
            super(m);
        }
    }

    private static final class TooLarge extends IOException {
        TooLarge(String m) {
            super(m);
        }
    }
}
