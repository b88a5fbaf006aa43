package dev.ferry.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code oci-archive:} and {@code docker-archive:} files, with skopeo (and podman load) as the oracle. */
@QuarkusTest
@TestProfile(LocalTransportsTest.Profile.class)
class ArchiveTransportsTest {
    private static final TestImages IMAGES = new TestImages(2020).withTarLayers();
    private static String reg;
    private static TestImages.Image image;
    private static TestImages.Image multi;
    private static TestImages.Image oci;

    @BeforeAll
    static void fixtures() throws IOException {
        Files.createDirectories(LocalTransportsTest.ROOT);
        reg = SharedRegistries.get().anonymous().hostPort();
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        image = IMAGES.dockerImage(2, 200 * 1024, "linux", "amd64", null);
        multi = IMAGES.multiPlatformOci();
        pusher.push("archive/app", "v1", image);
        pusher.push("archive/multi", "v1", multi);
        oci = IMAGES.ociImage(2, 100 * 1024, "linux", "arm64", "v8");
        pusher.push("archive/oci", "v1", oci);
    }

    private static String repo(String prefix) {
        return reg + "/archive/" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
    }

    private static void ok(Skopeo.Result r) {
        assertEquals(0, r.exitCode(), r.stderr());
    }

    @Test
    void shouldWriteAnOciArchiveSkopeoReadsAndReadOneSkopeoWrote() throws IOException {
        Path ours = LocalTransportsTest.fresh("ours").resolveSibling("ours-" + UUID.randomUUID() + ".tar");
        JsonNode kept = LocalTransportsTest.succeeded("docker://" + reg + "/archive/oci:v1", "oci-archive:" + ours + ":v1", Map.of());
        assertEquals(oci.digest(), Skopeo.inspect("oci-archive:" + ours + ":v1").path("Digest").asText());
        assertEquals(false, kept.path("result").path("digestsChanged").asBoolean());

        Path theirs = ours.resolveSibling("theirs-" + UUID.randomUUID() + ".tar");
        ok(Skopeo.copy("docker://" + reg + "/archive/oci:v1", "oci-archive:" + theirs + ":v1", "--preserve-digests"));
        String digest = Skopeo.inspect("oci-archive:" + theirs + ":v1").path("Digest").asText();
        String dst = repo("from-oci-archive");
        JsonNode job = LocalTransportsTest.succeeded("oci-archive:" + theirs + ":v1", "docker://" + dst, Map.of());
        assertEquals(digest, job.path("result").path("digest").asText());
        assertEquals(digest, TestImages.sha256(Skopeo.inspectRaw(dst)));
    }

    @Test
    void shouldConvertDockerManifestsToOciForAnOciArchiveAsSkopeoDoesAndSayDigestsChanged() throws IOException {
        Path ours = LocalTransportsTest.ROOT.resolve("converted-" + UUID.randomUUID() + ".tar");
        JsonNode job = LocalTransportsTest.succeeded("docker://" + reg + "/archive/app:v1", "oci-archive:" + ours + ":v1", Map.of());
        assertTrue(job.path("result").path("digestsChanged").asBoolean(), job.toString());
        JsonNode inspected = Skopeo.inspect("oci-archive:" + ours + ":v1");
        assertEquals(job.path("result").path("digest").asText(), inspected.path("Digest").asText());
        assertEquals("application/vnd.oci.image.manifest.v1+json",
                Skopeo.inspect("oci-archive:" + ours + ":v1", "--raw").path("mediaType").asText());
        // the layers are the same bytes
        assertEquals(image.layers().get(0).digest(), inspected.path("Layers").get(0).asText());
        // and the converted image is the one skopeo writes: its config rewritten as an OCI config, the same digests
        Path theirs = LocalTransportsTest.ROOT.resolve("converted-by-skopeo-" + UUID.randomUUID() + ".tar");
        ok(Skopeo.copy("docker://" + reg + "/archive/app:v1", "oci-archive:" + theirs + ":v1"));
        assertEquals(Skopeo.inspect("oci-archive:" + theirs + ":v1").path("Digest").asText(), inspected.path("Digest").asText(),
                "the manifest digest skopeo gets converting the same image");

        io.restassured.response.Response refused = LocalTransportsTest.copy("docker://" + reg + "/archive/app:v1",
                "oci-archive:" + ours + "-2:v1", Map.of("preserveDigests", true));
        JsonNode failed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(refused.asByteArray());
        assertEquals("failed", failed.path("state").asText(), failed.toString());
        assertEquals("urn:ferry:problem:digests-would-change", failed.path("error").path("type").asText());
        assertTrue(Files.notExists(Path.of(ours + "-2")));
    }

    @Test
    void shouldRoundTripAThreePlatformIndexThroughAnOciArchiveWithItsDigest() throws IOException {
        Path file = LocalTransportsTest.ROOT.resolve("multi-" + UUID.randomUUID() + ".tar");
        LocalTransportsTest.succeeded("docker://" + reg + "/archive/multi:v1", "oci-archive:" + file, Map.of("all", true));
        String dst = repo("multi-back");
        JsonNode job = LocalTransportsTest.succeeded("oci-archive:" + file, "docker://" + dst, Map.of("all", true));
        assertEquals(multi.digest(), job.path("result").path("digest").asText());
        assertEquals(multi.digest(), TestImages.sha256(Skopeo.inspectRaw(dst)));
        assertEquals(3, multi.children().size());
    }

    @Test
    void shouldWriteADockerArchiveThatSkopeoAndPodmanLoad() throws Exception {
        Path file = LocalTransportsTest.ROOT.resolve("docker-" + UUID.randomUUID() + ".tar");
        LocalTransportsTest.succeeded("docker://" + reg + "/archive/app:v1", "docker-archive:" + file + ":lab/app:v1", Map.of());
        JsonNode inspected = Skopeo.inspect("docker-archive:" + file);
        assertEquals(image.config().digest(), Skopeo.inspectConfig("docker-archive:" + file).isObject()
                ? TestImages.sha256(Files.readAllBytes(extract(file, image.config().digest().substring(7) + ".json"))) : "");
        assertEquals("amd64", inspected.path("Architecture").asText());
        // podman load (its own storage, vfs driver, in a temp dir)
        Path store = Files.createTempDirectory("ferry-podman-");
        Process p = new ProcessBuilder("podman", "--root", store.resolve("root").toString(), "--runroot",
                store.resolve("run").toString(), "--storage-driver", "vfs", "load", "-i", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("lab/app:v1"), out);
        // and back into a registry through skopeo: the config (the image ID) is the same
        String dst = repo("from-docker-archive");
        ok(Skopeo.copy("docker-archive:" + file, "docker://" + dst));
        assertEquals(image.config().digest(), Skopeo.inspect(dst, "--raw").path("config").path("digest").asText());
    }

    @Test
    void shouldCopyADockerArchiveSkopeoWroteWithTheDigestSkopeoReports() throws IOException {
        Path file = LocalTransportsTest.ROOT.resolve("skopeo-docker-" + UUID.randomUUID() + ".tar");
        ok(Skopeo.copy("docker://" + reg + "/archive/app:v1", "docker-archive:" + file + ":lab/app:v1"));
        String digest = TestImages.sha256(Skopeo.inspectRaw("docker-archive:" + file));
        String dst = repo("skopeo-docker");
        JsonNode job = LocalTransportsTest.succeeded("docker-archive:" + file + ":lab/app:v1", "docker://" + dst, Map.of());
        assertEquals(digest, job.path("result").path("digest").asText());
        assertEquals(digest, TestImages.sha256(Skopeo.inspectRaw(dst)));
        // and skopeo reads the image back from the registry
        assertEquals(image.config().digest(), Skopeo.inspect(dst, "--raw").path("config").path("digest").asText());
    }

    private static Path extract(Path tar, String entry) throws Exception {
        Path dir = Files.createTempDirectory("ferry-untar-");
        Process p = new ProcessBuilder("tar", "-xf", tar.toString(), "-C", dir.toString(), entry).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        return dir.resolve(entry);
    }
}
