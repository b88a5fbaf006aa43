package dev.ferry.referrers;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A webhook promotion of a signed image lands at the destination with its signature, SBOM and attestation. */
@QuarkusTest
@TestProfile(WebhookReferrersTest.Profile.class)
class WebhookReferrersTest {
    static final String SECRET = "promote-" + "bearer-7c1e5a";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String registry = SharedRegistries.get().anonymous().hostPort();
            Map<String, String> c = new HashMap<>();
            c.put("ferry.hooks.promote.bearer-secret", SECRET);
            c.put("ferry.hooks.promote.rules[0].source", registry + "/staging/*");
            c.put("ferry.hooks.promote.rules[0].destination", registry + "/promoted/{name}:{tag}");
            c.put("ferry.hooks.promote.rules[0].src-tls-verify", "false");
            c.put("ferry.hooks.promote.rules[0].dest-tls-verify", "false");
            return c;
        }
    }

    @Test
    void shouldPromoteTheImageWithEverythingAttachedToIt() throws Exception {
        String registry = SharedRegistries.get().anonymous().hostPort();
        RegistryPusher pusher = new RegistryPusher(SharedRegistries.get().anonymous().baseUrl());
        TestImages.Image image = new TestImages(1214).ociImage(1, 1024, "linux", "amd64", null);
        pusher.push("staging/signed", "v3", image);
        Attached.Artifact sig = Attached.cosignSignature(registry + "/staging/signed", image.digest(), "hook");
        Attached.Artifact att = Attached.cosignAttestation(image.digest());
        Attached.Artifact sbom = Attached.cosignSbom(image.digest());
        Attached.push(pusher, "staging/signed", Attached.tag(image.digest(), ".sig"), sig);
        Attached.push(pusher, "staging/signed", Attached.tag(image.digest(), ".att"), att);
        Attached.push(pusher, "staging/signed", Attached.tag(image.digest(), ".sbom"), sbom);

        Map<String, Object> target = Map.of("mediaType", TestImages.OCI_MANIFEST, "size", image.manifest().length,
                "length", image.manifest().length, "digest", image.digest(), "repository", "staging/signed", "tag", "v3",
                "url", "http://" + registry + "/v2/staging/signed/manifests/" + image.digest());
        Map<String, Object> event = Map.of("id", UUID.randomUUID().toString(), "timestamp", "2026-12-01T23:00:00Z",
                "action", "push", "target", target,
                "request", Map.of("id", "r1", "addr", "127.0.0.1:50000", "host", registry, "method", "PUT", "useragent", "test"),
                "actor", Map.of(), "source", Map.of("addr", "test:5000", "instanceID", "x"));
        Response r = given().contentType("application/vnd.docker.distribution.events.v1+json")
                .header("Authorization", "Bearer " + SECRET).body(Attached.bytes(Map.of("events", List.of(event))))
                .post("/api/v1/hooks/promote");
        assertEquals(202, r.statusCode(), r.asString());
        String job = r.jsonPath().getList("jobs", String.class).get(0);
        String state = "queued";
        for (int i = 0; i < 600 && (state.equals("queued") || state.equals("running")); i++) {
            Thread.sleep(100);
            state = given().get("/api/v1/jobs/" + job).jsonPath().getString("state");
        }
        assertEquals("succeeded", state, given().get("/api/v1/jobs/" + job).asString());

        String to = "docker://" + registry + "/promoted/signed";
        assertArrayEquals(image.manifest(), Skopeo.inspectRaw(to + ":v3"));
        assertArrayEquals(sig.manifest(), Skopeo.inspectRaw(to + ":" + Attached.tag(image.digest(), ".sig")));
        assertArrayEquals(att.manifest(), Skopeo.inspectRaw(to + ":" + Attached.tag(image.digest(), ".att")));
        assertArrayEquals(sbom.manifest(), Skopeo.inspectRaw(to + ":" + Attached.tag(image.digest(), ".sbom")));
    }
}
