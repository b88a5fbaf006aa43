package dev.ferry.security;

import com.sun.net.httpserver.HttpExchange;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.SharedRegistries;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.oidc.server.OidcWiremockTestResource;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Secured mode for tests: an OIDC provider (WireMock, {@link OidcWiremockTestResource}) whose key signs the tokens
 * made here; the shared registries and one scripted peer listed exactly in ferry.security.allowed-registries; globs
 * that let private addresses through the name check so that the address check is what refuses them; repository rules.
 */
public class SecuredProfile implements QuarkusTestProfile {
    static final String ISSUER = "https://server.example.com";
    static final String AUDIENCE = "ferry";
    static final String LOG = "target/secured-mode-test.log";
    /** The storage root of secured mode's tests; team-a's rule grants only its team-a folder (SecuredLocalPathsTest). */
    static final java.nio.file.Path ROOT = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
            "ferry-secured-roots-" + ProcessHandle.current().pid());

    /** A scripted peer whose answers each test sets; listed exactly, so loopback is allowed for it. */
    static final class Peer {
        static volatile ScriptedPeer.Script script = (ex, n) -> ScriptedPeer.send(ex, 404, null, new byte[0]);
        static final ScriptedPeer LISTED = start();
        /** Listed; answers /v2/ at once and everything else after 4 s (jobs that stay active), for the job cap only. */
        static final ScriptedPeer SLOW = slow();
        /** Not listed: nothing may ever reach it. */
        static final ScriptedPeer UNLISTED = start();

        private static ScriptedPeer slow() {
            try {
                return ScriptedPeer.start((HttpExchange ex, int n) -> {
                    boolean ping = ex.getRequestURI().getPath().equals("/v2/");
                    if (!ping) {
                        try {
                            Thread.sleep(4000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    ScriptedPeer.send(ex, ping ? 200 : 404, "application/json", "{}".getBytes());
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static ScriptedPeer start() {
            try {
                return ScriptedPeer.start((HttpExchange ex, int n) -> script.answer(ex, n));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** An https registry trusted through its CA file: verification still works when Ferry connects to a checked IP. */
    static final dev.ferry.testing.RegistryProcess TLS = startTls();

    private static dev.ferry.testing.RegistryProcess startTls() {
        dev.ferry.testing.RegistryProcess r = dev.ferry.testing.RegistryProcess.tls();
        Runtime.getRuntime().addShutdownHook(new Thread(r::close));
        return r;
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        SharedRegistries r = SharedRegistries.get();
        return Map.ofEntries(
                Map.entry("quarkus.oidc.auth-server-url", "${keycloak.url}/realms/quarkus/"),
                Map.entry("quarkus.oidc.client-id", "ferry"),
                Map.entry("quarkus.oidc.token.issuer", ISSUER),
                Map.entry("quarkus.oidc.token.audience", AUDIENCE),
                Map.entry("ferry.security.allowed-registries", String.join(",", r.anonymous().hostPort(), r.htpasswd().hostPort(),
                        Peer.LISTED.hostPort(), Peer.SLOW.hostPort(), TLS.hostPort(), "169.254.*", "10.*", "localhost:*", "*.example.com")),
                Map.entry("ferry.security.rules.readers.subjects", "ferry-viewer,ferry-operator"),
                Map.entry("ferry.security.rules.readers.repositories", "*/public/*,*/team-a/*,*/wire/*"),
                Map.entry("ferry.security.rules.readers.actions", "read"),
                Map.entry("ferry.security.rules.team-a.subjects", "team-a"),
                Map.entry("ferry.security.rules.team-a.repositories", "*/team-a/*"),
                Map.entry("ferry.security.rules.team-a.actions", "read,write"),
                Map.entry("ferry.security.rules.team-a.paths", ROOT + "/team-a/*,docker-daemon:team-a/*"),
                Map.entry("ferry.security.rules.readers-files.subjects", "ferry-viewer,ferry-operator"),
                Map.entry("ferry.security.rules.readers-files.paths", ROOT + "/public/*"),
                Map.entry("ferry.security.rules.readers-files.actions", "read"),
                Map.entry("ferry.storage.roots", ROOT.toString()),
                Map.entry("ferry.security.rules.admins.subjects", "ferry-admin"),
                Map.entry("ferry.security.rules.admins.repositories", "*"),
                Map.entry("ferry.security.rules.admins.actions", "read,write,delete"),
                Map.entry("ferry.security.rate-limit.requests-per-second", "20"),
                Map.entry("ferry.security.rate-limit.burst", "30"),
                Map.entry("ferry.security.max-active-jobs-per-caller", "2"),
                Map.entry("ferry.registries.\"" + TLS.hostPort() + "\".ca-file", TLS.certificate().toString()),
                Map.entry("quarkus.log.file.enabled", "true"),
                Map.entry("quarkus.log.file.path", LOG),
                Map.entry("quarkus.log.category.\"dev.ferry\".level", "DEBUG"),
                Map.entry("quarkus.log.category.\"io.quarkus.oidc\".level", "DEBUG"));
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(OidcWiremockTestResource.class));
    }

    // ---- tokens ----

    static JwtClaimsBuilder claims(String subject, String... roles) {
        return Jwt.subject(subject).issuer(ISSUER).audience(AUDIENCE)
                .claim("realm_access", Map.of("roles", List.of(roles)))
                .issuedAt(Instant.now()).expiresAt(Instant.now().plusSeconds(300));
    }

    /** A valid token for {@code subject} with these realm roles. */
    public static String token(String subject, String... roles) {
        return claims(subject, roles).jws().keyId("1").sign("privateKey.jwk");
    }

    /** A valid token with realm roles and groups. */
    static String tokenWithGroups(String subject, Set<String> groups, String... roles) {
        return claims(subject, roles).groups(groups).jws().keyId("1").sign("privateKey.jwk");
    }

    static String expired(String subject) {
        return Jwt.subject(subject).issuer(ISSUER).audience(AUDIENCE).claim("realm_access", Map.of("roles", List.of("ferry-admin")))
                .issuedAt(Instant.now().minusSeconds(3600)).expiresAt(Instant.now().minusSeconds(1800))
                .jws().keyId("1").sign("privateKey.jwk");
    }

    static String wrongIssuer(String subject) {
        return Jwt.subject(subject).issuer("https://evil.example.com").audience(AUDIENCE)
                .claim("realm_access", Map.of("roles", List.of("ferry-admin"))).expiresAt(Instant.now().plusSeconds(300))
                .jws().keyId("1").sign("privateKey.jwk");
    }

    static String wrongAudience(String subject) {
        return Jwt.subject(subject).issuer(ISSUER).audience("someone-else")
                .claim("realm_access", Map.of("roles", List.of("ferry-admin"))).expiresAt(Instant.now().plusSeconds(300))
                .jws().keyId("1").sign("privateKey.jwk");
    }

    /** Signed with a key the provider never published, under the provider's key id and under an unknown one. */
    static String unknownKey(String subject, String keyId) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return claims(subject, "ferry-admin").jws().keyId(keyId).sign(g.generateKeyPair().getPrivate());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An unsigned token ({@code alg: none}) with valid claims. */
    static String algNone(String subject) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(("{\"sub\":\"" + subject + "\",\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE
                + "\",\"exp\":" + Instant.now().plusSeconds(300).getEpochSecond() + ",\"iat\":" + Instant.now().getEpochSecond()
                + ",\"realm_access\":{\"roles\":[\"ferry-admin\"]}}").getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + ".";
    }
}
