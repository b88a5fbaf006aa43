package dev.ferry.signature;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.Skopeo;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * standalone-sign, standalone-verify and manifest-digest against skopeo 1.9's own: each side accepts what the other
 * signed, both refuse the same tampering, and both compute the same digests (a signed schema 1 manifest included).
 */
@QuarkusTest
@TestProfile(SignaturePolicyTest.Profile.class)
class StandaloneSignatureTest {
    private static final String MANIFEST = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
            + "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},\"layers\":[]}";
    private static final String REF = "registry.example/team/app:1.0";

    private static SignatureFixtures keys() {
        return SignatureFixtures.get();
    }

    private static Path file(String name, byte[] bytes) throws Exception {
        return Files.write(Files.createTempDirectory(keys().dir, "sa-").resolve(name), bytes);
    }

    @Test
    void shouldSignSoThatSkopeoStandaloneVerifyAcceptsIt() throws Exception {
        Response r = given().contentType("application/json")
                .body(Map.of("manifest", MANIFEST, "dockerReference", REF, "signBy", keys().fprFerry))
                .post("/api/v1/standalone-sign");
        assertEquals(200, r.statusCode(), r.asString());
        byte[] sig = Base64.getDecoder().decode(r.jsonPath().getString("signature"));
        Path manifest = file("manifest.json", MANIFEST.getBytes(StandardCharsets.UTF_8));
        Path signature = file("signature", sig);
        Skopeo.Result v = Skopeo.runWithEnv(keys().env(), "standalone-verify", manifest.toString(), REF, keys().fprFerry,
                signature.toString());
        assertEquals(0, v.exitCode(), v.stderr());
        String digest = Skopeo.run("manifest-digest", manifest.toString()).stdout().trim();
        // skopeo 1.9's wording (later versions add "using fingerprint F")
        assertEquals("Signature verified, digest " + digest, v.stdout().trim());
        assertEquals(digest, r.jsonPath().getString("digest"));
        // skopeo refuses it for another reference, as Ferry does
        assertTrue(!Skopeo.runWithEnv(keys().env(), "standalone-verify", manifest.toString(), "registry.example/team/app:2.0",
                keys().fprFerry, signature.toString()).ok());
    }

    @Test
    void shouldVerifyWhatSkopeoStandaloneSignMade() throws Exception {
        Path manifest = file("manifest.json", MANIFEST.getBytes(StandardCharsets.UTF_8));
        Path out = manifest.resolveSibling("sig");
        Skopeo.Result s = Skopeo.runWithEnv(keys().env(), "standalone-sign", manifest.toString(), REF, keys().fprA,
                "--output", out.toString());
        assertEquals(0, s.exitCode(), s.stderr());
        String signature = Base64.getEncoder().encodeToString(Files.readAllBytes(out));
        String publicKey = Files.readString(keys().pubA);
        Map<String, Object> body = new HashMap<>(Map.of("manifestBase64", Base64.getEncoder().encodeToString(MANIFEST.getBytes()),
                "dockerReference", REF, "expectedFingerprint", keys().fprA, "signature", signature, "publicKey", publicKey));
        Response ok = given().contentType("application/json").body(body).post("/api/v1/standalone-verify");
        assertEquals(200, ok.statusCode(), ok.asString());
        assertEquals(keys().fprA, ok.jsonPath().getString("fingerprint"));
        assertEquals(REF, ok.jsonPath().getString("dockerReference"));
        assertEquals(Skopeo.run("manifest-digest", manifest.toString()).stdout().trim(), ok.jsonPath().getString("digest"));

        for (Map<String, Object> tampered : java.util.List.<Map<String, Object>>of(
                Map.of("dockerReference", "registry.example/team/app:2.0"),
                Map.of("expectedFingerprint", keys().fprB),
                Map.of("manifestBase64", Base64.getEncoder().encodeToString((MANIFEST + " ").getBytes())),
                Map.of("publicKey", Files.readString(keys().pubB)),
                Map.of("signature", Base64.getEncoder().encodeToString("not a signature".getBytes())))) {
            Map<String, Object> b = new HashMap<>(body);
            b.putAll(tampered);
            Response bad = given().contentType("application/json").body(b).post("/api/v1/standalone-verify");
            assertEquals(422, bad.statusCode(), tampered.keySet() + ": " + bad.asString());
            assertEquals("urn:ferry:problem:signature-invalid", bad.jsonPath().getString("type"));
        }
        // without publicKey Ferry trusts only its own keys: A is not among them
        body.remove("publicKey");
        assertEquals(422, given().contentType("application/json").body(body).post("/api/v1/standalone-verify").statusCode());
    }

    @Test
    void shouldRefuseBadStandaloneRequests() {
        for (Map<String, Object> bad : java.util.List.<Map<String, Object>>of(
                Map.of("dockerReference", REF, "signBy", keys().fprFerry),
                Map.of("manifest", MANIFEST, "manifestBase64", "e30=", "dockerReference", REF, "signBy", keys().fprFerry),
                Map.of("manifest", MANIFEST, "dockerReference", "no tag here/", "signBy", keys().fprFerry),
                Map.of("manifest", MANIFEST, "dockerReference", REF, "signBy", "DEADBEEFDEADBEEF"),
                Map.of("manifest", MANIFEST, "dockerReference", REF, "signBy", keys().fprFerry, "isAdmin", true))) {
            Response r = given().contentType("application/json").body(bad).post("/api/v1/standalone-sign");
            assertEquals(400, r.statusCode(), bad + ": " + r.asString());
            assertTrue(r.contentType().startsWith("application/problem+json"));
        }
        Response r = given().contentType("application/json").body(Map.of("manifest", MANIFEST, "dockerReference", REF,
                "expectedFingerprint", keys().fprA, "signature", "%%%")).post("/api/v1/standalone-verify");
        assertEquals(400, r.statusCode(), r.asString());
    }

    @Test
    void shouldComputeTheDigestSkopeoPrintsForASignedSchema1Manifest() throws Exception {
        String payload = "{\n   \"schemaVersion\": 1,\n   \"name\": \"team/app\",\n   \"tag\": \"1\",\n   \"architecture\": \"amd64\",\n"
                + "   \"fsLayers\": [],\n   \"history\": []\n}";
        int formatLength = payload.length() - 2;
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String prot = url.encodeToString(("{\"formatLength\":" + formatLength + ",\"formatTail\":\""
                + url.encodeToString("\n}".getBytes()) + "\",\"time\":\"2024-01-01T00:00:00Z\"}").getBytes());
        String signed0 = payload.substring(0, formatLength) + ",\n   \"signatures\": [\n      {\n         \"header\": {\n"
                + "            \"jwk\": {\"crv\": \"P-256\", \"kty\": \"EC\", \"x\": \"AA\", \"y\": \"AA\"},\n            \"alg\": \"ES256\"\n"
                + "         },\n         \"signature\": \"c2ln\",\n         \"protected\": \"" + prot + "\"\n      }\n   ]\n}";
        String signed = signed0;
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.interfaces.ECPublicKey pub = (java.security.interfaces.ECPublicKey) g.generateKeyPair().getPublic();
        signed = signed.replace("\"x\": \"AA\", \"y\": \"AA\"", "\"x\": \"" + url.encodeToString(octets(pub.getW().getAffineX()))
                + "\", \"y\": \"" + url.encodeToString(octets(pub.getW().getAffineY())) + "\"");
        Path f = file("v2s1.json", signed.getBytes(StandardCharsets.UTF_8));
        Skopeo.Result sk = Skopeo.run("manifest-digest", f.toString());
        assertEquals(0, sk.exitCode(), sk.stderr());
        Response r = given().contentType("application/json").body(signed).post("/api/v1/manifest-digest");
        assertEquals(200, r.statusCode(), r.asString());
        assertEquals(sk.stdout().trim(), r.jsonPath().getString("digest"));
        assertEquals(dev.ferry.oci.Digest.sha256Of(payload.getBytes(StandardCharsets.UTF_8)).toString(), sk.stdout().trim(),
                "the digest of the manifest without its signatures");
    }

    /** A P-256 coordinate as JWK writes it: 32 big-endian bytes. */
    private static byte[] octets(java.math.BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }
}
