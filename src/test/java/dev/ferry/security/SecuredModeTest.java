package dev.ferry.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.ScriptedPeer;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Secured mode: tokens, the role × operation matrix, repository rules, job ownership, SSRF refusals, abuse limits. */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class SecuredModeTest {
    static final String VIEWER = SecuredProfile.token("vera", "ferry-viewer");
    static final String TEAM_A = SecuredProfile.tokenWithGroups("tina", Set.of("team-a"), "ferry-operator");
    static final String OTHER_OPERATOR = SecuredProfile.token("oscar", "ferry-operator");
    static final String ADMIN = SecuredProfile.token("ada", "ferry-admin");
    static final TestImages.Image IMAGE = new TestImages(505).ociImage(1, 512, "linux", "amd64", null);
    static String anon;

    @BeforeAll
    static void pushFixtures() {
        anon = SharedRegistries.get().anonymous().hostPort();
        RegistryPusher push = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        for (String repo : List.of("public/app", "team-a/app", "secret/app")) {
            push.push(repo, "1", IMAGE);
        }
    }

    static RequestSpecification as(String token) {
        RequestSpecification r = given().contentType("application/json");
        return token == null ? r : r.header("Authorization", "Bearer " + token);
    }

    static Response inspect(String token, String image) {
        return as(token).body(Map.of("image", image, "tlsVerify", false, "noTags", true)).post("/api/v1/inspect");
    }

    static Response copy(String token, String src, String dst) {
        return as(token).body(Map.of("source", src, "destination", dst, "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy");
    }

    // ---- authentication ----

    @io.quarkus.test.oidc.server.OidcWireMock
    com.github.tomakehurst.wiremock.WireMockServer oidc;

    private long jwksFetches() {
        return oidc.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl().contains("/certs")).count();
    }

    /** BAD-INPUT row 11: the JWKS is re-fetched at most every 10 min, however many unknown key ids arrive. */
    @Test
    void shouldFetchTheProvidersKeysAgainAtMostOnceForAFloodOfUnknownKeyIds() {
        long before = jwksFetches();
        assertTrue(before >= 1, "the keys were fetched at start");
        for (int i = 0; i < 8; i++) {
            inspect(SecuredProfile.unknownKey("eve", "forged-" + i), anon + "/public/app:1").then().statusCode(401)
                    .body("type", equalTo("urn:ferry:problem:unauthenticated"));
        }
        long after = jwksFetches();
        assertTrue(after - before <= 1, "8 unknown key ids made " + (after - before) + " JWKS fetches");
        inspect(VIEWER, anon + "/public/app:1").then().statusCode(200);
    }

    @Test
    void shouldAnswer401ProblemWithoutAToken() {
        inspect(null, anon + "/public/app:1").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("type", equalTo("urn:ferry:problem:unauthenticated"));
        as(null).get("/api/v1/jobs").then().statusCode(401).body("type", equalTo("urn:ferry:problem:unauthenticated"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"expired", "wrong-issuer", "wrong-audience", "alg-none", "unknown-key", "unknown-kid", "garbage"})
    void shouldRefuseABadTokenWith401Problem(String kind) {
        String token = switch (kind) {
            case "expired" -> SecuredProfile.expired("eve");
            case "wrong-issuer" -> SecuredProfile.wrongIssuer("eve");
            case "wrong-audience" -> SecuredProfile.wrongAudience("eve");
            case "alg-none" -> SecuredProfile.algNone("eve");
            case "unknown-key" -> SecuredProfile.unknownKey("eve", "1");
            case "unknown-kid" -> SecuredProfile.unknownKey("eve", "no-such-key");
            default -> "not-a-jwt";
        };
        as(token).get("/api/v1/jobs").then().statusCode(401).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:unauthenticated"));
    }

    @Test
    void shouldLeaveHealthOpen() {
        given().get("/q/health/live").then().statusCode(200);
    }

    // ---- roles × operations ----

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "viewer, inspect, 200", "viewer, list-tags, 200", "viewer, manifest-digest, 200", "viewer, jobs, 200",
            "viewer, copy, 403", "viewer, delete, 403",
            "operator, inspect, 200", "operator, copy, 202", "operator, delete, 403", "operator, jobs, 200",
            "admin, inspect, 200", "admin, copy, 202", "admin, delete, 202", "admin, jobs, 200",
            "nobody, inspect, 403", "nobody, jobs, 403", "nobody, manifest-digest, 403"})
    void shouldApplyTheRoleMatrix(String who, String operation, int status) {
        String subject = who + "-" + System.nanoTime(); // a fresh caller: the active-job cap is per caller
        String token = switch (who) {
            case "viewer" -> SecuredProfile.token(subject, "ferry-viewer");
            case "operator" -> SecuredProfile.tokenWithGroups(subject, Set.of("team-a"), "ferry-operator");
            case "admin" -> SecuredProfile.token(subject, "ferry-admin");
            default -> SecuredProfile.token(subject);
        };
        String unique = who + "-" + System.nanoTime();
        Response r = switch (operation) {
            case "inspect" -> inspect(token, anon + "/public/app:1");
            case "list-tags" -> as(token).body(Map.of("repository", anon + "/public/app", "tlsVerify", false)).post("/api/v1/list-tags");
            case "manifest-digest" -> as(token).body("{\"schemaVersion\":2}").post("/api/v1/manifest-digest");
            case "jobs" -> as(token).get("/api/v1/jobs");
            case "copy" -> copy(token, anon + "/public/app:1", anon + "/team-a/" + unique + ":1");
            default -> {
                new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push("team-a/del-" + unique, "1",
                        new TestImages(System.nanoTime()).ociImage(1, 64, "linux", "amd64", null));
                yield as(token).body(Map.of("image", anon + "/team-a/del-" + unique + ":1", "tlsVerify", false)).post("/api/v1/delete");
            }
        };
        r.then().statusCode(status);
        if (status == 403) {
            r.then().contentType("application/problem+json").body("type", equalTo("urn:ferry:problem:access-denied"));
        }
    }

    @Test
    void shouldLeaveWebhookDeliveriesToTheirOwnSecretsButGuardTheHookListing() {
        String unauthenticated = as(null).body("{}").post("/api/v1/hooks/no-such-hook").then().extract().path("type");
        assertFalse("urn:ferry:problem:unauthenticated".equals(unauthenticated), "a delivery needs no bearer token");
        as(null).get("/api/v1/hooks").then().statusCode(401).body("type", equalTo("urn:ferry:problem:unauthenticated"));
        as(SecuredProfile.token("hook-viewer", "ferry-viewer")).get("/api/v1/hooks").then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:access-denied"));
        as(ADMIN).get("/api/v1/hooks").then().statusCode(200);
    }

    // ---- repository rules ----

    @ParameterizedTest(name = "{0}: {1} -> {2} = {3}")
    @CsvSource({
            "team-a, public/app, team-a/x, 202, ",
            "team-a, team-a/app, team-a/y, 202, ",
            "team-a, public/app, other/x, 403, write",
            "team-a, secret/app, team-a/z, 403, read",
            "plain-operator, public/app, team-a/x, 403, write",
            "admin, secret/app, anything/x, 202, "})
    void shouldCheckTheRepositoryPolicyOnBothSides(String who, String src, String dst, int status, String deniedAction) {
        String subject = who + "-" + System.nanoTime(); // a fresh caller: the active-job cap is per caller
        String token = switch (who) {
            case "team-a" -> SecuredProfile.tokenWithGroups(subject, Set.of("team-a"), "ferry-operator");
            case "admin" -> SecuredProfile.token(subject, "ferry-admin");
            default -> SecuredProfile.token(subject, "ferry-operator");
        };
        String target = dst + System.nanoTime();
        Response r = copy(token, anon + "/" + src + ":1", anon + "/" + target + ":1");
        r.then().statusCode(status);
        if (status == 403) {
            String repo = deniedAction.equals("read") ? src : target;
            r.then().body("type", equalTo("urn:ferry:problem:access-denied"))
                    .body("detail", equalTo("access denied: you may not " + deniedAction + " " + anon + "/" + repo))
                    .body("detail", not(containsString("rule")));
        }
    }

    @Test
    void shouldDenyReadingARepositoryNoRuleGrants() {
        inspect(VIEWER, anon + "/secret/app:1").then().statusCode(403)
                .body("detail", equalTo("access denied: you may not read " + anon + "/secret/app"));
    }

    // ---- job ownership ----

    @Test
    void shouldHideAJobFromOtherCallersButNotFromAdmins() throws Exception {
        Response created = copy(TEAM_A, anon + "/public/app:1", anon + "/team-a/owned" + System.nanoTime() + ":1");
        created.then().statusCode(202);
        String id = created.path("id");
        as(TEAM_A).get("/api/v1/jobs/" + id).then().statusCode(200);
        as(OTHER_OPERATOR).get("/api/v1/jobs/" + id).then().statusCode(404).body("type", equalTo("urn:ferry:problem:job-not-found"));
        as(OTHER_OPERATOR).delete("/api/v1/jobs/" + id).then().statusCode(404);
        as(OTHER_OPERATOR).get("/api/v1/jobs/" + id + "/events").then().statusCode(404);
        List<String> theirs = as(OTHER_OPERATOR).get("/api/v1/jobs?limit=500").then().statusCode(200).extract().path("items.id");
        assertFalse(theirs.contains(id));
        // a claimed job has an owner; how soon it is claimed depends on the machine (other tests' jobs hold the
        // slots under load), so wait for the claim with a wide bound rather than assume a speed
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(90);
        while ("queued".equals(as(ADMIN).get("/api/v1/jobs/" + id).path("state")) && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        as(ADMIN).get("/api/v1/jobs/" + id).then().statusCode(200).body("state", org.hamcrest.Matchers.not("queued"))
                .body("owner", org.hamcrest.Matchers.notNullValue());
        as(TEAM_A).get("/api/v1/jobs/" + id).then().statusCode(200).body("owner", org.hamcrest.Matchers.nullValue())
                .body("leaseExpiresAt", org.hamcrest.Matchers.nullValue());
        List<String> all = as(ADMIN).get("/api/v1/jobs?limit=500").then().statusCode(200).extract().path("items.id");
        assertTrue(all.contains(id));
        List<String> mine = as(TEAM_A).get("/api/v1/jobs?limit=500").then().statusCode(200).extract().path("items.id");
        assertTrue(mine.contains(id));
    }

    // ---- SSRF ----

    @ParameterizedTest
    @ValueSource(strings = {"169.254.169.254", "169.254.169.254:80", "10.0.0.1:5000", "localhost:PEER", "evil.invalid"})
    void shouldRefuseInternalAddressesWithNoConnectionMade(String registry) {
        ScriptedPeer listed = SecuredProfile.Peer.LISTED;
        int before = listed.seen().size();
        String host = registry.replace("PEER", Integer.toString(listed.hostPort().split(":")[1].isEmpty() ? 0
                : Integer.parseInt(listed.hostPort().split(":")[1])));
        long started = System.nanoTime();
        inspect(ADMIN, host + "/wire/app:1").then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:registry-not-allowed"))
                .body("detail", containsString("no connection made"));
        assertTrue(System.nanoTime() - started < 3_000_000_000L, "refused before any connection attempt");
        assertEquals(before, listed.seen().size(), "nothing reached the peer");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://10.0.0.1/token", "http://UNLISTED/token", "http://169.254.169.254/latest/meta-data/"})
    void shouldRefuseATokenRealmAtAnotherOrPrivateAddress(String realm) {
        ScriptedPeer unlisted = SecuredProfile.Peer.UNLISTED;
        String r = realm.replace("UNLISTED", unlisted.hostPort());
        SecuredProfile.Peer.script = (ex, n) -> {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"" + r + "\",service=\"wire\"");
            ScriptedPeer.send(ex, 401, "application/json", "{}".getBytes());
        };
        int before = unlisted.seen().size();
        as(ADMIN).body(Map.of("image", SecuredProfile.Peer.LISTED.hostPort() + "/wire/realm" + System.nanoTime() + ":1",
                        "tlsVerify", false, "creds", "user:realm-secret"))
                .post("/api/v1/inspect").then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:registry-not-allowed"))
                .body("detail", containsString("no connection made"));
        assertEquals(before, unlisted.seen().size(), "nothing reached the realm");
    }

    @Test
    void shouldRefuseARedirectToAnotherHostWithNoConnectionMade() {
        ScriptedPeer unlisted = SecuredProfile.Peer.UNLISTED;
        SecuredProfile.Peer.script = (ex, n) -> {
            if (ex.getRequestURI().getPath().equals("/v2/")) {
                ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes());
                return;
            }
            ex.getResponseHeaders().set("Location", "http://" + unlisted.hostPort() + ex.getRequestURI().getPath());
            ScriptedPeer.send(ex, 307, null, new byte[0]);
        };
        int before = unlisted.seen().size();
        inspect(ADMIN, SecuredProfile.Peer.LISTED.hostPort() + "/wire/redirect" + System.nanoTime() + ":1").then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:registry-not-allowed"))
                .body("detail", containsString("no connection made"));
        assertEquals(before, unlisted.seen().size(), "nothing reached the redirect target");
    }

    @Test
    void shouldReachAnExplicitlyListedLoopbackRegistry() {
        SecuredProfile.Peer.script = (ex, n) -> ScriptedPeer.send(ex, ex.getRequestURI().getPath().equals("/v2/") ? 200 : 404,
                "application/json", "{}".getBytes());
        int before = SecuredProfile.Peer.LISTED.seen().size();
        inspect(ADMIN, SecuredProfile.Peer.LISTED.hostPort() + "/wire/missing:1").then().statusCode(404);
        assertTrue(SecuredProfile.Peer.LISTED.seen().size() > before);
    }

    @Test
    void shouldVerifyTlsWhileConnectingToTheCheckedAddress() {
        as(ADMIN).body(Map.of("image", SecuredProfile.TLS.hostPort() + "/public/none:1", "tlsVerify", true))
                .post("/api/v1/inspect").then().statusCode(404).body("type", equalTo("urn:ferry:problem:repository-not-found"));
    }

    // ---- abuse limits ----

    @Test
    void shouldRateLimitACallerWith429AndRetryAfter() {
        // the limiter's clock stands still: exactly the burst (30) goes through, however slow or fast the machine is
        long frozen = System.nanoTime();
        io.quarkus.test.junit.QuarkusMock.installMockForType(new RateClock() {
            @Override
            public long nanoTime() {
                return frozen;
            }
        }, RateClock.class);
        String token = SecuredProfile.token("speedy", "ferry-viewer");
        for (int i = 0; i < 30; i++) {
            as(token).body("{\"schemaVersion\":2}").post("/api/v1/manifest-digest").then().statusCode(200);
        }
        Response limited = as(token).body("{\"schemaVersion\":2}").post("/api/v1/manifest-digest");
        limited.then().statusCode(429).contentType("application/problem+json")
                .header("Retry-After", equalTo("1")) // one token at 20 per second: ceil(1/20 s)
                .body("type", equalTo("urn:ferry:problem:too-many-requests"));
        // others are not affected
        as(VIEWER).body("{\"schemaVersion\":2}").post("/api/v1/manifest-digest").then().statusCode(200);
    }

    @Test
    void shouldCapActiveJobsPerCaller() {
        String token = SecuredProfile.tokenWithGroups("busy", Set.of("team-a"), "ferry-admin");
        String src = SecuredProfile.Peer.SLOW.hostPort() + "/wire/slow:1";
        copy(token, src, anon + "/team-a/busy1:1").then().statusCode(202);
        copy(token, src, anon + "/team-a/busy2:1").then().statusCode(202);
        copy(token, src, anon + "/team-a/busy3:1").then().statusCode(429).contentType("application/problem+json")
                .header("Retry-After", notNullValue()).body("type", equalTo("urn:ferry:problem:too-many-active-jobs"));
        copy(SecuredProfile.token("idle", "ferry-admin"), anon + "/public/app:1", anon + "/team-a/notbusy" + System.nanoTime() + ":1")
                .then().statusCode(202);
    }

    @Test
    void shouldNotCountPolicyRunsTowardTheActiveJobCap() {
        // cap 2: two active policy runs of this caller's policies leave room for two jobs started by hand, not three
        String token = SecuredProfile.token("planner", "ferry-admin");
        String src = SecuredProfile.Peer.SLOW.hostPort() + "/wire/slow:1";
        for (String name : List.of("capped-a", "capped-b")) {
            as(token).body(Map.of("name", name, "sync", Map.of("source", src, "destination", anon + "/team-a/" + name,
                    "srcTlsVerify", false, "destTlsVerify", false))).post("/api/v1/policies").then().statusCode(201);
            as(token).body(Map.of()).post("/api/v1/policies/" + name + "/runs").then().statusCode(202);
        }
        copy(token, src, anon + "/team-a/planned1:1").then().statusCode(202);
        copy(token, src, anon + "/team-a/planned2:1").then().statusCode(202);
        copy(token, src, anon + "/team-a/planned3:1").then().statusCode(429)
                .body("type", equalTo("urn:ferry:problem:too-many-active-jobs"))
                .body("detail", org.hamcrest.Matchers.containsString("you have 2 queued or running jobs"));
    }

    @Test
    void shouldLetOnlyRulesThatListSignSignAnImage() {
        // team-a may read and write team-a/*, and no rule lists sign: signing is refused before any job or key lookup
        Response r = as(TEAM_A).body(Map.of("source", anon + "/team-a/app:1", "destination", anon + "/team-a/signed:1",
                "srcTlsVerify", false, "destTlsVerify", false, "signBy", "0123456789ABCDEF0123456789ABCDEF01234567")).post("/api/v1/copy");
        r.then().statusCode(403).body("type", equalTo("urn:ferry:problem:access-denied"));
        assertTrue(r.jsonPath().getString("detail").contains("sign"), r.asString());
        Map<String, Object> sign = Map.of("manifest", "{\"schemaVersion\":2}", "dockerReference", anon + "/team-a/app:1",
                "signBy", "0123456789ABCDEF0123456789ABCDEF01234567");
        as(VIEWER).body(sign).post("/api/v1/standalone-sign").then().statusCode(403);
        as(TEAM_A).body(sign).post("/api/v1/standalone-sign").then().statusCode(403)
                .body("type", equalTo("urn:ferry:problem:access-denied"));
    }
}
