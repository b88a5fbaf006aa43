package dev.ferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> token(TokenServer ts, String auth, String... scopes) throws Exception {
        StringBuilder url = new StringBuilder(ts.realm()).append("?service=").append(ts.service());
        for (String s : scopes) {
            url.append("&scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.toString())).GET();
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode part(String jwt, int i) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[i]));
    }

    @Test
    void issuesVerifiableRs256TokensAndEnforcesCredentials() throws Exception {
        try (TokenServer ts = TokenServer.start(Map.of("alice", "pw"))) {
            assertEquals(401, token(ts, RegistryProcessTest.basic("alice", "bad"), "repository:a/b:pull").statusCode());
            assertEquals(401, token(ts, RegistryProcessTest.basic("bob", "pw"), "repository:a/b:pull").statusCode());

            HttpResponse<String> r = token(ts, RegistryProcessTest.basic("alice", "pw"),
                    "repository:a/b:pull,push", "repository:c:pull");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = JSON.readTree(r.body());
            assertEquals(body.path("token").asText(), body.path("access_token").asText());
            assertEquals(300, body.path("expires_in").asInt());
            assertTrue(body.path("issued_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"));

            String jwt = body.path("token").asText();
            JsonNode header = part(jwt, 0);
            JsonNode claims = part(jwt, 1);
            assertEquals("RS256", header.path("alg").asText());
            assertEquals("JWT", header.path("typ").asText());
            assertEquals("ferry-test-issuer", claims.path("iss").asText());
            assertEquals("ferry-test-registry", claims.path("aud").asText());
            assertEquals("alice", claims.path("sub").asText());
            assertTrue(claims.path("nbf").asLong() < claims.path("iat").asLong());
            assertTrue(claims.path("exp").asLong() > claims.path("iat").asLong());
            assertEquals(2, claims.path("access").size());
            assertEquals("a/b", claims.path("access").get(0).path("name").asText());
            assertEquals("[\"pull\",\"push\"]", claims.path("access").get(0).path("actions").toString());

            // signature verifies with the cert in certBundlePath, which is also the x5c leaf
            X509Certificate cert;
            try (InputStream in = Files.newInputStream(ts.certBundlePath())) {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            assertEquals(Base64.getEncoder().encodeToString(cert.getEncoded()), header.path("x5c").get(0).asText());
            String[] parts = jwt.split("\\.");
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initVerify(cert.getPublicKey());
            sig.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            assertTrue(sig.verify(Base64.getUrlDecoder().decode(parts[2])));

            assertEquals(3, ts.tokenRequests());
            assertEquals(List.of("repository:a/b:pull", "repository:a/b:pull", "repository:a/b:pull,push",
                    "repository:c:pull"), ts.requestedScopes());
        }
    }

    @Test
    void anonymousGetsNothingOrPullOnly() throws Exception {
        try (TokenServer ts = TokenServer.start(Map.of("alice", "pw"))) {
            JsonNode none = part(JSON.readTree(token(ts, null, "repository:x:pull,push").body()).path("token").asText(), 1);
            assertEquals(0, none.path("access").size());
            assertEquals("", none.path("sub").asText());
            ts.setAnonymousPull(true);
            JsonNode pull = part(JSON.readTree(token(ts, null, "repository:x:pull,push").body()).path("token").asText(), 1);
            assertEquals("[\"pull\"]", pull.path("access").get(0).path("actions").toString());
        }
    }

    @Test
    void realRegistryHonoursTokensAndAnonymousPullSwitch() {
        try (TokenServer ts = TokenServer.start(Map.of("alice", "pw"));
             RegistryProcess reg = RegistryProcess.tokenAuth(ts)) {
            TestImages.Image img = new TestImages(5).ociImage(1, 300);
            new RegistryPusher(reg.baseUrl()).withBasic("alice", "pw").push("tok/app", "v1", img);
            String ref = reg.hostPort() + "/tok/app:v1";

            // anonymous: token with empty access -> registry denies
            assertThrows(IllegalStateException.class,
                    () -> new RegistryPusher(reg.baseUrl()).getManifest("tok/app", "v1", null));
            Skopeo.Result denied = Skopeo.run("inspect", "--tls-verify=false", "--raw", "docker://" + ref);
            assertTrue(denied.exitCode() != 0, denied.toString());

            // anonymous pull allowed, push still denied
            ts.setAnonymousPull(true);
            assertEquals(img.digest(), TestImages.sha256(Skopeo.inspectRaw(ref)));
            assertThrows(IllegalStateException.class,
                    () -> new RegistryPusher(reg.baseUrl()).push("tok/app", "v2", new TestImages(6).ociImage(1, 10)));

            // skopeo with credentials does the token dance itself
            ts.setAnonymousPull(false);
            ts.resetCounters();
            assertEquals(img.digest(), Skopeo.inspect(ref, "--creds", "alice:pw").path("Digest").asText());
            assertTrue(ts.tokenRequests() >= 1);
            assertTrue(ts.requestedScopes().contains("repository:tok/app:pull"), ts.requestedScopes().toString());
        }
    }
}
