package dev.ferry.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GET /api/v1/export streamed to curl, read by podman load and skopeo; failures before and during the stream. */
@QuarkusTest
@TestProfile(LocalTransportsTest.Profile.class)
class ExportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(3030).withTarLayers();
    private static String reg;
    private static TestImages.Image image;
    private static TestImages.Image multi;

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void fixtures() {
        reg = SharedRegistries.get().anonymous().hostPort();
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        image = IMAGES.dockerImage(2, 300 * 1024, "linux", "amd64", null);
        multi = IMAGES.multiPlatformOci();
        pusher.push("export/app", "v1", image);
        pusher.push("export/multi", "v1", multi);
    }

    record Run(int exit, String out) {
    }

    static Run sh(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "set -o pipefail; " + script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Run(p.waitFor(), out);
    }

    private String url(String query) {
        return base + "api/v1/export?" + query;
    }

    @Test
    void shouldStreamADockerArchiveThatPodmanLoads() throws Exception {
        Path store = Files.createTempDirectory("ferry-podman-");
        String podman = "podman --root " + store.resolve("root") + " --runroot " + store.resolve("run") + " --storage-driver vfs";
        Run r = sh("curl -sf '" + url("image=docker://" + reg + "/export/app:v1&format=docker-archive&tlsVerify=false")
                + "' | " + podman + " load");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains(reg + "/export/app:v1"), r.out());
        Run id = sh(podman + " image inspect --format '{{.Id}}' " + reg + "/export/app:v1");
        assertEquals(image.config().digest().substring(7), id.out().trim(), "podman's image ID is the config digest");
    }

    @Test
    void shouldStreamADockerArchiveSkopeoCopiesToARegistry() throws Exception {
        Path file = Files.createTempFile("ferry-export-", ".tar");
        Run r = sh("curl -sf -o " + file + " '" + url("image=" + reg + "/export/app:v1&format=docker-archive&tlsVerify=false") + "'");
        assertEquals(0, r.exit(), r.out());
        String dst = reg + "/export/back-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        Skopeo.Result copied = Skopeo.copy("docker-archive:" + file, "docker://" + dst);
        assertEquals(0, copied.exitCode(), copied.stderr());
        assertEquals(image.config().digest(), Skopeo.inspect(dst, "--raw").path("config").path("digest").asText());
    }

    @Test
    void shouldStreamAThreePlatformOciArchiveThatKeepsItsIndexDigest() throws Exception {
        Path file = LocalTransportsTest.ROOT.resolve("export-multi-" + UUID.randomUUID() + ".tar");
        Files.createDirectories(file.getParent());
        Run r = sh("curl -sf -o " + file + " '" + url("image=" + reg + "/export/multi:v1&format=oci-archive&all=true&tlsVerify=false") + "'");
        assertEquals(0, r.exit(), r.out());
        assertEquals(multi.digest(), TestImages.sha256(Skopeo.inspectRaw("oci-archive:" + file)));
        String dst = reg + "/export/multi-back-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        Skopeo.Result copied = Skopeo.copy("oci-archive:" + file, "docker://" + dst, "--all", "--preserve-digests");
        assertEquals(0, copied.exitCode(), copied.stderr());
        assertEquals(multi.digest(), TestImages.sha256(Skopeo.inspectRaw(dst)));
    }

    @Test
    void shouldCutTheResponseOffWhenABlobDoesNotMatchItsDigest() throws Exception {
        try (dev.ferry.testing.RegistryProcess bad = dev.ferry.testing.RegistryProcess.anonymous()) {
            TestImages.Image img = IMAGES.dockerImage(2, 200 * 1024, "linux", "amd64", null);
            new RegistryPusher(bad.baseUrl()).push("export/corrupt", "v1", img);
            String hex = img.layers().get(1).digest().substring(7);
            Path data = bad.storageDir().resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
            byte[] wrong = Files.readAllBytes(data);
            wrong[wrong.length / 2] ^= 0x55; // same size, other content
            Files.write(data, wrong);
            Path file = Files.createTempFile("ferry-export-corrupt-", ".tar");
            Run r = sh("curl -sS -o " + file + " '" + url("image=" + bad.hostPort() + "/export/corrupt:v1&format=docker-archive&tlsVerify=false") + "'");
            assertTrue(r.exit() != 0, "curl must see a cut-off response, not a whole one: " + r.out());
            Skopeo.Result read = Skopeo.run("inspect", "docker-archive:" + file);
            assertTrue(read.exitCode() != 0, "the truncated archive must not read as an image");
        }
    }

    @Test
    void shouldAnswerAProblemBeforeStreamingWhenTheImageIsMissingOrTheRequestIsBad() throws Exception {
        for (String[] c : List.of(
                new String[] {"image=" + reg + "/export/missing:v1&format=oci-archive&tlsVerify=false", "404", "image-not-found"},
                new String[] {"image=" + reg + "/export/app:v1&format=zip&tlsVerify=false", "400", "invalid-request"},
                new String[] {"format=oci-archive", "400", "invalid-request"},
                new String[] {"image=" + reg + "/export/multi:v1&format=docker-archive&all=true&tlsVerify=false", "400", "invalid-request"})) {
            Run r = sh("curl -s -w '\\n%{http_code} %{content_type}' '" + url(c[0]) + "'");
            String[] lines = r.out().trim().split("\n");
            String status = lines[lines.length - 1];
            assertTrue(status.startsWith(c[1] + " application/problem+json"), c[0] + " -> " + r.out());
            JsonNode problem = JSON.readTree(String.join("\n", java.util.Arrays.copyOf(lines, lines.length - 1)));
            assertEquals("urn:ferry:problem:" + c[2], problem.path("type").asText(), r.out());
        }
    }
}
