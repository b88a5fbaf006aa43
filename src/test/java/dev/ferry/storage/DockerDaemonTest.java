package dev.ferry.storage;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code docker-daemon:} against a real Docker Engine API: podman's {@code system service} on a unix socket, with its own
 * storage (vfs, a temp root), started for this test. Checked with podman itself and skopeo.
 */
@QuarkusTest
@TestProfile(DockerDaemonTest.Profile.class)
class DockerDaemonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(5050).withTarLayers();
    private static String reg;
    private static TestImages.Image image;

    /** One podman service for the test JVM (stopped when it exits). */
    static final class Podman {
        static final Path DIR;
        static final Path SOCKET;
        static final Process SERVICE;

        static {
            try {
                DIR = Files.createTempDirectory(Path.of("/tmp"), "fd-");
                SOCKET = DIR.resolve("s.sock");
                SERVICE = new ProcessBuilder(List.of("podman", "--storage-driver", "vfs", "--root", DIR.resolve("root").toString(),
                        "--runroot", DIR.resolve("run").toString(), "system", "service", "--time=0", "unix://" + SOCKET))
                        .redirectErrorStream(true).redirectOutput(DIR.resolve("service.log").toFile()).start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    SERVICE.destroy();
                    try {
                        SERVICE.waitFor();
                        // podman's vfs storage and the spool: removed with the service
                        new ProcessBuilder("rm", "-rf", DIR.toString()).start().waitFor();
                    } catch (IOException | InterruptedException ignored) {
                        // best effort at exit
                    }
                }));
                Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
                while (!Files.exists(SOCKET)) {
                    if (Instant.now().isAfter(deadline) || !SERVICE.isAlive()) {
                        throw new IllegalStateException("podman system service did not start: " + Files.readString(DIR.resolve("service.log")));
                    }
                    Thread.sleep(50);
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        static String cli() {
            return "podman --storage-driver vfs --root " + DIR.resolve("root") + " --runroot " + DIR.resolve("run");
        }
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.docker.host", "unix://" + Podman.SOCKET,
                    "ferry.import.spool-dir", Podman.DIR.resolve("spool").toString());
        }
    }

    @BeforeAll
    static void fixtures() {
        reg = SharedRegistries.get().anonymous().hostPort();
        image = IMAGES.dockerImage(2, 200 * 1024, "linux", "amd64", null);
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push("daemon/app", "v1", image);
    }

    private static JsonNode copy(String source, String destination) throws IOException {
        Response r = given().contentType("application/json").header("Prefer", "wait=60")
                .body(Map.of("source", source, "destination", destination, "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy");
        return JSON.readTree(r.asString());
    }

    record Run(int exit, String out) {
    }

    static Run sh(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Run(p.waitFor(), out);
    }

    @Test
    void shouldLoadAnImageIntoTheDaemonWithItsImageId() throws Exception {
        String name = "lab/into-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        JsonNode job = copy("docker://" + reg + "/daemon/app:v1", "docker-daemon:" + name);
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        Run id = sh(Podman.cli() + " image inspect --format '{{.Id}}' " + name);
        assertEquals(0, id.exit(), id.out());
        assertEquals(image.config().digest().substring(7), id.out().trim(), "podman's image ID is the config digest");
    }

    @Test
    void shouldCopyAnImageOutOfTheDaemonWithTheSameImageId() throws Exception {
        String name = "lab/out-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        Run pulled = sh(Podman.cli() + " pull -q --tls-verify=false docker://" + reg + "/daemon/app:v1 && " + Podman.cli()
                + " tag " + reg + "/daemon/app:v1 docker.io/" + name); // podman would call a short name localhost/...
        assertEquals(0, pulled.exit(), pulled.out());
        String dst = reg + "/daemon/back-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        JsonNode job = copy("docker-daemon:" + name, "docker://" + dst);
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        JsonNode raw = JSON.readTree(Skopeo.inspectRaw(dst, "--tls-verify=false"));
        assertEquals(image.config().digest(), raw.path("config").path("digest").asText(), "the image ID survives");
        // the manifest is the one containers/image builds for what the daemon saved
        Path saved = Podman.DIR.resolve("saved-" + UUID.randomUUID() + ".tar");
        assertEquals(0, sh(Podman.cli() + " save --format docker-archive -o " + saved + " " + name).exit());
        assertEquals(TestImages.sha256(Skopeo.inspectRaw("docker-archive:" + saved)), job.path("result").path("digest").asText());
        Skopeo.Result check = Skopeo.copy("docker://" + dst, "oci:" + Podman.DIR.resolve("check-" + UUID.randomUUID()));
        assertTrue(check.ok(), "every blob is there: " + check.stderr());
    }

    @Test
    void shouldInspectAnImageInTheDaemon() throws Exception {
        String name = "lab/seen-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
        JsonNode job = copy("docker://" + reg + "/daemon/app:v1", "docker-daemon:" + name);
        assertEquals("succeeded", job.path("state").asText(), job.toString());
        JsonNode inspect = JSON.readTree(given().contentType("application/json").body(Map.of("image", "docker-daemon:" + name))
                .post("/api/v1/inspect").then().statusCode(200).extract().asString());
        assertEquals("amd64", inspect.path("Architecture").asText(), inspect.toString());
        assertEquals(2, inspect.path("Layers").size(), inspect.toString());
        JsonNode config = JSON.readTree(given().contentType("application/json")
                .body(Map.of("image", "docker-daemon:" + name, "config", true, "raw", true))
                .post("/api/v1/inspect").then().statusCode(200).extract().asByteArray());
        assertEquals(image.configJson(), config, "the config, byte for byte the image's");
    }

    @Test
    void shouldAnswerImageNotFoundForAnImageTheDaemonLacks() {
        given().contentType("application/json").body(Map.of("image", "docker-daemon:lab/nothing:v1"))
                .post("/api/v1/inspect").then().statusCode(404)
                .body("type", org.hamcrest.Matchers.equalTo("urn:ferry:problem:image-not-found"));
    }
}
