package dev.ferry.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.MediaType;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recompressor on its own: a real Vert.x file stream in small chunks, the worker pool, the spool directory. */
class LayerRecompressorTest {
    private Vertx vertx;
    @TempDir
    Path tmp;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A source serving one file as a stream of 8 KiB reads (so the 1 MiB pause threshold is crossed many times). */
    private ImageSource fileSource(Path file) {
        return new ImageSource() {
            @Override
            public String describe() {
                return "test:" + file;
            }

            @Override
            public Future<ManifestResult> topManifest() {
                return Future.failedFuture("unused");
            }

            @Override
            public Future<ManifestResult> manifest(Digest digest) {
                return Future.failedFuture("unused");
            }

            @Override
            public Future<BlobStream> openBlob(Descriptor blob) {
                return vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true)).map(f -> {
                    f.pause();
                    f.setReadBufferSize(8192);
                    return BlobStream.of(f, f::close);
                });
            }
        };
    }

    private LayerRecompressor.Spooled rewrite(Path spool, long cap, ImageSource source, Descriptor blob, String algorithm)
            throws Exception {
        LayerRecompressor r = new LayerRecompressor(vertx, LayerRecompressor.pool(vertx), spool, cap);
        try {
            return vertx.getOrCreateContext().<LayerRecompressor.Spooled>executeBlocking(() -> null, false)
                    .compose(v -> r.rewrite(blob, source, new LayerCompression(algorithm, null), new Cancellation(), "test"))
                    .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static byte[] gzip(byte[] b) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    private Path layer(byte[] plain, Path dir) throws Exception {
        Path f = dir.resolve("layer");
        Files.write(f, gzip(plain));
        return f;
    }

    @Test
    void shouldTurnAGzipLayerIntoZstdWithTheDigestOfTheSpooledBytes() throws Exception {
        byte[] plain = new byte[5 << 20];
        new Random(7).nextBytes(plain);
        System.arraycopy(new byte[1 << 20], 0, plain, 0, 1 << 20); // some compressible bytes too
        Path f = layer(plain, tmp);
        byte[] gz = Files.readAllBytes(f);
        Descriptor blob = Descriptor.of(MediaType.of("application/vnd.oci.image.layer.v1.tar+gzip"), Digest.sha256Of(gz), gz.length);
        Path spool = tmp.resolve("spool");
        LayerRecompressor.Spooled s = rewrite(spool, 1L << 30, fileSource(f), blob, "zstd");
        byte[] written = Files.readAllBytes(s.file());
        assertEquals("application/vnd.oci.image.layer.v1.tar+zstd", s.descriptor().mediaType().value());
        assertEquals(Digest.sha256Of(written), s.descriptor().digest());
        assertEquals(written.length, s.descriptor().size());
        try (var in = new com.github.luben.zstd.ZstdInputStream(new ByteArrayInputStream(written))) {
            assertArrayEquals(plain, in.readAllBytes(), "the same tar, zstd-compressed");
        }
        s.delete();
    }

    @Test
    void shouldFailAndLeaveNoSpoolFileWhenTheSourceDoesNotMatchItsDigest() throws Exception {
        byte[] plain = new byte[3 << 20];
        new Random(8).nextBytes(plain);
        Path f = layer(plain, tmp);
        long size = Files.size(f);
        Descriptor wrong = Descriptor.of(MediaType.of("application/vnd.oci.image.layer.v1.tar+gzip"),
                Digest.sha256Of("something else".getBytes()), size);
        Path spool = tmp.resolve("spool");
        FerryException e = assertThrows(FerryException.class, () -> rewrite(spool, 1L << 30, fileSource(f), wrong, "zstd"));
        assertEquals(ProblemType.DIGEST_MISMATCH, e.type(), e.getMessage());
        try (var left = Files.list(spool)) {
            assertEquals(0, left.count(), "nothing is left that could be taken for the layer");
        }
    }

    @Test
    void shouldStopAtTheSpoolCapAndDeleteWhatItWrote() throws Exception {
        byte[] plain = new byte[2 << 20];
        new Random(9).nextBytes(plain); // random bytes do not shrink: the result is about 2 MiB
        Path f = layer(plain, tmp);
        byte[] gz = Files.readAllBytes(f);
        Descriptor blob = Descriptor.of(MediaType.of("application/vnd.oci.image.layer.v1.tar+gzip"), Digest.sha256Of(gz), gz.length);
        Path spool = tmp.resolve("spool");
        FerryException e = assertThrows(FerryException.class, () -> rewrite(spool, 1 << 20, fileSource(f), blob, "zstd"));
        assertEquals(ProblemType.COMPRESS_SPOOL_LIMIT, e.type(), e.getMessage());
        try (var left = Files.list(spool)) {
            assertEquals(0, left.count());
        }
        assertTrue(e.getMessage().contains("spool-max-bytes"));
    }
}
