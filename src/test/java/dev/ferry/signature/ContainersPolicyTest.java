package dev.ferry.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** containers-policy.json read and applied as containers/image does: scope precedence, identities, strictness. */
class ContainersPolicyTest {
    private static final String D = "sha256:" + "a".repeat(64);

    private static Policy parse(String json) {
        return PolicyParser.parse(json.getBytes(StandardCharsets.UTF_8), "test policy");
    }

    @Test
    void shouldListDockerScopesFromTheExactReferenceToWildcardDomains() {
        assertEquals(List.of("reg.example.com:5000/team/app:1", "reg.example.com:5000/team/app", "reg.example.com:5000/team",
                        "reg.example.com:5000", "*.example.com", "*.com"),
                Policy.dockerScopes(ImageReference.parse("reg.example.com:5000/team/app:1")));
        assertEquals("docker.io/library/busybox@" + D,
                Policy.dockerScopes(ImageReference.parse("busybox@" + D)).get(0));
    }

    @Test
    void shouldPickTheMostSpecificScopeThenTheTransportDefaultThenTheDefault() {
        Policy p = parse("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
                + "\"\":[{\"type\":\"insecureAcceptAnything\"}],"
                + "\"reg.example.com\":[{\"type\":\"reject\"}],"
                + "\"reg.example.com/team\":[{\"type\":\"insecureAcceptAnything\"}],"
                + "\"*.example.com\":[{\"type\":\"reject\"}]}}}");
        assertEquals("transports.docker.\"reg.example.com/team\"", p.forDocker(ImageReference.parse("reg.example.com/team/app:1")).scope());
        assertEquals("transports.docker.\"reg.example.com\"", p.forDocker(ImageReference.parse("reg.example.com/other/app:1")).scope());
        assertEquals("transports.docker.\"*.example.com\"", p.forDocker(ImageReference.parse("mirror.example.com/a:1")).scope());
        assertEquals("transports.docker.\"\"", p.forDocker(ImageReference.parse("quay.io/a/b:1")).scope());
        assertEquals("default", p.forTransport("oci", List.of()).scope());
    }

    @Test
    void shouldRefuseWhatContainersImageRefuses() {
        for (String bad : List.of("[]", "{}", "{\"default\":[]}", "{\"default\":[{\"type\":\"reject\",\"x\":1}]}",
                "{\"default\":[{\"type\":\"nope\"}]}", "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"}]}",
                "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"X509Certificates\",\"keyPath\":\"/k\"}]}",
                "{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{}}]}",
                "{\"default\":[{\"type\":\"reject\"}],\"default\":[{\"type\":\"reject\"}]}",
                "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/nonexistent/key.gpg\"}]}")) {
            assertThrows(PolicyParser.PolicyException.class, () -> parse(bad), bad);
        }
    }

    @Test
    void shouldMatchSignedIdentitiesAsContainersImage() {
        ImageReference tagged = ImageReference.parse("reg.example/team/app:1");
        ImageReference digested = ImageReference.parse("reg.example/team/app@" + D);
        SignedIdentity dflt = new SignedIdentity.MatchRepoDigestOrExact();
        assertTrue(dflt.matches(tagged, "reg.example/team/app:1"));
        assertFalse(dflt.matches(tagged, "reg.example/team/app:2"));
        assertTrue(dflt.matches(digested, "reg.example/team/app:anything"));
        assertFalse(dflt.matches(digested, "reg.example/team/other:1"));
        assertFalse(dflt.matches(tagged, "reg.example/team/app"), "a name-only signature reference never matches");
        assertTrue(new SignedIdentity.MatchRepository().matches(tagged, "reg.example/team/app:9"));
        assertFalse(new SignedIdentity.MatchExact().matches(digested, "reg.example/team/app:1"));
        assertTrue(new SignedIdentity.ExactRepository("reg.example/team/app").matches(null, "reg.example/team/app:5"));
        assertTrue(new SignedIdentity.ExactReference(ImageReference.parse("docker.io/library/busybox:1"))
                .matches(tagged, "busybox:1"), "docker's normalisation applies");
        SignedIdentity remap = new SignedIdentity.RemapIdentity("mirror.example/team", "reg.example/team");
        assertTrue(remap.matches(ImageReference.parse("mirror.example/team/app:1"), "reg.example/team/app:1"));
        assertFalse(remap.matches(ImageReference.parse("mirror.example/teamx/app:1"), "reg.example/team/app:1"),
                "the prefix ends at a path boundary");
    }

    @Test
    void shouldParseOnlyStrictSimpleSigningPayloads() throws Exception {
        byte[] ok = SimpleSigning.payload(SimpleSigning.GPG_TYPE, "reg.example/app:1", D, "Ferry", 1);
        assertEquals(new SimpleSigning.Claims("reg.example/app:1", D), SimpleSigning.parse(ok, SimpleSigning.GPG_TYPE));
        assertThrows(OpenPgp.InvalidSignature.class, () -> SimpleSigning.parse(ok, SimpleSigning.SIGSTORE_TYPE));
        byte[] extra = ("{\"critical\":{\"identity\":{\"docker-reference\":\"r/a:1\"},\"image\":{\"docker-manifest-digest\":\""
                + D + "\"},\"type\":\"atomic container signature\",\"extra\":1}}").getBytes(StandardCharsets.UTF_8);
        assertThrows(OpenPgp.InvalidSignature.class, () -> SimpleSigning.parse(extra, SimpleSigning.GPG_TYPE));
    }

    @Test
    void shouldDigestASignedSchema1ManifestWithoutItsSignatures() {
        String payload = "{\n   \"schemaVersion\": 1,\n   \"name\": \"team/app\",\n   \"tag\": \"1\"\n}";
        int formatLength = payload.length() - 2;
        String tail = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("\n}".getBytes(StandardCharsets.UTF_8));
        String protectedHeader = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"formatLength\":" + formatLength + ",\"formatTail\":\"" + tail + "\",\"time\":\"2024-01-01T00:00:00Z\"}")
                        .getBytes(StandardCharsets.UTF_8));
        String signed = payload.substring(0, formatLength) + ",\n   \"signatures\": [\n      {\n         \"header\": {\"alg\": \"ES256\"},\n"
                + "         \"signature\": \"c2ln\",\n         \"protected\": \"" + protectedHeader + "\"\n      }\n   ]\n}";
        assertEquals(Digest.sha256Of(payload.getBytes(StandardCharsets.UTF_8)),
                ManifestDigests.digest(signed.getBytes(StandardCharsets.UTF_8)));
        byte[] plain = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);
        assertEquals(Digest.sha256Of(plain), ManifestDigests.digest(plain));
    }

    @Test
    void shouldRoundTripACosignEncryptedKeyAndRefuseAWrongPassphrase() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair kp = g.generateKeyPair();
        byte[] pem = Sigstore.encryptPrivateKey(kp.getPrivate(), "pw".getBytes()).getBytes(StandardCharsets.US_ASCII);
        assertTrue(new String(pem).startsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
        java.security.PrivateKey back = Sigstore.decryptPrivateKey(pem, "pw".getBytes(), "k");
        byte[] payload = "hello".getBytes();
        assertTrue(Sigstore.verify(payload, Sigstore.sign(payload, back), kp.getPublic()));
        assertFalse(Sigstore.verify("other".getBytes(), Sigstore.sign(payload, back), kp.getPublic()));
        PolicyParser.PolicyException wrong = assertThrows(PolicyParser.PolicyException.class,
                () -> Sigstore.decryptPrivateKey(pem, "nope".getBytes(), "k"));
        assertTrue(wrong.getMessage().contains("wrong passphrase"));
    }
}
