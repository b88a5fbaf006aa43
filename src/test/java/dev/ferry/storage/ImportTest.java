package dev.ferry.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * POST /api/v1/import with archives skopeo (and podman) wrote, sent by curl: the image lands in a real registry with
 * the digests skopeo reports for the archive; bad archives are refused with a problem and no tag is pushed.
 */
@QuarkusTest
@TestProfile(ImportTest.Profile.class)
class ImportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Larger than the body cap the test sets, smaller than what the images need. */
    static final long MAX_BYTES = 40L * 1024 * 1024;
    private static final TestImages IMAGES = new TestImages(4040).withTarLayers();
    private static final Path WORK = Path.of(System.getProperty("java.io.tmpdir"), "ferry-import-" + ProcessHandle.current().pid());
    private static String reg;
    private static TestImages.Image image;
    private static TestImages.Image multi;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.import.max-bytes", Long.toString(MAX_BYTES),
                    "ferry.import.spool-dir", WORK.resolve("spool").toString(),
                    "ferry.storage.roots", WORK.resolve("roots").toString());
        }
    }

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void fixtures() throws IOException {
        Files.createDirectories(WORK.resolve("roots"));
        reg = SharedRegistries.get().anonymous().hostPort();
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        // one layer larger than the 4 MiB manifest cap (written while it streams in), one small (spooled)
        image = IMAGES.ociImage(1, 6 * 1024 * 1024, "linux", "amd64", null);
        multi = IMAGES.multiPlatformOci();
        pusher.push("import/app", "v1", image);
        pusher.push("import/multi", "v1", multi);
    }

    record Run(int exit, String out) {
    }

    static Run sh(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "set -o pipefail; " + script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Run(p.waitFor(), out);
    }

    /** POSTs {@code file} with curl; the answer's body, and its status and content type on the last line. */
    private Run post(Path file, String query, String contentType) throws Exception {
        return sh("curl -sS -X POST -T " + file + " -H 'Content-Type: " + contentType + "' -w '\\n%{http_code} %{content_type}' '"
                + base + "api/v1/import?" + query + "'");
    }

    private static int status(Run r) {
        String[] lines = r.out().trim().split("\n");
        return Integer.parseInt(lines[lines.length - 1].split(" ")[0]);
    }

    private static JsonNode body(Run r) throws IOException {
        String[] lines = r.out().trim().split("\n");
        return JSON.readTree(String.join("\n", java.util.Arrays.copyOf(lines, lines.length - 1)));
    }

    private static String fresh(String name) {
        return reg + "/import/" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + ":v1";
    }

    private static boolean tagExists(String ref) {
        return Skopeo.run("inspect", "--tls-verify=false", "--raw", "docker://" + ref).exitCode() == 0;
    }

    @Test
    void shouldImportAnOciArchiveSkopeoWroteWithItsDigest() throws Exception {
        Path file = WORK.resolve("app-" + UUID.randomUUID() + ".oci.tar");
        Skopeo.Result made = Skopeo.copy("docker://" + reg + "/import/app:v1", "oci-archive:" + file + ":v1");
        assertEquals(0, made.exitCode(), made.stderr());
        assertTrue(Files.size(file) > 2 * 1024 * 1024, "well past the 1 MiB cap of other endpoints");
        String dst = fresh("oci");
        Run r = post(file, "destination=docker://" + dst + "&format=oci-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(200, status(r), r.out());
        JsonNode job = body(r);
        assertEquals("succeeded", job.path("state").asText(), r.out());
        String expected = TestImages.sha256(Skopeo.inspectRaw("oci-archive:" + file + ":v1"));
        assertEquals(expected, job.path("result").path("digest").asText());
        assertEquals(expected, TestImages.sha256(Skopeo.inspectRaw(dst, "--tls-verify=false")));
        assertEquals(image.digest(), expected, "skopeo kept the OCI manifest, so did the import");
        // the job's events: the big layer written as it streamed, then the manifest
        dev.ferry.testing.SseClient.Stream events = dev.ferry.testing.SseClient.read(base + "api/v1/jobs/" + job.path("id").asText()
                + "/events", null, java.time.Duration.ofSeconds(20));
        String layer = image.layers().get(0).digest();
        assertTrue(events.events().stream().anyMatch(e -> e.event().equals("blob") && e.data().contains(layer)
                && e.data().contains("\"done\"")), events.events().toString());
        assertTrue(events.events().stream().anyMatch(e -> e.event().equals("manifest") && e.data().contains(expected)),
                events.events().toString());
        assertEquals("job", events.events().get(events.events().size() - 1).event());
        // and the jobs list can be filtered to imports
        io.restassured.RestAssured.given().get("/api/v1/jobs?type=import&limit=500").then().statusCode(200)
                .body("items.id", org.hamcrest.Matchers.hasItem(job.path("id").asText()))
                .body("items.type", org.hamcrest.Matchers.everyItem(org.hamcrest.Matchers.equalTo("import")));
    }

    @Test
    void shouldImportIntoAnOciLayoutAndADockerArchiveFile() throws Exception {
        Path file = WORK.resolve("local-" + UUID.randomUUID() + ".oci.tar");
        assertEquals(0, Skopeo.copy("docker://" + reg + "/import/app:v1", "oci-archive:" + file).exitCode());
        // an OCI layout takes blobs in any order: the big layer is written as it streams in
        Path layout = WORK.resolve("roots/layout-" + UUID.randomUUID());
        Run r = post(file, "destination=oci:" + layout + ":v1&format=oci-archive", "application/x-tar");
        assertEquals(200, status(r), r.out());
        assertEquals(image.digest(), TestImages.sha256(Skopeo.inspectRaw("oci:" + layout + ":v1")));
        // a docker-archive file takes blobs in a fixed order: the whole archive is spooled first, then written
        Path archive = WORK.resolve("roots/app-" + UUID.randomUUID() + ".docker.tar");
        Run d = post(file, "destination=docker-archive:" + archive + ":lab/app:v1&format=oci-archive", "application/x-tar");
        assertEquals(200, status(d), d.out());
        assertEquals(image.config().digest(), JSON.readTree(Skopeo.inspectRaw("docker-archive:" + archive)).path("config")
                .path("digest").asText());
        try (java.util.stream.Stream<Path> left = Files.list(WORK.resolve("spool"))) {
            assertEquals(0, left.count(), "the spool is emptied after each import");
        }
    }

    @Test
    void shouldImportAChunkedBodyFromAPipe() throws Exception {
        Path file = WORK.resolve("pipe-" + UUID.randomUUID() + ".oci.tar");
        assertEquals(0, Skopeo.copy("docker://" + reg + "/import/app:v1", "oci-archive:" + file).exitCode());
        String dst = fresh("pipe");
        Run r = sh("cat " + file + " | curl -sS -X POST -T - -H 'Content-Type: application/x-tar' -w '\\n%{http_code} %{content_type}' '"
                + base + "api/v1/import?destination=" + dst + "&format=oci-archive&destTlsVerify=false'");
        assertEquals(200, status(r), r.out());
        assertEquals(image.digest(), TestImages.sha256(Skopeo.inspectRaw(dst, "--tls-verify=false")));
    }

    @Test
    void shouldImportEveryPlatformOfAnOciArchiveWithTheIndexDigest() throws Exception {
        Path file = WORK.resolve("multi-" + UUID.randomUUID() + ".oci.tar");
        Skopeo.Result made = Skopeo.copy("docker://" + reg + "/import/multi:v1", "oci-archive:" + file, "--all");
        assertEquals(0, made.exitCode(), made.stderr());
        String dst = fresh("multi");
        Run r = post(file, "destination=" + dst + "&format=oci-archive&all=true&destTlsVerify=false", "application/x-tar");
        assertEquals(200, status(r), r.out());
        assertEquals(multi.digest(), TestImages.sha256(Skopeo.inspectRaw(dst, "--tls-verify=false")));
        Skopeo.Result check = Skopeo.copy("docker://" + dst, "oci:" + WORK.resolve("multi-check-" + UUID.randomUUID()), "--all");
        assertEquals(0, check.exitCode(), "every child and blob is there: " + check.stderr());
    }

    @Test
    void shouldImportADockerArchiveSkopeoWroteWithTheDigestSkopeoReports() throws Exception {
        Path file = WORK.resolve("app-" + UUID.randomUUID() + ".docker.tar");
        Skopeo.Result made = Skopeo.copy("docker://" + reg + "/import/app:v1", "docker-archive:" + file + ":lab/app:v1");
        assertEquals(0, made.exitCode(), made.stderr());
        String dst = fresh("docker");
        Run r = post(file, "destination=" + dst + "&format=docker-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(200, status(r), r.out());
        String expected = TestImages.sha256(Skopeo.inspectRaw("docker-archive:" + file));
        assertEquals(expected, body(r).path("result").path("digest").asText(), r.out());
        assertEquals(expected, TestImages.sha256(Skopeo.inspectRaw(dst, "--tls-verify=false")));
        assertEquals(image.config().digest(), Skopeo.inspect(dst, "--raw").path("config").path("digest").asText(),
                "the image ID survives");
    }

    @Test
    void shouldImportWhatPodmanSaves() throws Exception {
        Path store = Files.createTempDirectory(Path.of("/tmp"), "fp-");
        String podman = "podman --root " + store.resolve("root") + " --runroot " + store.resolve("run") + " --storage-driver vfs";
        Path file = store.resolve("saved.tar");
        Run pulled = sh(podman + " pull -q --tls-verify=false docker://" + reg + "/import/app:v1 && " + podman
                + " save --format docker-archive -o " + file + " " + reg + "/import/app:v1");
        assertEquals(0, pulled.exit(), pulled.out());
        String dst = fresh("podman");
        Run r = post(file, "destination=" + dst + "&format=docker-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(200, status(r), r.out());
        assertEquals(TestImages.sha256(Skopeo.inspectRaw("docker-archive:" + file)),
                TestImages.sha256(Skopeo.inspectRaw(dst, "--tls-verify=false")));
    }

    @Test
    void shouldRefuseATruncatedArchiveAndPushNoTag() throws Exception {
        Path file = WORK.resolve("trunc-" + UUID.randomUUID() + ".oci.tar");
        assertEquals(0, Skopeo.copy("docker://" + reg + "/import/app:v1", "oci-archive:" + file).exitCode());
        Path cut = WORK.resolve("cut-" + UUID.randomUUID() + ".tar");
        byte[] all = Files.readAllBytes(file);
        Files.write(cut, java.util.Arrays.copyOf(all, all.length * 2 / 3));
        String dst = fresh("trunc");
        Run r = post(cut, "destination=" + dst + "&format=oci-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(400, status(r), r.out());
        assertEquals("urn:ferry:problem:invalid-archive", body(r).path("type").asText(), r.out());
        assertTrue(r.out().contains("application/problem+json"), r.out());
        assertFalse(tagExists(dst), "nothing is tagged");
    }

    @Test
    void shouldRefuseABlobThatDoesNotMatchItsNameAndPushNoTag() throws Exception {
        Path file = WORK.resolve("bad-" + UUID.randomUUID() + ".oci.tar");
        assertEquals(0, Skopeo.copy("docker://" + reg + "/import/app:v1", "oci-archive:" + file).exitCode());
        byte[] all = Files.readAllBytes(file);
        // the big layer: flip a byte in its middle (same size, other content)
        String hex = image.layers().get(0).digest().substring(7);
        int at = indexOf(all, ("blobs/sha256/" + hex).getBytes(StandardCharsets.US_ASCII));
        assertTrue(at >= 0);
        all[at + 512 + 3 * 1024 * 1024] ^= 0x55;
        Path bad = WORK.resolve("bad-" + UUID.randomUUID() + ".tar");
        Files.write(bad, all);
        String dst = fresh("corrupt");
        Run r = post(bad, "destination=" + dst + "&format=oci-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(400, status(r), r.out());
        JsonNode problem = body(r);
        assertEquals("urn:ferry:problem:invalid-archive", problem.path("type").asText(), r.out());
        assertTrue(problem.path("detail").asText().contains(hex), r.out());
        assertFalse(tagExists(dst));
        assertFalse(Skopeo.run("inspect", "--tls-verify=false", "docker://" + dst.replace(":v1", "@" + image.layers().get(0).digest()))
                .ok(), "the wrong layer is not stored under its digest");
    }

    @Test
    void shouldRefuseAnEntryThatPointsOutsideTheArchive() throws Exception {
        Path file = WORK.resolve("escape-" + UUID.randomUUID() + ".tar");
        try (OutputStream out = Files.newOutputStream(file)) {
            writeEntry(out, "../../etc/evil", "x".getBytes(StandardCharsets.UTF_8));
            out.write(new byte[1024]);
        }
        String dst = fresh("escape");
        Run r = post(file, "destination=" + dst + "&format=oci-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(403, status(r), r.out());
        assertEquals("urn:ferry:problem:path-not-allowed", body(r).path("type").asText(), r.out());
        assertFalse(Files.exists(Path.of("/etc/evil")));
    }

    @Test
    void shouldRefuseABodyPastTheImportCap() throws Exception {
        // a tar bomb: one entry claiming more than the cap; and a body that simply goes on past it
        Path claim = WORK.resolve("bomb-" + UUID.randomUUID() + ".tar");
        try (OutputStream out = Files.newOutputStream(claim)) {
            out.write(header("blobs/sha256/" + "a".repeat(64), 100L * 1024 * 1024 * 1024));
            out.write(new byte[4096]);
        }
        Run r = post(claim, "destination=" + fresh("bomb") + "&format=oci-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(413, status(r), r.out());
        assertEquals("urn:ferry:problem:payload-too-large", body(r).path("type").asText(), r.out());

        Path big = WORK.resolve("big-" + UUID.randomUUID() + ".tar");
        try (OutputStream out = Files.newOutputStream(big)) {
            byte[] mb = new byte[1024 * 1024];
            for (int i = 0; i < 3; i++) {
                writeEntry(out, "filler-" + i, new byte[(int) (MAX_BYTES / 2)]);
            }
            out.write(mb);
        }
        // announced by Content-Length: refused before a byte is read
        Run announced = post(big, "destination=" + fresh("big") + "&format=oci-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(413, status(announced), announced.out());
        // chunked (no length): refused as the cap is passed; curl may see the connection close instead of the answer
        Run chunked = sh("cat " + big + " | curl -sS -X POST -T - -H 'Content-Type: application/x-tar' -w '\\n%{http_code}' '" + base
                + "api/v1/import?destination=" + fresh("big") + "&format=oci-archive&destTlsVerify=false'");
        assertTrue(chunked.out().trim().endsWith("413") || chunked.exit() != 0, chunked.out());
    }

    @Test
    void shouldRefuseAWrongContentTypeAndBadParameters() throws Exception {
        Path file = WORK.resolve("tiny-" + UUID.randomUUID() + ".tar");
        Files.write(file, new byte[1024]);
        Run r = post(file, "destination=" + fresh("ct") + "&format=oci-archive&destTlsVerify=false", "application/json");
        assertEquals(415, status(r), r.out());
        assertEquals("urn:ferry:problem:unsupported-media-type", body(r).path("type").asText());
        Run noFormat = post(file, "destination=" + fresh("ct") + "&destTlsVerify=false", "application/x-tar");
        assertEquals(400, status(noFormat), noFormat.out());
        Run badDst = post(file, "destination=docker://" + reg + "/Import/UPPER:v1&format=oci-archive", "application/x-tar");
        assertEquals(400, status(badDst), badDst.out());
        assertEquals("urn:ferry:problem:invalid-reference", body(badDst).path("type").asText(), badDst.out());
        Run empty = post(file, "destination=" + fresh("empty") + "&format=oci-archive&destTlsVerify=false", "application/x-tar");
        assertEquals(400, status(empty), empty.out());
        assertEquals("urn:ferry:problem:invalid-archive", body(empty).path("type").asText(), empty.out());
    }

    // ---- tar writing, for archives no tool would make

    private static void writeEntry(OutputStream out, String name, byte[] content) throws IOException {
        out.write(header(name, content.length));
        out.write(content);
        int pad = (512 - content.length % 512) % 512;
        out.write(new byte[pad]);
    }

    private static byte[] header(String name, long size) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, Math.min(100, n.length));
        put(h, 100, String.format("%07o", 0644));
        put(h, 108, String.format("%07o", 0));
        put(h, 116, String.format("%07o", 0));
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 0));
        h[156] = '0';
        put(h, 257, "ustar");
        h[262] = 0;
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    private static int indexOf(byte[] all, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= all.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (all[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
