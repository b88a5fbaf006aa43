package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.sync.SyncJobs;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.SseClient;
import dev.ferry.testing.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** skopeo sync over HTTP between real registries, with the real skopeo sync as the oracle. */
@QuarkusTest
class SyncJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(4711).withGzipLayers();
    /** 30 version tags + latest + dev of one small image. */
    private static final List<String> VERSIONS = IntStream.range(0, 30).mapToObj(i -> (1 + i / 10) + "." + (i % 10) + ".0").toList();
    private static final List<RegistryProcess> STARTED = new ArrayList<>();
    private static RegistryProcess source;
    private static String src;
    private static TestImages.Image small;
    private static TestImages.Image other;
    private static TestImages.Image multi;

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void pushFixtures() {
        source = registry();
        src = source.hostPort();
        RegistryPusher pusher = new RegistryPusher(source.baseUrl());
        small = IMAGES.ociImage(2, 4 * 1024, "linux", "amd64", null);
        other = IMAGES.dockerImage(2, 8 * 1024);
        multi = IMAGES.multiPlatformOci();
        pusher.push("lab/app", "latest", small);
        pusher.tag("lab/app", "dev", small);
        VERSIONS.forEach(v -> pusher.tag("lab/app", v, small));
        pusher.push("lab/app", "1.5.1", other);
        pusher.push("lab/app", "multi", multi);
        pusher.push("lab/keep", "a", IMAGES.ociImage(1, 2048));
        TestImages.Image broken = IMAGES.ociImage(1, 2048);
        pusher.push("lab/keep", "b", broken);
        pusher.push("lab/keep", "c", IMAGES.ociImage(1, 2048));
        deleteBlob(source, "lab/keep", broken.layers().get(0).digest());
    }

    @AfterAll
    static void stopRegistries() {
        STARTED.forEach(RegistryProcess::close);
    }

    private static RegistryProcess registry() {
        RegistryProcess r = RegistryProcess.anonymous();
        STARTED.add(r);
        return r;
    }

    private static void deleteBlob(RegistryProcess r, String repo, String digest) {
        try {
            HttpResponse<Void> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(r.baseUrl() + "/v2/" + repo + "/blobs/" + digest)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(202, resp.statusCode(), "deleting a blob to break an image");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Response submit(Map<String, Object> body, Map<String, String> headers) {
        Map<String, Object> b = new HashMap<>(body);
        b.putIfAbsent("srcTlsVerify", false);
        b.putIfAbsent("destTlsVerify", false);
        return given().contentType("application/json").headers(headers).body(b).post("/api/v1/sync");
    }

    static JsonNode ended(Map<String, Object> body, String state) throws Exception {
        Response r = submit(body, Map.of("Prefer", "wait=120"));
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = JSON.readTree(r.asByteArray());
        assertEquals(state, job.get("state").asText(), r.asString());
        assertEquals("sync", job.get("type").asText());
        return job;
    }

    /** Tag → manifest digest of every tag of {@code repo}, as skopeo list-tags and inspect --raw see them. */
    private static Map<String, String> digests(String repo) {
        Map<String, String> out = new TreeMap<>();
        Skopeo.listTags("docker://" + repo).get("Tags").forEach(t ->
                out.put(t.asText(), TestImages.sha256(Skopeo.inspectRaw("docker://" + repo + ":" + t.asText()))));
        return out;
    }

    private static List<String> catalog(RegistryProcess r) {
        List<String> repos = new ArrayList<>();
        new RegistryPusher(r.baseUrl()).get("/v2/_catalog", Map.of()).body();
        try {
            JSON.readTree(new RegistryPusher(r.baseUrl()).get("/v2/_catalog", Map.of()).body()).get("repositories")
                    .forEach(n -> repos.add(n.asText()));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return repos;
    }

    private static List<String> states(JsonNode job, String state) {
        List<String> out = new ArrayList<>();
        job.at("/result/images").forEach(i -> {
            if (state.equals(i.get("state").asText())) {
                out.add(i.get("destination").asText());
            }
        });
        return out;
    }

    @Test
    void shouldSyncARepositoryAsSkopeoSyncDoesThenSkipEverythingOnARerun() throws Exception {
        RegistryProcess ferryDest = registry();
        RegistryProcess skopeoDest = registry();
        long t0 = System.nanoTime();
        JsonNode job = ended(Map.of("source", "docker://" + src + "/lab/app", "destination", "docker://" + ferryDest.hostPort() + "/mirror"),
                "succeeded");
        long ferryMs = (System.nanoTime() - t0) / 1_000_000;
        t0 = System.nanoTime();
        Skopeo.Result sk = Skopeo.run("--insecure-policy", "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false",
                "--dest-tls-verify=false", src + "/lab/app", skopeoDest.hostPort() + "/mirror");
        long skopeoMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(sk.ok(), sk.stderr());

        assertEquals(List.of("mirror/app"), catalog(skopeoDest));
        assertEquals(List.of("mirror/app"), catalog(ferryDest));
        Map<String, String> bySkopeo = digests(skopeoDest.hostPort() + "/mirror/app");
        assertEquals(34, bySkopeo.size(), bySkopeo.toString());
        assertEquals(bySkopeo, digests(ferryDest.hostPort() + "/mirror/app"));
        assertEquals(34, job.at("/result/copied").asInt());
        assertEquals(0, job.at("/result/failed").asInt());
        assertEquals(small.digest(), bySkopeo.get("2.7.0"));

        t0 = System.nanoTime();
        JsonNode again = ended(Map.of("source", "docker://" + src + "/lab/app", "destination", ferryDest.hostPort() + "/mirror"), "succeeded");
        long ferryRerunMs = (System.nanoTime() - t0) / 1_000_000;
        t0 = System.nanoTime();
        sk = Skopeo.run("--insecure-policy", "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false",
                "--dest-tls-verify=false", src + "/lab/app", skopeoDest.hostPort() + "/mirror");
        long skopeoRerunMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(sk.ok(), sk.stderr());
        assertEquals(34, again.at("/result/skipped").asInt(), again.toString());
        assertEquals(0, again.at("/result/copied").asInt());
        assertEquals(0, again.at("/progress/blobsTotal").asInt(), "no copy started: manifests compared with HEAD only");
        assertEquals(0, again.at("/progress/bytesDone").asLong());
        System.out.printf("sync of 34 tags: ferry %d ms, skopeo %d ms; re-run: ferry %d ms, skopeo %d ms%n",
                ferryMs, skopeoMs, ferryRerunMs, skopeoRerunMs);

        SseClient.Stream stream = SseClient.read(base + "api/v1/jobs/" + job.get("id").asText() + "/events", null, Duration.ofSeconds(20));
        List<SseClient.Event> images = stream.events().stream().filter(e -> e.event().equals("image")).toList();
        assertEquals(68, images.size(), "started and ended, per image");
        assertTrue(images.stream().anyMatch(e -> e.data().contains("\"copied\"") && e.data().contains("/mirror/app:2.7.0")));
    }

    @Test
    void shouldRefuseScopedNamesWithASourcePortAsSkopeoDoes() {
        RegistryProcess dest = registry();
        Skopeo.Result sk = Skopeo.run("--insecure-policy", "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false",
                "--dest-tls-verify=false", "--scoped", src + "/lab/app:latest", dest.hostPort() + "/mirror");
        assertFalse(sk.ok());
        assertTrue(sk.stderr().contains("invalid reference format"), sk.stderr());
        Response r = submit(Map.of("source", src + "/lab/app:latest", "destination", dest.hostPort() + "/mirror", "scoped", true), Map.of());
        assertEquals(400, r.statusCode(), r.asString());
        assertEquals("urn:ferry:problem:invalid-reference", r.jsonPath().getString("type"));
        assertEquals("scoped", r.jsonPath().getString("errors[0].field"));
        assertTrue(catalog(dest).isEmpty());
    }

    /**
     * A scoped name is only valid for a source host without a port, so this starts a registry on port 80 of its own
     * loopback address (needs root; skipped otherwise) and compares Ferry's names with skopeo sync --scoped.
     */
    @Test
    void shouldNameScopedImagesAsSkopeoSyncScopedDoes() throws Exception {
        String host = "127.0.0.80";
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("ferry-sync-port80-");
        java.nio.file.Files.writeString(dir.resolve("config.yml"), "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
                + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("storage") + "\nhttp:\n  addr: " + host + ":80\n");
        Process registry = new ProcessBuilder(RegistryProcess.REGISTRY_BINARY, "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            boolean up = false;
            for (int i = 0; i < 100 && !up && registry.isAlive(); i++) {
                Thread.sleep(50);
                try {
                    up = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (java.io.IOException notYet) {
                    // starting
                }
            }
            org.junit.jupiter.api.Assumptions.assumeTrue(up, "cannot serve a registry on " + host + ":80 (not root?)");
            new RegistryPusher("http://" + host).push("lab/team/app", "v1", small);
            RegistryProcess ferryDest = registry();
            RegistryProcess skopeoDest = registry();
            JsonNode job = ended(Map.of("source", host + "/lab/team/app", "destination", ferryDest.hostPort() + "/mirror", "scoped", true),
                    "succeeded");
            Skopeo.Result sk = Skopeo.run("--insecure-policy", "sync", "--src", "docker", "--dest", "docker", "--src-tls-verify=false",
                    "--dest-tls-verify=false", "--scoped", host + "/lab/team/app", skopeoDest.hostPort() + "/mirror");
            assertTrue(sk.ok(), sk.stderr());
            assertEquals(List.of("mirror/" + host + "/lab/team/app"), catalog(skopeoDest));
            assertEquals(catalog(skopeoDest), catalog(ferryDest));
            assertEquals(digests(skopeoDest.hostPort() + "/mirror/" + host + "/lab/team/app"),
                    digests(ferryDest.hostPort() + "/mirror/" + host + "/lab/team/app"));
            assertEquals(List.of("docker://" + ferryDest.hostPort() + "/mirror/" + host + "/lab/team/app:v1"), states(job, "copied"));
        } finally {
            registry.destroy();
            registry.waitFor();
            RegistryProcessCleanup.delete(dir);
        }
    }

    /** Removes a temp directory tree, quietly. */
    private static final class RegistryProcessCleanup {
        static void delete(java.nio.file.Path dir) {
            try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.walk(dir)) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (java.io.IOException ignored) {
                // best effort
            }
        }
    }

    @Test
    void shouldSyncOneImageUnderTheLastPathElementWithASuffix() throws Exception {
        RegistryProcess dest = registry();
        JsonNode job = ended(Map.of("source", src + "/lab/app:1.5.1", "destination", dest.hostPort() + "/ns/deeper",
                "appendSuffix", "-mirror"), "succeeded");
        assertEquals(List.of("docker://" + dest.hostPort() + "/ns/deeper/app:1.5.1-mirror"), states(job, "copied"));
        assertEquals(other.digest(), TestImages.sha256(Skopeo.inspectRaw("docker://" + dest.hostPort() + "/ns/deeper/app:1.5.1-mirror")));
    }

    @Test
    void shouldSelectTagsByRegexAndBySemver() throws Exception {
        RegistryProcess dest = registry();
        String to = dest.hostPort() + "/r";
        JsonNode byRegex = ended(Map.of("source", src + "/lab/app", "destination", to, "tagRegex", "^1\\.[0-4]\\."), "succeeded");
        assertEquals(List.of("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"), sorted(tags(states(byRegex, "copied"))));
        JsonNode bySemver = ended(Map.of("source", src + "/lab/app", "destination", to, "semver", ">= 1.2.0, < 2"), "succeeded");
        assertEquals(List.of("1.5.0", "1.5.1", "1.6.0", "1.7.0", "1.8.0", "1.9.0"), sorted(tags(states(bySemver, "copied"))), bySemver.toString());
        assertEquals(List.of("1.2.0", "1.3.0", "1.4.0"), sorted(tags(states(bySemver, "skipped"))));
        JsonNode or = ended(Map.of("source", src + "/lab/app", "destination", to, "semver", "~3.1 || v2.9.0", "dryRun", true), "succeeded");
        assertEquals(List.of("2.9.0", "3.1.0"), sorted(tags(states(or, "planned"))));
    }

    private static List<String> sorted(List<String> l) {
        return l.stream().sorted().toList();
    }

    private static List<String> tags(List<String> destinations) {
        return destinations.stream().map(d -> d.substring(d.lastIndexOf(':') + 1)).toList();
    }

    @Test
    void shouldPlanADryRunWithTheBytesThatWouldMoveAndWriteNothing() throws Exception {
        RegistryProcess dest = registry();
        new RegistryPusher(dest.baseUrl()).pushBlob("dry/app", small.config());
        JsonNode job = ended(Map.of("source", src + "/lab/app", "destination", dest.hostPort() + "/dry", "tagRegex", "^(latest|1\\.5\\.1)$",
                "dryRun", true), "succeeded");
        assertEquals(2, job.at("/result/images").size(), job.toString());
        for (JsonNode i : job.at("/result/images")) {
            assertEquals("planned", i.get("state").asText());
            assertEquals("copy", i.get("action").asText());
            boolean isSmall = i.get("source").asText().endsWith(":latest");
            TestImages.Image image = isSmall ? small : other;
            long expected = image.blobs().stream().mapToLong(TestImages.Blob::size).sum() - (isSmall ? small.config().size() : 0);
            assertEquals(expected, i.get("bytes").asLong(), i.toString());
            assertEquals(image.digest(), i.get("digest").asText());
        }
        assertEquals(List.of("dry/app"), catalog(dest));

        JsonNode whole = ended(Map.of("source", src + "/lab/app", "destination", dest.hostPort() + "/dry", "dryRun", true), "succeeded");
        assertEquals(34, whole.at("/result/images").size());
        long planned = 0;
        for (JsonNode i : whole.at("/result/images")) {
            planned += i.get("bytes").asLong();
        }
        TestImages.Image amd64 = multi.children().stream().filter(c -> "amd64".equals(c.architecture())).findFirst().orElseThrow();
        long distinct = java.util.stream.Stream.of(small, other, amd64).flatMap(i -> i.blobs().stream())
                .collect(Collectors.toMap(TestImages.Blob::digest, TestImages.Blob::size, (a, b) -> a)).values().stream()
                .mapToLong(Long::longValue).sum() - small.config().size();
        assertEquals(distinct, planned, "a blob shared by 32 tags counts once; the config already there not at all");
        assertEquals(404, new RegistryPusher(dest.baseUrl()).get("/v2/dry/app/manifests/latest", Map.of()).statusCode(), "nothing written");

        ended(Map.of("source", src + "/lab/app:latest", "destination", dest.hostPort() + "/dry"), "succeeded");
        JsonNode after = ended(Map.of("source", src + "/lab/app:latest", "destination", dest.hostPort() + "/dry", "dryRun", true), "succeeded");
        assertEquals("skip", after.at("/result/images/0/action").asText());
        assertEquals(0, after.at("/result/images/0/bytes").asLong());
    }

    @Test
    void shouldTakeSkopeosYamlAsItIsAndPlanWhatTheSameJsonPlans() throws Exception {
        RegistryProcess dest = registry();
        String yaml = src + ":\n"
                + "  tls-verify: false\n"
                + "  credentials:\n"
                + "    username: robot\n"
                + "    password: yaml-secret-pw\n"
                + "  images:\n"
                + "    lab/app:\n"
                + "      - latest\n"
                + "      - 1.5.1\n"
                + "  images-by-tag-regex:\n"
                + "    lab/app: ^3\\.[0-2]\\.\n"
                + "  images-by-semver:\n"
                + "    lab/app: \">= 2.8.0, < 3\"\n";
        Response r = given().contentType("application/yaml").header("Prefer", "wait=60").body(yaml.getBytes(StandardCharsets.UTF_8))
                .queryParam("destination", "docker://" + dest.hostPort() + "/y").queryParam("destTlsVerify", false)
                .queryParam("dryRun", true).post("/api/v1/sync");
        assertEquals(200, r.statusCode(), r.asString());
        assertFalse(r.asString().contains("yaml-secret-pw"), "credentials are never echoed");
        JsonNode job = JSON.readTree(r.asByteArray());
        assertEquals("succeeded", job.get("state").asText(), r.asString());
        assertTrue(job.at("/request/redacted").toString().contains("credentials"), job.get("request").toString());
        assertTrue(job.at("/request/yaml").toString().contains("images-by-semver"));
        List<String> fromYaml = sorted(tags(states(job, "planned")));
        assertEquals(List.of("1.5.1", "2.8.0", "2.9.0", "3.0.0", "3.1.0", "3.2.0", "latest"), fromYaml);

        JsonNode json = ended(Map.of("source", src + "/lab/app", "destination", dest.hostPort() + "/y", "tagRegex", "^3\\.[0-2]\\.",
                "dryRun", true), "succeeded");
        Map<String, JsonNode> yamlImages = new TreeMap<>();
        job.at("/result/images").forEach(i -> yamlImages.put(i.get("destination").asText(), i));
        assertEquals(3, json.at("/result/images").size());
        // bytes excepted: a blob that several planned images share is counted for whichever asks first
        json.at("/result/images").forEach(i -> assertEquals(((com.fasterxml.jackson.databind.node.ObjectNode) i.deepCopy()).without("bytes"),
                ((com.fasterxml.jackson.databind.node.ObjectNode) yamlImages.get(i.get("destination").asText()).deepCopy()).without("bytes"),
                "same plan as JSON"));
        long yamlBytes = 0;
        for (JsonNode i : job.at("/result/images")) {
            yamlBytes += i.get("bytes").asLong();
        }
        assertEquals(java.util.stream.Stream.of(small, other).flatMap(i -> i.blobs().stream()).mapToLong(TestImages.Blob::size).sum(), yamlBytes);
    }

    @Test
    void shouldGoOnPastABrokenImageWithKeepGoingAndStillFail() throws Exception {
        RegistryProcess dest = registry();
        JsonNode going = ended(Map.of("source", src + "/lab/keep", "destination", dest.hostPort() + "/k", "keepGoing", true,
                "parallelImages", 1), "failed");
        assertEquals(3, going.at("/result/images").size(), going.toString());
        assertEquals(2, going.at("/result/copied").asInt());
        assertEquals(1, going.at("/result/failed").asInt());
        assertEquals(List.of("b"), tags(states(going, "failed")));
        assertTrue(going.at("/error/detail").asText().startsWith("1 of 3 images failed"), going.get("error").toString());
        assertEquals("urn:ferry:problem:blob-not-found", going.at("/error/type").asText(), going.get("error").toString());

        RegistryProcess dest2 = registry();
        JsonNode stopped = ended(Map.of("source", src + "/lab/keep", "destination", dest2.hostPort() + "/k", "parallelImages", 1), "failed");
        assertEquals(1, stopped.at("/result/failed").asInt(), stopped.toString());
        java.util.regex.Matcher notStarted = java.util.regex.Pattern.compile("\\((\\d+) not started").matcher(stopped.at("/error/detail").asText());
        int waiting = notStarted.find() ? Integer.parseInt(notStarted.group(1)) : 0;
        assertEquals(3, stopped.at("/result/images").size() + waiting, "every image is listed or counted as not started: " + stopped);
    }

    @jakarta.inject.Inject
    SyncJobs syncJobs;

    @Test
    void shouldReplanFromTheStoredRequestAfterARestartUnlessItNeededCredentials() throws Exception {
        RegistryProcess dest = registry();
        JsonNode plain = ended(Map.of("source", src + "/lab/app:latest", "destination", dest.hostPort() + "/re", "dryRun", true), "succeeded");
        assertTrue(syncJobs.resume(plain.get("request")) != null);
        String yaml = src + ":\n  tls-verify: false\n  images:\n    lab/app: [latest]\n";
        JsonNode fromYaml = JSON.readTree(given().contentType("application/yaml").header("Prefer", "wait=60")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).queryParam("destination", dest.hostPort() + "/re")
                .queryParam("destTlsVerify", false).queryParam("dryRun", true).post("/api/v1/sync").asByteArray());
        assertEquals("succeeded", fromYaml.get("state").asText(), fromYaml.toString());
        assertTrue(syncJobs.resume(fromYaml.get("request")) != null, "a YAML sync is planned again from its stored YAML");
        JsonNode withCreds = ended(Map.of("source", src + "/lab/app:latest", "destination", dest.hostPort() + "/re", "dryRun", true,
                "destCreds", "robot:pw-never-stored"), "succeeded");
        assertFalse(withCreds.toString().contains("pw-never-stored"));
        dev.ferry.error.FerryException e = org.junit.jupiter.api.Assertions.assertThrows(dev.ferry.error.FerryException.class,
                () -> syncJobs.resume(withCreds.get("request")));
        assertEquals(dev.ferry.error.ProblemType.JOB_NOT_RESUMABLE, e.type());
    }

    @Test
    void shouldRefuseBadRequestsBeforeAcceptingAJob() {
        Map<String, Object> ok = Map.of("source", src + "/lab/app", "destination", "127.0.0.1:1/m");
        assertField(with(ok, "tagRegex", "(unclosed"), "tagRegex");
        assertField(with(ok, "semver", ">= banana"), "semver");
        assertField(with(ok, "parallelImages", 17), "parallelImages");
        assertField(Map.of("source", src + "/lab/app:1", "destination", "127.0.0.1:1/m", "semver", ">= 1"), "semver");
        Response unknown = submit(with(ok, "tagsRegex", "x"), Map.of());
        assertEquals(400, unknown.statusCode());
        assertEquals("urn:ferry:problem:invalid-request", unknown.jsonPath().getString("type"));
        Response badRef = submit(Map.of("source", "docker://Bad/Repo", "destination", "127.0.0.1:1/m"), Map.of());
        assertEquals(400, badRef.statusCode());
        assertEquals("urn:ferry:problem:invalid-reference", badRef.jsonPath().getString("type"));
        Response badYaml = given().contentType("application/yaml").queryParam("destination", "127.0.0.1:1/m")
                .body((src + ":\n  images-by-tag-regex:\n    lab/app: \"(\"\n").getBytes(StandardCharsets.UTF_8)).post("/api/v1/sync");
        assertEquals(400, badYaml.statusCode(), badYaml.asString());
        assertTrue(badYaml.jsonPath().getString("errors[0].field").contains("images-by-tag-regex"));
        Response unknownKey = given().contentType("application/yaml").queryParam("destination", "127.0.0.1:1/m")
                .body((src + ":\n  imagez:\n    lab/app: []\n").getBytes(StandardCharsets.UTF_8)).post("/api/v1/sync");
        assertEquals(400, unknownKey.statusCode(), unknownKey.asString());
    }

    private static Map<String, Object> with(Map<String, Object> base, String k, Object v) {
        Map<String, Object> m = new HashMap<>(base);
        m.put(k, v);
        return m;
    }

    private static void assertField(Map<String, Object> body, String field) {
        Response r = submit(body, Map.of());
        assertEquals(400, r.statusCode(), r.asString());
        assertEquals(field, r.jsonPath().getString("errors[0].field"), r.asString());
    }
}
