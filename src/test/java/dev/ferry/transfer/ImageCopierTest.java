package dev.ferry.transfer;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Platform;
import dev.ferry.registry.Credentials;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The copy engine against real registries, with skopeo as the oracle of what arrived. */
@QuarkusTest
class ImageCopierTest {
    private static final TestImages IMAGES = new TestImages(7);
    private static final AtomicInteger UNIQUE = new AtomicInteger();
    private static final String RUN = Long.toString(System.nanoTime(), 36);

    private static String anon;
    private static RegistryPusher anonPusher;
    /** A second, empty registry: copies into it must stream every blob. */
    private static RegistryProcess other;
    private static RegistryPusher otherPusher;

    private static TestImages.Image oci;
    private static TestImages.Image docker;
    private static TestImages.Image indented;
    private static TestImages.Image multi;

    @Inject
    ImageCopier copier;

    @BeforeAll
    static void pushFixtures() {
        SharedRegistries r = SharedRegistries.get();
        anon = r.anonymous().hostPort();
        anonPusher = new RegistryPusher(r.anonymous().baseUrl());
        other = RegistryProcess.anonymous();
        otherPusher = new RegistryPusher(other.baseUrl());
        oci = IMAGES.ociImage(3, 4096, "linux", "amd64", null);
        docker = IMAGES.dockerImage(2, 300_000);
        indented = TestImages.nonCanonical(IMAGES.ociImage(1, 1024, "linux", "amd64", null));
        multi = IMAGES.multiPlatformOci();
        anonPusher.push("copier/oci", "v1", oci);
        anonPusher.push("copier/docker", "v1", docker);
        anonPusher.push("copier/indented", "v1", indented);
        anonPusher.push("copier/multi", "v1", multi);
    }

    @AfterAll
    static void stopOther() {
        if (other != null) {
            other.close();
        }
    }

    private static RegistryAccess access(String host) {
        return new RegistryAccess(host, host, Credentials.ANONYMOUS, false, 2);
    }

    private static String fresh(String base) {
        return base + "-" + RUN + "-" + UNIQUE.incrementAndGet();
    }

    private CopyResult copy(RegistryAccess src, String srcRef, RegistryAccess dst, String dstRef, CopyOptions o) throws Exception {
        return copier.copy(src, ImageReference.parse(srcRef), dst, ImageReference.parse(dstRef), o)
                .toCompletionStage().toCompletableFuture().get(60, SECONDS);
    }

    private CopyResult copyToOther(String srcRepoTag, String dstRepoTag, CopyOptions o) throws Exception {
        return copy(access(anon), anon + "/" + srcRepoTag, access(other.hostPort()), other.hostPort() + "/" + dstRepoTag, o);
    }

    @Test
    void shouldCopyAnOciImageToAnotherRegistryByteForByte() throws Exception {
        String repo = fresh("copied/oci");
        CopyResult result = copyToOther("copier/oci:v1", repo + ":v1", CopyOptions.defaults());

        assertEquals(Digest.parse(oci.digest()), result.digest());
        assertEquals(oci.blobs().size(), result.blobsCopied());
        assertEquals(0, result.blobsMounted());
        assertEquals(oci.blobs().stream().mapToLong(TestImages.Blob::size).sum(), result.bytesCopied());
        assertArrayEquals(oci.manifest(), Skopeo.inspectRaw(other.hostPort() + "/" + repo + ":v1"));
        assertEquals(oci.digest(), Skopeo.inspect(other.hostPort() + "/" + repo + ":v1").get("Digest").asText());
    }

    @Test
    void shouldCopyADockerSchema2Image() throws Exception {
        String repo = fresh("copied/docker");
        CopyResult result = copyToOther("copier/docker:v1", repo + ":v1", CopyOptions.defaults());

        assertEquals(Digest.parse(docker.digest()), result.digest());
        assertEquals(docker.blobs().size(), result.blobsCopied());
        assertArrayEquals(docker.manifest(), Skopeo.inspectRaw(other.hostPort() + "/" + repo + ":v1"));
        assertEquals(docker.digest(), Skopeo.inspect(other.hostPort() + "/" + repo + ":v1").get("Digest").asText());
    }

    @Test
    void shouldKeepTheDigestOfANonCanonicalManifest() throws Exception {
        String repo = fresh("copied/indented");
        CopyResult result = copyToOther("copier/indented:v1", repo + ":v1", CopyOptions.defaults());

        assertEquals(Digest.parse(indented.digest()), result.digest());
        assertArrayEquals(indented.manifest(), Skopeo.inspectRaw(other.hostPort() + "/" + repo + ":v1"));
    }

    @Test
    void shouldCopyEveryPlatformAndTheIndexWhenAllIsSet() throws Exception {
        String repo = fresh("copied/multi-all");
        CopyResult result = copyToOther("copier/multi:v1", repo + ":v1", new CopyOptions(true, null));

        assertEquals(Digest.parse(multi.digest()), result.digest());
        assertArrayEquals(multi.manifest(), Skopeo.inspectRaw(other.hostPort() + "/" + repo + ":v1"));
        int blobs = 0;
        for (TestImages.Image child : multi.children()) {
            assertArrayEquals(child.manifest(), otherPusher.getManifest(repo, child.digest(), null), child.digest());
            blobs += child.blobs().size();
        }
        assertEquals(blobs, result.blobsCopied() + result.blobsSkipped());
    }

    @Test
    void shouldCopyOnlyTheSelectedPlatformWithoutAll() throws Exception {
        String repo = fresh("copied/multi-one");
        CopyResult result = copyToOther("copier/multi:v1", repo + ":v1",
                new CopyOptions(false, Platform.of("linux", "arm64", "v8")));

        TestImages.Image arm64 = multi.children().get(1);
        assertEquals("arm64", arm64.architecture());
        assertEquals(Digest.parse(arm64.digest()), result.digest());
        assertArrayEquals(arm64.manifest(), Skopeo.inspectRaw(other.hostPort() + "/" + repo + ":v1"));
        assertEquals(arm64.blobs().size(), result.blobsCopied() + result.blobsMounted(),
                "streamed, or mounted from where an earlier copy into this registry put them");
        for (TestImages.Image child : multi.children()) {
            if (child != arm64) {
                assertFalse(otherPusher.blobExists(repo, child.config().digest()), "other platforms are not copied");
            }
        }
    }

    @Test
    void shouldMountEveryBlobWhenSourceIsSameRegistry() throws Exception {
        String repo = fresh("copier/mounted");
        CopyResult result = copy(access(anon), anon + "/copier/oci:v1", access(anon), anon + "/" + repo + ":v1",
                CopyOptions.defaults());

        assertEquals(oci.blobs().size(), result.blobsMounted());
        assertEquals(0, result.blobsCopied());
        assertEquals(0L, result.bytesCopied());
        assertArrayEquals(oci.manifest(), Skopeo.inspectRaw(anon + "/" + repo + ":v1"));
    }

    @Test
    void shouldSkipEveryBlobOnASecondCopy() throws Exception {
        String repo = fresh("copied/again");
        copyToOther("copier/docker:v1", repo + ":v1", CopyOptions.defaults());
        CopyResult second = copyToOther("copier/docker:v1", repo + ":v2", CopyOptions.defaults());

        assertEquals(docker.blobs().size(), second.blobsSkipped());
        assertEquals(0, second.blobsCopied());
        assertEquals(0, second.blobsMounted());
        assertEquals(0L, second.bytesCopied());
        assertArrayEquals(docker.manifest(), Skopeo.inspectRaw(other.hostPort() + "/" + repo + ":v2"));
    }

    @Test
    void shouldCopyIntoARegistryThatNeedsCredentials() throws Exception {
        SharedRegistries r = SharedRegistries.get();
        String host = r.htpasswd().hostPort();
        RegistryAccess dst = new RegistryAccess(host, host, new Credentials.Basic(r.user(), r.password()), false, 2);
        String repo = fresh("copied/auth");
        CopyResult result = copy(access(anon), anon + "/copier/oci:v1", dst, host + "/" + repo + ":v1", CopyOptions.defaults());

        assertEquals(Digest.parse(oci.digest()), result.digest());
        RegistryPusher authed = new RegistryPusher(r.htpasswd().baseUrl()).withBasic(r.user(), r.password());
        assertArrayEquals(oci.manifest(), authed.getManifest(repo, "v1", null));
        for (TestImages.Blob b : oci.blobs()) {
            assertTrue(authed.blobExists(repo, b.digest()), b.digest());
        }
    }

    @Test
    void shouldFailWithDigestMismatchAndPushNoManifestWhenALayerIsCorrupt() throws Exception {
        TestImages.Image image = IMAGES.ociImage(1, 64 * 1024, "linux", "amd64", null);
        TestImages.Blob layer = image.layers().get(0);
        byte[] corrupt = layer.bytes().clone();
        corrupt[corrupt.length / 2] ^= 0x55; // same size, different content
        Map<String, TestImages.Blob> blobs = Map.of("/v2/bad/app/blobs/" + image.config().digest(), image.config());
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/v2/")) {
                ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes());
            } else if (path.equals("/v2/bad/app/manifests/v1")) {
                ScriptedPeer.send(ex, 200, image.mediaType(), image.manifest());
            } else if (path.equals("/v2/bad/app/blobs/" + layer.digest())) {
                ScriptedPeer.send(ex, 200, "application/octet-stream", corrupt);
            } else if (blobs.containsKey(path)) {
                ScriptedPeer.send(ex, 200, "application/octet-stream", blobs.get(path).bytes());
            } else {
                ScriptedPeer.send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}".getBytes());
            }
        })) {
            String repo = fresh("copied/corrupt");
            ExecutionException failed = assertThrows(ExecutionException.class, () -> copy(access(peer.hostPort()),
                    peer.hostPort() + "/bad/app:v1", access(other.hostPort()), other.hostPort() + "/" + repo + ":v1",
                    new CopyOptions(false, null, 1)));

            FerryException problem = assertInstanceOf(FerryException.class, failed.getCause());
            assertEquals(ProblemType.DIGEST_MISMATCH, problem.type(), problem.getMessage());
            assertEquals(404, otherPusher.get("/v2/" + repo + "/manifests/v1",
                    Map.of("Accept", TestImages.OCI_MANIFEST)).statusCode(), "no manifest pushed");
            assertFalse(otherPusher.blobExists(repo, layer.digest()), "the corrupt layer was not stored");
            assertFalse(Arrays.equals(layer.bytes(), corrupt));
        }
    }

    @Test
    void shouldStreamALargeLayerWithFlowControl() throws Exception {
        TestImages.Image big = IMAGES.ociImage(1, 24 * 1024 * 1024, "linux", "amd64", null);
        String srcRepo = fresh("copier/big");
        anonPusher.push(srcRepo, "v1", big);
        String repo = fresh("copied/big");
        CopyResult result = copyToOther(srcRepo + ":v1", repo + ":v1", CopyOptions.defaults());

        assertEquals(Digest.parse(big.digest()), result.digest());
        assertEquals(big.blobs().stream().mapToLong(TestImages.Blob::size).sum(), result.bytesCopied());
        assertTrue(otherPusher.blobExists(repo, big.layers().get(0).digest()));
        assertArrayEquals(big.manifest(), Skopeo.inspectRaw(other.hostPort() + "/" + repo + ":v1"));
    }

    @Test
    void shouldMountBetweenRepositoriesOfATokenRegistry() throws Exception {
        SharedRegistries r = SharedRegistries.get();
        String host = r.token().hostPort();
        RegistryPusher pusher = new RegistryPusher(r.token().baseUrl()).withBasic(r.user(), r.password());
        String srcRepo = fresh("copier/token-src");
        pusher.push(srcRepo, "v1", docker);
        RegistryAccess access = new RegistryAccess(host, host, new Credentials.Basic(r.user(), r.password()), false, 2);
        String repo = fresh("copied/token");
        r.tokenServer().resetCounters();
        CopyResult result = copy(access, host + "/" + srcRepo + ":v1", access, host + "/" + repo + ":v1", CopyOptions.defaults());

        assertEquals(docker.blobs().size(), result.blobsMounted());
        assertEquals(0L, result.bytesCopied());
        assertArrayEquals(docker.manifest(), pusher.getManifest(repo, "v1", null));
        assertTrue(r.tokenServer().requestedScopes().stream().anyMatch(s -> s.contains("repository:" + repo + ":pull,push")),
                r.tokenServer().requestedScopes().toString());
    }

    @Test
    void shouldFailWithDigestMismatchWhenTheSourceSendsMoreThanTheDescriptorSays() throws Exception {
        TestImages.Image image = IMAGES.ociImage(1, 8 * 1024, "linux", "amd64", null);
        TestImages.Blob layer = image.layers().get(0);
        byte[] longer = Arrays.copyOf(layer.bytes(), layer.bytes().length + 100);
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/v2/")) {
                ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes());
            } else if (path.equals("/v2/long/app/manifests/v1")) {
                ScriptedPeer.send(ex, 200, image.mediaType(), image.manifest());
            } else if (path.equals("/v2/long/app/blobs/" + layer.digest())) {
                ScriptedPeer.send(ex, 200, "application/octet-stream", longer);
            } else if (path.equals("/v2/long/app/blobs/" + image.config().digest())) {
                ScriptedPeer.send(ex, 200, "application/octet-stream", image.config().bytes());
            } else {
                ScriptedPeer.send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}".getBytes());
            }
        })) {
            String repo = fresh("copied/long");
            ExecutionException failed = assertThrows(ExecutionException.class, () -> copy(access(peer.hostPort()),
                    peer.hostPort() + "/long/app:v1", access(other.hostPort()), other.hostPort() + "/" + repo + ":v1",
                    CopyOptions.defaults()));

            FerryException problem = assertInstanceOf(FerryException.class, failed.getCause());
            assertEquals(ProblemType.DIGEST_MISMATCH, problem.type(), problem.getMessage());
            assertEquals(404, otherPusher.get("/v2/" + repo + "/manifests/v1",
                    Map.of("Accept", TestImages.OCI_MANIFEST)).statusCode(), "no manifest pushed");
            assertFalse(otherPusher.blobExists(repo, layer.digest()));
        }
    }
}
