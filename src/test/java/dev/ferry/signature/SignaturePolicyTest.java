package dev.ferry.signature;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.SseClient;
import dev.ferry.testing.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Verify before promote, and sign on the way, with skopeo 1.9 as the oracle on both sides: skopeo signs at the source
 * (GPG simple signing into a file:// lookaside store), Ferry copies under a containers-policy.json that requires the
 * key, and skopeo, with the same policy and registries.d, accepts (or refuses) what Ferry wrote.
 */
@QuarkusTest
@TestProfile(SignaturePolicyTest.Profile.class)
class SignaturePolicyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TestImages IMAGES = new TestImages(1212);
    private static SignatureFixtures keys;
    private static String src;
    private static RegistryProcess dest;
    private static String policy;
    static final String HOOK_SECRET = "hook-secret-for-signature-tests";

    @TestHTTPResource("/")
    URL base;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            SignatureFixtures f = SignatureFixtures.get();
            String shared = SharedRegistries.get().anonymous().hostPort();
            Map<String, String> c = new HashMap<>(Map.of(
                    "ferry.signatures.policy", f.policy.toString(),
                    "ferry.signatures.registries-d", f.registriesD.toString(),
                    "ferry.signatures.gpg-keyring", f.ferryKeyring.toString(),
                    "ferry.signatures.sigstore-keys.ferry.path", f.cosignKey.toString(),
                    "ferry.signatures.sigstore-keys.ferry.passphrase-file", f.cosignPassphrase.toString()));
            // a webhook that promotes whatever is pushed to sign/* (the policy decides what may go)
            c.put("ferry.hooks.promote.bearer-secret", HOOK_SECRET);
            c.put("ferry.hooks.promote.rules[0].source", shared + "/sign/*");
            c.put("ferry.hooks.promote.rules[0].destination", shared + "/promoted/{name}:{tag}");
            c.put("ferry.hooks.promote.rules[0].src-tls-verify", "false");
            c.put("ferry.hooks.promote.rules[0].dest-tls-verify", "false");
            return c;
        }
    }

    @BeforeAll
    static void signAtTheSource() {
        keys = SignatureFixtures.get();
        src = SharedRegistries.get().anonymous().hostPort();
        dest = RegistryProcess.anonymous();
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        pusher.push("sign/unsigned", "v1", IMAGES.ociImage(2, 2048, "linux", "amd64", null));
        pusher.push("plain/app", "v1", IMAGES.ociImage(2, 2048, "linux", "amd64", null));
        pusher.push("staging/gpg", "v1", IMAGES.ociImage(2, 2048, "linux", "amd64", null));
        pusher.push("staging/other", "v1", IMAGES.ociImage(2, 2048, "linux", "amd64", null));
        // skopeo signs on its way into the source repositories, as a build pipeline would
        skopeoOk("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--sign-by", keys.fprA,
                "docker://" + src + "/staging/gpg:v1", "docker://" + src + "/sign/gpg:v1");
        skopeoOk("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--sign-by", keys.fprB,
                "docker://" + src + "/staging/other:v1", "docker://" + src + "/sign/other:v1");
        String d = dest.hostPort();
        policy = "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
                + "\"" + src + "/sign\":[" + signedBy(keys.pubA, null) + "],"
                + "\"" + src + "/plain\":[{\"type\":\"insecureAcceptAnything\"}],"
                + "\"" + d + "/prom\":[" + signedBy(keys.pubA, "{\"type\":\"remapIdentity\",\"prefix\":\"" + d
                + "/prom\",\"signedPrefix\":\"" + src + "/sign\"}") + "],"
                + "\"" + d + "/fsigned\":[" + signedBy(keys.pubFerry, null) + "],"
                + "\"" + d + "/sigstore\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + keys.cosignPub + "\"}],"
                + "\"" + d + "/othersig\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + keys.otherCosignPub + "\"}],"
                + "\"" + d + "\":[{\"type\":\"insecureAcceptAnything\"}]"
                + "}}}";
        keys.writePolicy(policy);
    }

    @AfterAll
    static void stop() {
        keys.writePolicy(policy);
        dest.close();
    }

    static String signedBy(Path key, String identity) {
        return "{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"" + key + "\""
                + (identity == null ? "" : ",\"signedIdentity\":" + identity) + "}";
    }

    static Skopeo.Result skopeo(String... args) {
        return Skopeo.runWithEnv(keys.env(), args);
    }

    static void skopeoOk(String... args) {
        // --registries.d is a flag of the sub-command in skopeo 1.9
        List<String> all = new java.util.ArrayList<>();
        all.add("--insecure-policy");
        all.add(args[0]);
        all.add("--registries.d");
        all.add(keys.registriesD.toString());
        all.addAll(List.of(args).subList(1, args.length));
        Skopeo.Result r = skopeo(all.toArray(String[]::new));
        assertEquals(0, r.exitCode(), "skopeo " + String.join(" ", all) + ": " + r.stderr());
    }

    /**
     * skopeo copy out of {@code ref} under the test policy: what enforces the policy (--remove-signatures only because
     * an OCI layout cannot hold them; the policy is still checked on the source).
     */
    static Skopeo.Result skopeoReadsUnderPolicy(String ref) throws Exception {
        Path out = Files.createTempDirectory(keys.dir, "out-");
        return skopeo("--policy", keys.policy.toString(), "copy", "--registries.d", keys.registriesD.toString(),
                "--remove-signatures", "--src-tls-verify=false", "docker://" + ref, "oci:" + out + ":x");
    }

    static void assertSkopeoRejects(Skopeo.Result r, String why) {
        assertFalse(r.ok(), why);
        assertTrue(r.stderr().contains("Source image rejected"), why + ": " + r.stderr());
    }

    static JsonNode copy(Map<String, Object> body) throws Exception {
        Map<String, Object> b = new HashMap<>(body);
        b.putIfAbsent("srcTlsVerify", false);
        b.putIfAbsent("destTlsVerify", false);
        Response r = given().contentType("application/json").header("Prefer", "wait=60").body(b).post("/api/v1/copy");
        assertEquals(200, r.statusCode(), r.asString());
        return JSON.readTree(r.asByteArray());
    }

    List<SseClient.Event> events(JsonNode job, String kind) throws Exception {
        SseClient.Stream s = SseClient.read(base + "api/v1/jobs/" + job.get("id").asText() + "/events", null, Duration.ofSeconds(20));
        return s.events().stream().filter(e -> kind.equals(e.event())).toList();
    }

    static boolean destinationHas(String repo) {
        return Skopeo.run("list-tags", "--tls-verify=false", "docker://" + dest.hostPort() + "/" + repo).ok();
    }

    @Test
    void shouldPromoteAnImageSkopeoSignedWithItsSignatureSoSkopeoAcceptsTheCopy() throws Exception {
        String to = dest.hostPort() + "/prom/gpg:v1";
        JsonNode job = copy(Map.of("source", "docker://" + src + "/sign/gpg:v1", "destination", "docker://" + to));
        assertEquals("succeeded", job.get("state").asText(), job.toString());
        List<SseClient.Event> sig = events(job, "signature");
        JsonNode accepted = JSON.readTree(sig.get(0).data());
        assertEquals("accepted", accepted.get("status").asText(), sig.toString());
        assertEquals(keys.fprA, accepted.get("signedBy").asText());
        assertEquals("transports.docker.\"" + src + "/sign\"", accepted.get("scope").asText());
        assertTrue(sig.stream().anyMatch(e -> e.data().contains("\"carried\"")), "the source's signature is carried: " + sig);
        Skopeo.Result r = skopeoReadsUnderPolicy(to);
        assertEquals(0, r.exitCode(), "skopeo accepts the promoted image under the same policy: " + r.stderr());
        // the oracle is not vacuous: the same scope refuses an image without the signature
        new RegistryPusher(dest.baseUrl()).push("prom/raw", "v1", IMAGES.ociImage(1, 512, "linux", "amd64", null));
        assertSkopeoRejects(skopeoReadsUnderPolicy(dest.hostPort() + "/prom/raw:v1"), "skopeo refuses an unsigned image in that scope");
    }

    @Test
    void shouldRefuseAnUnsignedImageBeforeAnythingReachesTheDestination() throws Exception {
        JsonNode job = copy(Map.of("source", "docker://" + src + "/sign/unsigned:v1",
                "destination", "docker://" + dest.hostPort() + "/prom/unsigned:v1"));
        assertEquals("failed", job.get("state").asText(), job.toString());
        assertEquals("urn:ferry:problem:signature-rejected", job.at("/error/type").asText(), job.toString());
        String detail = job.at("/error/detail").asText();
        assertTrue(detail.contains("transports.docker.\"" + src + "/sign\""), "names the scope: " + detail);
        assertTrue(detail.contains(keys.fprA) && detail.contains(keys.pubA.toString()), "names the key: " + detail);
        assertTrue(detail.contains("none exists"), detail);
        JsonNode rejected = JSON.readTree(events(job, "signature").get(0).data());
        assertEquals("rejected", rejected.get("status").asText());
        assertTrue(events(job, "blob").isEmpty(), "no blob moved");
        assertFalse(destinationHas("prom/unsigned"), "the destination stays empty");
    }

    @Test
    void shouldRefuseAnImageSignedByAnotherKey() throws Exception {
        JsonNode job = copy(Map.of("source", "docker://" + src + "/sign/other:v1",
                "destination", "docker://" + dest.hostPort() + "/prom/other:v1"));
        assertEquals("failed", job.get("state").asText(), job.toString());
        assertEquals("urn:ferry:problem:signature-rejected", job.at("/error/type").asText());
        assertTrue(job.at("/error/detail").asText().contains("not trusted"), job.at("/error/detail").asText());
        assertFalse(destinationHas("prom/other"), "the destination stays empty");
        assertSkopeoRejects(skopeoReadsUnderPolicy(src + "/sign/other:v1"), "skopeo refuses it too");
    }

    @Test
    void shouldSignOnCopyWithFerrysGpgKeySoSkopeoAcceptsTheResult() throws Exception {
        String to = dest.hostPort() + "/fsigned/app:v1";
        JsonNode job = copy(Map.of("source", "docker://" + src + "/plain/app:v1", "destination", "docker://" + to,
                "signBy", keys.fprFerry));
        assertEquals("succeeded", job.get("state").asText(), job.toString());
        JsonNode signed = events(job, "signature").stream().map(e -> read(e.data()))
                .filter(n -> n.get("status").asText().equals("signed")).findFirst().orElseThrow();
        assertEquals(keys.fprFerry, signed.get("fingerprint").asText());
        assertEquals(to, signed.get("identity").asText());
        Skopeo.Result r = skopeoReadsUnderPolicy(to);
        assertEquals(0, r.exitCode(), "skopeo accepts Ferry's signature: " + r.stderr());
        new RegistryPusher(dest.baseUrl()).push("fsigned/raw", "v1", IMAGES.ociImage(1, 512, "linux", "amd64", null));
        assertSkopeoRejects(skopeoReadsUnderPolicy(dest.hostPort() + "/fsigned/raw:v1"), "and refuses an unsigned one");
    }

    @Test
    void shouldSignWithASigstoreKeyAndVerifyItOnTheNextPromotion() throws Exception {
        String to = dest.hostPort() + "/sigstore/app:v1";
        JsonNode job = copy(Map.of("source", "docker://" + src + "/plain/app:v1", "destination", "docker://" + to,
                "signBySigstorePrivateKey", "ferry"));
        assertEquals("succeeded", job.get("state").asText(), job.toString());
        String digest = job.at("/result/digest").asText();
        String sigTag = digest.replace(':', '-') + ".sig";
        JsonNode sigManifest = JSON.readTree(Skopeo.inspectRaw(dest.hostPort() + "/sigstore/app:" + sigTag));
        JsonNode layer = sigManifest.at("/layers/0");
        assertEquals(Sigstore.PAYLOAD_MEDIA_TYPE, layer.get("mediaType").asText());
        byte[] payload = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(dest.baseUrl() + "/v2/sigstore/app/blobs/" + layer.get("digest").asText())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body();
        JsonNode claims = JSON.readTree(payload);
        assertEquals("cosign container image signature", claims.at("/critical/type").asText());
        assertEquals(digest, claims.at("/critical/image/docker-manifest-digest").asText());
        assertEquals(to, claims.at("/critical/identity/docker-reference").asText());
        // an independent check of the signature: openssl, with the public key
        Path p = Files.write(keys.dir.resolve("payload.json"), payload);
        Path s = Files.write(keys.dir.resolve("payload.sig"), java.util.Base64.getDecoder()
                .decode(layer.at("/annotations/dev.cosignproject.cosign~1signature").asText()));
        Process openssl = new ProcessBuilder("openssl", "dgst", "-sha256", "-verify", keys.cosignPub.toString(),
                "-signature", s.toString(), p.toString()).redirectErrorStream(true).start();
        String said = new String(openssl.getInputStream().readAllBytes());
        assertEquals(0, openssl.waitFor(), said);
        assertTrue(said.contains("Verified OK"), said);
        // skopeo as the oracle where it can be one: Debian's skopeo 1.9 is built without sigstore
        Skopeo.Result sk = skopeoReadsUnderPolicy(to);
        if (!sk.stderr().contains("sigstore disabled")) {
            assertEquals(0, sk.exitCode(), "skopeo accepts Ferry's sigstore signature: " + sk.stderr());
        } else {
            System.out.println("[signature test] skopeo cannot check sigstore signatures here: " + sk.stderr().trim());
        }

        // a second signature appends a layer to the same .sig manifest
        JsonNode again = copy(Map.of("source", "docker://" + to, "destination", "docker://" + to,
                "signBySigstorePrivateKey", "ferry", "signIdentity", dest.hostPort() + "/sigstore/app:release"));
        assertEquals("succeeded", again.get("state").asText(), again.toString());
        assertEquals(2, JSON.readTree(Skopeo.inspectRaw(dest.hostPort() + "/sigstore/app:" + sigTag)).get("layers").size());

        // promoting it on: the policy's sigstoreSigned key accepts it, another key refuses it
        JsonNode next = copy(Map.of("source", "docker://" + to, "destination", "docker://" + dest.hostPort() + "/next/app:v1"));
        assertEquals("succeeded", next.get("state").asText(), next.toString());
        new RegistryPusher(dest.baseUrl()).push("othersig/app", "v1", IMAGES.ociImage(1, 512, "linux", "amd64", null));
        JsonNode signedOther = copy(Map.of("source", "docker://" + dest.hostPort() + "/othersig/app:v1",
                "destination", "docker://" + dest.hostPort() + "/othersig/app:v1", "signBySigstorePrivateKey", "ferry"));
        assertEquals("failed", signedOther.get("state").asText(), "the policy for othersig wants another key");
        assertEquals("urn:ferry:problem:signature-rejected", signedOther.at("/error/type").asText());
        assertTrue(signedOther.at("/error/detail").asText().contains(keys.otherCosignPub.toString()),
                signedOther.at("/error/detail").asText());
    }

    @Test
    void shouldRefuseBadSigningFieldsBeforeTheJobIsAccepted() {
        Map<String, Object> base = Map.of("source", "docker://" + src + "/plain/app:v1",
                "destination", "docker://" + dest.hostPort() + "/bad/app:v1", "srcTlsVerify", false, "destTlsVerify", false);
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("signBy", "0123456789ABCDEF0123456789ABCDEF01234567"),
                Map.of("signBySigstorePrivateKey", "/etc/passwd"),
                Map.of("signBySigstorePrivateKey", "nosuchkey"),
                Map.of("signIdentity", "x/y:z"),
                Map.of("signBy", keys.fprFerry, "signIdentity", "not a reference"))) {
            Map<String, Object> body = new HashMap<>(base);
            body.putAll(bad);
            Response r = given().contentType("application/json").body(body).post("/api/v1/copy");
            assertEquals(400, r.statusCode(), bad + ": " + r.asString());
            assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
            assertFalse(r.asString().contains("PRIVATE KEY"), r.asString());
        }
        assertFalse(destinationHas("bad/app"));
    }

    @Test
    void shouldFailClosedWhenThePolicyCannotBeRead() throws Exception {
        keys.writePolicy("{\"default\":[]}");
        try {
            JsonNode job = copy(Map.of("source", "docker://" + src + "/plain/app:v1",
                    "destination", "docker://" + dest.hostPort() + "/broken/app:v1"));
            assertEquals("failed", job.get("state").asText());
            assertEquals("urn:ferry:problem:signature-policy-invalid", job.at("/error/type").asText(), job.toString());
            assertFalse(destinationHas("broken/app"));
        } finally {
            keys.writePolicy(policy);
        }
    }

    @Test
    void shouldVerifyEachImageOfASync() throws Exception {
        Response r = given().contentType("application/json").header("Prefer", "wait=60")
                .body(Map.of("source", "docker://" + src + "/sign/unsigned", "destination", "docker://" + dest.hostPort() + "/synced",
                        "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/sync");
        JsonNode job = JSON.readTree(r.asByteArray());
        assertEquals("failed", job.get("state").asText(), job.toString());
        assertTrue(job.toString().contains("signature policy rejected"), job.toString());
        assertFalse(destinationHas("synced/unsigned"));
    }

    @Test
    void shouldVerifyAWebhookPromotionAndRefuseAnUnsignedPush() throws Exception {
        Map<String, String> digests = new HashMap<>();
        for (String repo : List.of("sign/gpg", "sign/unsigned")) {
            digests.put(repo, Skopeo.inspect(src + "/" + repo + ":v1").get("Digest").asText());
        }
        Map<String, String> states = new HashMap<>();
        for (String repo : List.of("sign/gpg", "sign/unsigned")) {
            Response r = given().contentType("application/json").header("Authorization", "Bearer " + HOOK_SECRET)
                    .body(Map.of("registry", src, "repository", repo, "tag", "v1", "digest", digests.get(repo)))
                    .post("/api/v1/hooks/promote");
            assertEquals(202, r.statusCode(), r.asString());
            String id = r.jsonPath().getList("jobs", String.class).get(0);
            JsonNode job = null;
            for (int i = 0; i < 300; i++) {
                job = JSON.readTree(given().get("/api/v1/jobs/" + id).asByteArray());
                if (job.get("state").asText().matches("succeeded|failed|cancelled")) {
                    break;
                }
                Thread.sleep(100);
            }
            states.put(repo, job.get("state").asText() + " " + job.at("/error/type").asText(""));
        }
        assertEquals("succeeded ", states.get("sign/gpg"), states.toString());
        assertEquals("failed urn:ferry:problem:signature-rejected", states.get("sign/unsigned"), states.toString());
        assertTrue(Skopeo.run("inspect", "--tls-verify=false", "docker://" + src + "/promoted/gpg:v1").ok());
        assertFalse(Skopeo.run("list-tags", "--tls-verify=false", "docker://" + src + "/promoted/unsigned").ok(),
                "nothing of the unsigned image reached the destination");
    }

    private static JsonNode read(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
