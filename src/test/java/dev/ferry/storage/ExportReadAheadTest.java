package dev.ferry.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.MediaType;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.Credentials;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import dev.ferry.transfer.RegistrySource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Export's read-ahead: the next blobs download in parallel into a bounded spool while one streams. Forced on from the
 * first blob here (read-ahead-below-rate 0), so small test images use it.
 */
@QuarkusTest
@TestProfile(ExportReadAheadTest.Profile.class)
class ExportReadAheadTest {
    static final Path SPOOL = Path.of(System.getProperty("java.io.tmpdir"), "ferry-export-spool-" + ProcessHandle.current().pid());
    private static final TestImages IMAGES = new TestImages(4242).withTarLayers();
    private static String reg;
    private static TestImages.Image image;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.export.read-ahead-below-rate", "0", "ferry.export.spool-dir", SPOOL.toString());
        }
    }

    @TestHTTPResource("/")
    URL base;

    @Inject
    RegistryClient registry;

    @Inject
    Vertx vertx;

    @BeforeAll
    static void fixtures() {
        reg = SharedRegistries.get().anonymous().hostPort();
        image = IMAGES.ociImage(4, 300 * 1024, "linux", "amd64", null);
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push("readahead/app", "v1", image);
    }

    private static List<Descriptor> blobs(TestImages.Image img) {
        List<Descriptor> out = new ArrayList<>();
        out.add(descriptor(img.config()));
        img.layers().forEach(l -> out.add(descriptor(l)));
        return out;
    }

    private static Descriptor descriptor(TestImages.Blob b) {
        return Descriptor.of(MediaType.of(b.mediaType()), Digest.parse(b.digest()), b.size());
    }

    /** Opens every blob in order on one event loop, reading each to its end slowly (a timer between chunks). */
    private List<byte[]> readAll(ReadAheadSource source, List<Descriptor> order) throws Exception {
        Promise<List<byte[]>> all = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> {
            List<byte[]> got = new ArrayList<>();
            Future<Void> chain = Future.succeededFuture();
            for (Descriptor d : order) {
                chain = chain.compose(x -> source.openBlob(d)).compose(stream -> read(stream)).map(bytes -> {
                    got.add(bytes);
                    return null;
                });
            }
            chain.map(x -> got).onComplete(all);
        });
        return all.future().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private Future<byte[]> read(BlobStream stream) {
        Promise<byte[]> done = Promise.promise();
        Buffer all = Buffer.buffer();
        stream.stream().exceptionHandler(done::tryFail);
        stream.stream().handler(b -> {
            all.appendBuffer(b);
            stream.stream().pause(); // a slow reader: the downloads ahead must wait for room, never pass the cap
            vertx.setTimer(2, t -> stream.stream().resume());
        });
        stream.stream().endHandler(v -> done.tryComplete(all.getBytes()));
        stream.stream().resume();
        return done.future();
    }

    @Test
    void shouldKeepTheSpoolWithinItsCapAndGiveEveryBlobBackByteForByte() throws Exception {
        long cap = 700 * 1024; // two of the 300 KiB layers at a time, never three
        Path dir = SPOOL.resolve("unit-" + UUID.randomUUID());
        RegistryAccess access = new RegistryAccess(reg, reg, Credentials.ANONYMOUS, false, 2);
        RegistrySource src = new RegistrySource(registry, access, ImageReference.parse(reg + "/readahead/app:v1"));
        List<Descriptor> order = blobs(image);
        ReadAheadSource source = new ReadAheadSource(src, order, dir, cap, 4, 0, vertx);
        List<byte[]> got = readAll(source, order);
        List<TestImages.Blob> expected = new ArrayList<>();
        expected.add(image.config());
        expected.addAll(image.layers());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).bytes(), got.get(i), "blob " + i + " as the registry has it");
        }
        assertTrue(source.spooledBlobs() >= 2, "blobs were downloaded ahead: " + source.spooledBlobs());
        assertTrue(source.peakReserved() <= cap, "the spool held " + source.peakReserved() + " bytes, over its cap of " + cap);
        assertTrue(source.peakReserved() > 300 * 1024, "two layers fit the cap at once: " + source.peakReserved());
        source.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(dir), "the spool directory is removed once the source is closed");
    }

    @Test
    void shouldStreamABlobLargerThanTheCapStraightFromTheRegistry() throws Exception {
        Path dir = SPOOL.resolve("unit-" + UUID.randomUUID());
        RegistryAccess access = new RegistryAccess(reg, reg, Credentials.ANONYMOUS, false, 2);
        RegistrySource src = new RegistrySource(registry, access, ImageReference.parse(reg + "/readahead/app:v1"));
        List<Descriptor> order = blobs(image);
        long cap = 100 * 1024; // the config fits, no layer does
        ReadAheadSource source = new ReadAheadSource(src, order, dir, cap, 4, 0, vertx);
        List<byte[]> got = readAll(source, order);
        assertArrayEquals(image.layers().get(3).bytes(), got.get(4));
        assertTrue(source.peakReserved() <= cap, "spooled " + source.peakReserved() + " bytes, over the cap of " + cap);
        source.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(dir));
    }

    @Test
    void shouldExportWithReadAheadAndLeaveNoSpoolBehind() throws Exception {
        Path file = Files.createTempFile("ferry-export-ra-", ".tar");
        ExportTest.Run r = ExportTest.sh("curl -sf -o " + file + " '" + base + "api/v1/export?image=docker://" + reg
                + "/readahead/app:v1&format=oci-archive&tlsVerify=false'");
        assertEquals(0, r.exit(), r.out());
        String dst = reg + "/readahead/back-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        Skopeo.Result copied = Skopeo.copy("oci-archive:" + file, "docker://" + dst, "--preserve-digests");
        assertEquals(0, copied.exitCode(), copied.stderr());
        assertEquals(image.digest(), TestImages.sha256(Skopeo.inspectRaw(dst)), "the archive keeps the manifest digest");
        assertSpoolEmptied();
    }

    @Test
    void shouldCutTheResponseOffWhenASpooledBlobDoesNotMatchItsDigestAndLeaveNoSpoolBehind() throws Exception {
        try (dev.ferry.testing.RegistryProcess bad = dev.ferry.testing.RegistryProcess.anonymous()) {
            TestImages.Image img = IMAGES.dockerImage(3, 200 * 1024, "linux", "amd64", null);
            new RegistryPusher(bad.baseUrl()).push("readahead/corrupt", "v1", img);
            String hex = img.layers().get(2).digest().substring(7); // the last layer: read from the spool, not directly
            Path data = bad.storageDir().resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
            byte[] wrong = Files.readAllBytes(data);
            wrong[wrong.length / 2] ^= 0x55;
            Files.write(data, wrong);
            Path file = Files.createTempFile("ferry-export-ra-corrupt-", ".tar");
            ExportTest.Run r = ExportTest.sh("curl -sS -o " + file + " '" + base + "api/v1/export?image=" + bad.hostPort()
                    + "/readahead/corrupt:v1&format=oci-archive&tlsVerify=false'");
            assertTrue(r.exit() != 0, "curl must see a cut-off response, not a whole one: " + r.out());
            Skopeo.Result read = Skopeo.run("inspect", "oci-archive:" + file);
            assertTrue(read.exitCode() != 0, "the truncated archive must not read as an image");
        }
        assertSpoolEmptied();
    }

    /** The export's spool directory goes once the export ended (the source is closed just after the response). */
    private static void assertSpoolEmptied() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Path> left;
        do {
            try (Stream<Path> s = Files.exists(SPOOL) ? Files.list(SPOOL) : Stream.empty()) {
                left = s.filter(p -> p.getFileName().toString().startsWith("export-")).toList();
            }
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < until);
        assertEquals(List.of(), left, "export spool directories left behind");
    }
}
