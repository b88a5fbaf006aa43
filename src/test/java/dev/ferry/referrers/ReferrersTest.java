package dev.ferry.referrers;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.SseClient;
import dev.ferry.testing.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Attached artifacts travel with a copy between real distribution 2.8 registries (no referrers API): cosign's
 * {@code .sig/.att/.sbom} tags and an OCI 1.1 referrer listed in the {@code sha256-<hex>} fallback index, checked at
 * the destination with skopeo (byte-exact); {@code referrers: false}, {@code referrerArtifactTypes}, every platform of
 * an index, and the merge with a fallback index already at the destination.
 */
@QuarkusTest
class ReferrersTest {
    private static final TestImages IMAGES = new TestImages(1212);
    private static String src;
    private static RegistryProcess dest;
    private static RegistryPusher srcPusher;
    private static TestImages.Image image;
    private static Attached.Artifact signature;
    private static Attached.Artifact attestation;
    private static Attached.Artifact sbom;
    private static Attached.Artifact referrer;

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void pushFixtures() {
        SharedRegistries r = SharedRegistries.get();
        src = r.anonymous().hostPort();
        dest = RegistryProcess.anonymous();
        srcPusher = new RegistryPusher(r.anonymous().baseUrl());
        image = IMAGES.ociImage(2, 4096, "linux", "amd64", null);
        srcPusher.push("refs/app", "v1", image);
        signature = Attached.cosignSignature(src + "/refs/app", image.digest(), "a");
        attestation = Attached.cosignAttestation(image.digest());
        sbom = Attached.cosignSbom(image.digest());
        Attached.push(srcPusher, "refs/app", Attached.tag(image.digest(), ".sig"), signature);
        Attached.push(srcPusher, "refs/app", Attached.tag(image.digest(), ".att"), attestation);
        Attached.push(srcPusher, "refs/app", Attached.tag(image.digest(), ".sbom"), sbom);
        referrer = Attached.referrer(image, Attached.EXAMPLE_SBOM, "{\"sbom\":\"for app v1\"}");
        Attached.push(srcPusher, "refs/app", referrer.digest(), referrer);
        srcPusher.pushManifest("refs/app", Attached.tag(image.digest(), ""), TestImages.OCI_INDEX,
                Attached.fallbackIndex(List.of(referrer), Attached.EXAMPLE_SBOM));
    }

    @AfterAll
    static void stopDestination() {
        dest.close();
    }

    static Response submit(String path, Map<String, Object> body) {
        Map<String, Object> b = new HashMap<>(body);
        b.putIfAbsent("srcTlsVerify", false);
        b.putIfAbsent("destTlsVerify", false);
        return given().contentType("application/json").header("Prefer", "wait=60").body(b).post(path);
    }

    JsonNode copied(Map<String, Object> body) throws Exception {
        Response r = submit("/api/v1/copy", body);
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = Attached.JSON.readTree(r.asByteArray());
        assertEquals("succeeded", job.get("state").asText(), r.asString());
        return job;
    }

    List<JsonNode> referrerEvents(JsonNode job) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (SseClient.Event e : SseClient.read(base + "api/v1/jobs/" + job.get("id").asText() + "/events", null,
                Duration.ofSeconds(20)).events()) {
            if (e.event().equals("referrer")) {
                out.add(Attached.JSON.readTree(e.data()));
            }
        }
        return out;
    }

    private static byte[] raw(String ref) {
        return Skopeo.inspectRaw("docker://" + ref);
    }

    private static boolean exists(String ref) {
        return Skopeo.run("inspect", "--raw", "--tls-verify=false", "docker://" + ref).ok();
    }

    @Test
    void shouldCarryTheSignatureAttestationSbomAndReferrerThroughFallbackTags() throws Exception {
        String to = dest.hostPort() + "/prod/app";
        JsonNode job = copied(Map.of("source", src + "/refs/app:v1", "destination", to + ":v1"));

        assertArrayEquals(image.manifest(), raw(to + ":v1"));
        assertArrayEquals(signature.manifest(), raw(to + ":" + Attached.tag(image.digest(), ".sig")), "the .sig tag, byte-exact");
        assertArrayEquals(attestation.manifest(), raw(to + ":" + Attached.tag(image.digest(), ".att")));
        assertArrayEquals(sbom.manifest(), raw(to + ":" + Attached.tag(image.digest(), ".sbom")));
        assertArrayEquals(referrer.manifest(), raw(to + "@" + referrer.digest()), "the referrer by its digest");
        JsonNode index = Attached.JSON.readTree(raw(to + ":" + Attached.tag(image.digest(), "")));
        assertEquals(1, index.get("manifests").size());
        assertEquals(referrer.digest(), index.get("manifests").get(0).get("digest").asText());
        assertEquals(Attached.EXAMPLE_SBOM, index.get("manifests").get(0).get("artifactType").asText());
        // the copied blobs are the source's (skopeo reads the signature's layer through the destination)
        assertEquals(signature.blobs().get(1).digest(),
                Attached.JSON.readTree(raw(to + ":" + Attached.tag(image.digest(), ".sig"))).get("layers").get(0).get("digest").asText());

        List<JsonNode> events = referrerEvents(job);
        assertEquals(4, events.size(), events.toString());
        Map<String, String> detailByDigest = new HashMap<>();
        for (JsonNode e : events) {
            assertEquals("copied", e.get("status").asText(), e.toString());
            assertEquals("tag", e.get("via").asText());
            assertEquals(image.digest(), e.get("subject").asText());
            detailByDigest.put(e.get("digest").asText(), e.get("detail").asText());
        }
        assertEquals("index-tag", detailByDigest.get(referrer.digest()));
        assertEquals("tag", detailByDigest.get(signature.digest()));
        assertTrue(events.stream().anyMatch(e -> e.path("artifactType").asText().equals(Attached.SIMPLESIGNING)
                && e.path("tag").asText().endsWith(".sig")));

        // again: everything is there already, and the fallback index is not rewritten
        List<JsonNode> again = referrerEvents(copied(Map.of("source", src + "/refs/app:v1", "destination", to + ":v1")));
        assertEquals(4, again.size());
        again.forEach(e -> assertEquals("exists", e.get("status").asText(), e.toString()));
    }

    @Test
    void shouldMergeWithTheFallbackIndexAlreadyAtTheDestination() throws Exception {
        String to = dest.hostPort() + "/prod/merged";
        RegistryPusher destPusher = new RegistryPusher(dest.baseUrl());
        destPusher.push("prod/merged", "v1", image);
        Attached.Artifact local = Attached.referrer(image, "application/vnd.example.scan.v1+json", "{\"scan\":\"clean\"}");
        Attached.push(destPusher, "prod/merged", local.digest(), local);
        destPusher.pushManifest("prod/merged", Attached.tag(image.digest(), ""), TestImages.OCI_INDEX,
                Attached.fallbackIndex(List.of(local), "application/vnd.example.scan.v1+json"));

        copied(Map.of("source", src + "/refs/app:v1", "destination", to + ":v1"));

        JsonNode index = Attached.JSON.readTree(raw(to + ":" + Attached.tag(image.digest(), "")));
        assertEquals(2, index.get("manifests").size(), index.toString());
        assertEquals(local.digest(), index.get("manifests").get(0).get("digest").asText(), "what was there is kept, first");
        assertEquals(referrer.digest(), index.get("manifests").get(1).get("digest").asText());
    }

    @Test
    void shouldCopyNoAttachedArtifactWithReferrersFalse() throws Exception {
        String to = dest.hostPort() + "/prod/bare";
        JsonNode job = copied(Map.of("source", src + "/refs/app:v1", "destination", to + ":v1", "referrers", false));
        assertArrayEquals(image.manifest(), raw(to + ":v1"));
        assertFalse(exists(to + ":" + Attached.tag(image.digest(), ".sig")));
        assertFalse(exists(to + ":" + Attached.tag(image.digest(), "")));
        assertTrue(referrerEvents(job).isEmpty());
    }

    @Test
    void shouldCopyOnlyTheArtifactTypesAsked() throws Exception {
        String to = dest.hostPort() + "/prod/signed-only";
        JsonNode job = copied(Map.of("source", src + "/refs/app:v1", "destination", to + ":v1",
                "referrerArtifactTypes", List.of(Attached.SIMPLESIGNING, Attached.EXAMPLE_SBOM)));
        assertArrayEquals(signature.manifest(), raw(to + ":" + Attached.tag(image.digest(), ".sig")));
        assertArrayEquals(referrer.manifest(), raw(to + "@" + referrer.digest()));
        assertFalse(exists(to + ":" + Attached.tag(image.digest(), ".att")));
        assertFalse(exists(to + ":" + Attached.tag(image.digest(), ".sbom")));
        Set<String> types = new TreeSet<>();
        referrerEvents(job).forEach(e -> types.add(e.get("artifactType").asText()));
        assertEquals(new TreeSet<>(List.of(Attached.SIMPLESIGNING, Attached.EXAMPLE_SBOM)), types);
    }

    @Test
    void shouldCarryTheAttachedArtifactsOfEveryPlatform() throws Exception {
        TestImages.Image multi = IMAGES.multiPlatformOci();
        srcPusher.push("refs/multi", "v1", multi);
        TestImages.Image arm = multi.children().get(1);
        Attached.Artifact indexSig = Attached.cosignSignature(src + "/refs/multi", multi.digest(), "index");
        Attached.Artifact armSig = Attached.cosignSignature(src + "/refs/multi", arm.digest(), "arm");
        Attached.Artifact armRef = Attached.referrer(arm, Attached.EXAMPLE_SBOM, "{\"sbom\":\"arm\"}");
        Attached.push(srcPusher, "refs/multi", Attached.tag(multi.digest(), ".sig"), indexSig);
        Attached.push(srcPusher, "refs/multi", Attached.tag(arm.digest(), ".sig"), armSig);
        Attached.push(srcPusher, "refs/multi", armRef.digest(), armRef);
        srcPusher.pushManifest("refs/multi", Attached.tag(arm.digest(), ""), TestImages.OCI_INDEX,
                Attached.fallbackIndex(List.of(armRef), Attached.EXAMPLE_SBOM));

        String to = dest.hostPort() + "/prod/multi";
        JsonNode job = copied(Map.of("source", src + "/refs/multi:v1", "destination", to + ":v1", "all", true));
        assertArrayEquals(indexSig.manifest(), raw(to + ":" + Attached.tag(multi.digest(), ".sig")));
        assertArrayEquals(armSig.manifest(), raw(to + ":" + Attached.tag(arm.digest(), ".sig")), "the arm64 image's own signature");
        assertArrayEquals(armRef.manifest(), raw(to + "@" + armRef.digest()));
        assertEquals(armRef.digest(), Attached.JSON.readTree(raw(to + ":" + Attached.tag(arm.digest(), "")))
                .get("manifests").get(0).get("digest").asText());
        assertEquals(3, referrerEvents(job).size());

        // one platform: only what is attached to that platform's image
        String one = dest.hostPort() + "/prod/multi-arm";
        JsonNode single = copied(Map.of("source", src + "/refs/multi:v1", "destination", one + ":v1",
                "overrideArch", "arm64", "overrideVariant", "v8"));
        assertArrayEquals(armSig.manifest(), raw(one + ":" + Attached.tag(arm.digest(), ".sig")));
        assertFalse(exists(one + ":" + Attached.tag(multi.digest(), ".sig")));
        assertEquals(2, referrerEvents(single).size());
    }

    @Test
    void shouldCarryAttachedArtifactsInASyncAndNotCopyTheirTagsAsImages() throws Exception {
        Response r = submit("/api/v1/sync", Map.of("source", "docker://" + src + "/refs/app",
                "destination", "docker://" + dest.hostPort() + "/synced"));
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = Attached.JSON.readTree(r.asByteArray());
        assertEquals("succeeded", job.get("state").asText(), r.asString());
        String to = dest.hostPort() + "/synced/app";
        assertArrayEquals(image.manifest(), raw(to + ":v1"));
        assertArrayEquals(signature.manifest(), raw(to + ":" + Attached.tag(image.digest(), ".sig")));
        assertArrayEquals(referrer.manifest(), raw(to + "@" + referrer.digest()));
        assertEquals(4, referrerEvents(job).size());
        assertEquals(1, job.at("/result/images").size(), "the attachment tags are not images of their own: " + job.get("result"));

        // skopeo's YAML form, with referrers switched off by a query parameter
        String yaml = src + ":\n  tls-verify: false\n  images:\n    refs/app:\n      - v1\n";
        Response y = given().contentType("application/yaml").header("Prefer", "wait=60").body(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .queryParam("destination", "docker://" + dest.hostPort() + "/yaml").queryParam("destTlsVerify", false)
                .queryParam("referrers", false).post("/api/v1/sync");
        assertEquals(200, y.statusCode(), y.asString());
        assertEquals("succeeded", Attached.JSON.readTree(y.asByteArray()).get("state").asText(), y.asString());
        assertArrayEquals(image.manifest(), raw(dest.hostPort() + "/yaml/app:v1"));
        assertFalse(exists(dest.hostPort() + "/yaml/app:" + Attached.tag(image.digest(), ".sig")));
    }

    @Test
    void shouldListWhatIsAttachedWhenInspectIsAskedTo() throws Exception {
        Response r = given().contentType("application/json")
                .body(Map.of("image", src + "/refs/app:v1", "tlsVerify", false, "referrers", true)).post("/api/v1/inspect");
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode listed = Attached.JSON.readTree(r.asByteArray()).get("Referrers");
        assertEquals(4, listed.size(), listed.toString());
        Map<String, JsonNode> byDigest = new HashMap<>();
        listed.forEach(n -> byDigest.put(n.get("Digest").asText(), n));
        assertEquals(Attached.EXAMPLE_SBOM, byDigest.get(referrer.digest()).get("ArtifactType").asText());
        assertEquals("tag", byDigest.get(referrer.digest()).get("Via").asText());
        assertEquals(Attached.tag(image.digest(), ".att"), byDigest.get(attestation.digest()).get("Tag").asText());
        assertEquals(Attached.DSSE, byDigest.get(attestation.digest()).get("ArtifactType").asText());

        JsonNode filtered = Attached.JSON.readTree(given().contentType("application/json").body(Map.of("image", src + "/refs/app:v1",
                "tlsVerify", false, "referrers", true, "referrerArtifactTypes", List.of(Attached.SPDX))).post("/api/v1/inspect").asByteArray());
        assertEquals(1, filtered.get("Referrers").size());
        assertEquals(sbom.digest(), filtered.get("Referrers").get(0).get("Digest").asText());

        JsonNode plain = Attached.JSON.readTree(given().contentType("application/json")
                .body(Map.of("image", src + "/refs/app:v1", "tlsVerify", false)).post("/api/v1/inspect").asByteArray());
        assertFalse(plain.has("Referrers"), "only when asked");
        given().contentType("application/json").body(Map.of("image", src + "/refs/app:v1", "tlsVerify", false, "referrers", true,
                "raw", true)).post("/api/v1/inspect").then().statusCode(400).body("errors[0].field", equalTo("referrers"));
    }

    /**
     * The figure for the issue's note: what carrying attached artifacts adds to the promotion of a small image (one
     * 4 KiB config+2 layers image, to a fresh repository of another registry each time). Printed, never asserted
     * against the clock: plain copy (referrers: false), the default with nothing attached (discovery only), and the
     * default carrying four artifacts (three cosign tags and a referrer). Medians of the jobs' own run times.
     */
    @Test
    void shouldReportWhatAttachedArtifactsAddToASmallPromotion() throws Exception {
        TestImages.Image bare = IMAGES.ociImage(2, 4096, "linux", "amd64", null);
        srcPusher.push("refs/bare", "v1", bare);
        int rounds = 12;
        List<Long> plain = new ArrayList<>();
        List<Long> discovery = new ArrayList<>();
        List<Long> carried = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            String n = String.valueOf(i);
            plain.add(runMillis(copied(Map.of("source", src + "/refs/app:v1", "destination", dest.hostPort() + "/perf/plain" + n + ":v1",
                    "referrers", false))));
            discovery.add(runMillis(copied(Map.of("source", src + "/refs/bare:v1", "destination", dest.hostPort() + "/perf/bare" + n + ":v1"))));
            JsonNode job = copied(Map.of("source", src + "/refs/app:v1", "destination", dest.hostPort() + "/perf/carried" + n + ":v1"));
            carried.add(runMillis(job));
            assertEquals(4, referrerEvents(job).stream().filter(e -> e.get("status").asText().equals("copied")).count());
        }
        System.out.printf("REFERRERS-FIGURES rounds=%d median ms: plain=%d discovery-only=%d with-4-artifacts=%d%n", rounds,
                median(plain), median(discovery), median(carried));
    }

    private static long runMillis(JsonNode job) {
        return java.time.Duration.between(java.time.Instant.parse(job.get("startedAt").asText()),
                java.time.Instant.parse(job.get("finishedAt").asText())).toMillis();
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        java.util.Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /**
     * The artifacts' early work (discovery, their blobs) runs beside the image's blobs, but their manifests wait for the
     * image's: an image whose layer turns out one byte short fails, and none of its artifacts' manifests or tags, nor a
     * fallback index, reaches the destination (transfer/AfterImagePush: no manifest before the image's).
     */
    @Test
    void shouldWriteNoArtifactManifestWhenTheImageItselfFails() throws Exception {
        TestImages.Image good = IMAGES.ociImage(1, 8192, "linux", "amd64", null);
        com.fasterxml.jackson.databind.node.ObjectNode m = (com.fasterxml.jackson.databind.node.ObjectNode) Attached.JSON.readTree(good.manifest());
        com.fasterxml.jackson.databind.node.ObjectNode layer = (com.fasterxml.jackson.databind.node.ObjectNode) m.get("layers").get(0);
        layer.put("size", layer.get("size").asLong() + 1); // the registry does not check sizes; Ferry does, while streaming
        byte[] bytes = Attached.bytes(m);
        TestImages.Image broken = new TestImages.Image(TestImages.OCI_MANIFEST, bytes, TestImages.sha256(bytes), good.blobs(), List.of());
        srcPusher.push("refs/broken", "v1", broken);
        Attached.Artifact sig = Attached.cosignSignature(src + "/refs/broken", broken.digest(), "b");
        Attached.push(srcPusher, "refs/broken", Attached.tag(broken.digest(), ".sig"), sig);
        Attached.Artifact ref = Attached.referrer(broken, Attached.EXAMPLE_SBOM, "{\"sbom\":\"for broken\"}");
        Attached.push(srcPusher, "refs/broken", ref.digest(), ref);
        srcPusher.pushManifest("refs/broken", Attached.tag(broken.digest(), ""), TestImages.OCI_INDEX,
                Attached.fallbackIndex(List.of(ref), Attached.EXAMPLE_SBOM));

        String to = dest.hostPort() + "/broken/app";
        Response r = submit("/api/v1/copy", Map.of("source", src + "/refs/broken:v1", "destination", to + ":v1"));
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode job = Attached.JSON.readTree(r.asByteArray());
        assertEquals("failed", job.get("state").asText(), r.asString());
        assertEquals("urn:ferry:problem:digest-mismatch", job.at("/error/type").asText(), r.asString());
        assertFalse(exists(to + ":v1"));
        assertFalse(exists(to + ":" + Attached.tag(broken.digest(), ".sig")), "no cosign tag before the image");
        assertFalse(exists(to + "@" + ref.digest()), "no referrer before the image");
        assertFalse(exists(to + ":" + Attached.tag(broken.digest(), "")), "no fallback index before the image");
        assertTrue(referrerEvents(job).stream().noneMatch(e -> e.get("status").asText().equals("copied")));

        // what the failed copy left (blobs only) does not disturb the next promotion into that repository
        JsonNode fixed = copied(Map.of("source", src + "/refs/app:v1", "destination", to + ":v2"));
        assertEquals(4, referrerEvents(fixed).stream().filter(e -> e.get("status").asText().equals("copied")).count());
    }

    @Test
    void shouldRefuseMalformedReferrerFields() {
        submit("/api/v1/copy", Map.of("source", src + "/refs/app:v1", "destination", dest.hostPort() + "/x/y:v1",
                "referrerArtifactTypes", List.of("not a media type"))).then().statusCode(400)
                .contentType("application/problem+json").body("errors[0].field", equalTo("referrerArtifactTypes"));
        submit("/api/v1/copy", Map.of("source", src + "/refs/app:v1", "destination", dest.hostPort() + "/x/y:v1",
                "referrers", false, "referrerArtifactTypes", List.of(Attached.SPDX))).then().statusCode(400)
                .body("errors[0].field", equalTo("referrerArtifactTypes"));
        submit("/api/v1/copy", Map.of("source", src + "/refs/app:v1", "destination", dest.hostPort() + "/x/y:v1",
                "referrerArtifactTypes", List.of())).then().statusCode(400);
    }
}
