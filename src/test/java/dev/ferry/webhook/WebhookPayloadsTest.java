package dev.ferry.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The event formats, the signatures and the rules, without Quarkus. */
class WebhookPayloadsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIGEST = "sha256:" + "c".repeat(64);

    private static WebhookPayloads.Parsed parse(String body) {
        return WebhookPayloads.parse(body.getBytes(StandardCharsets.UTF_8), JSON);
    }

    @Test
    void shouldReadTaggedManifestPushesOfADistributionEnvelopeAndIgnoreTheRest() {
        WebhookPayloads.Parsed p = parse("""
                {"events":[
                 {"id":"e1","action":"push","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
                  "repository":"team/app","digest":"%1$s","tag":"v1"},"request":{"host":"staging.example.com:5000"}},
                 {"id":"e2","action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json",
                  "repository":"team/app","digest":"%1$s"},"request":{"host":"staging.example.com:5000"}},
                 {"id":"e3","action":"push","target":{"mediaType":"application/octet-stream","repository":"team/app","digest":"%1$s"}},
                 {"id":"e4","action":"pull","target":{"mediaType":"application/vnd.oci.image.index.v1+json",
                  "repository":"team/app","digest":"%1$s","tag":"v1"}}]}""".formatted(DIGEST));
        assertEquals(3, p.ignored());
        assertEquals(1, p.pushes().size());
        assertEquals(new PushedTag("id:e1", "staging.example.com:5000", "team/app", "v1", DIGEST), p.pushes().get(0));
    }

    @Test
    void shouldReadWhenEachPushHappenedFromEveryFormat() {
        WebhookPayloads.Parsed d = parse("""
                {"events":[{"id":"e1","timestamp":"2016-03-09T14:44:26.402973972-08:00","action":"push",
                  "target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"team/app","digest":"%1$s","tag":"v1"}},
                 {"id":"e2","timestamp":"not a time","action":"push",
                  "target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"team/app","digest":"%1$s","tag":"v2"}}]}"""
                .formatted(DIGEST));
        assertEquals(java.time.Instant.parse("2016-03-09T22:44:26.402973972Z"), d.pushes().get(0).pushedAt());
        assertEquals(null, d.pushes().get(1).pushedAt(), "an unreadable registry timestamp is no time at all, not a refusal");
        WebhookPayloads.Parsed h = parse("""
                {"type":"PUSH_ARTIFACT","occur_at":1700000000,"event_data":{"repository":{"repo_full_name":"team/app"},
                 "resources":[{"tag":"v1","digest":"%1$s","resource_url":"harbor.example.com/team/app:v1"}]}}""".formatted(DIGEST));
        assertEquals(java.time.Instant.ofEpochSecond(1700000000), h.pushes().get(0).pushedAt());
        WebhookPayloads.Parsed plain = parse("""
                {"repository":"team/app","tag":"v1","digest":"%1$s","pushedAt":"2026-12-01T10:00:00Z"}""".formatted(DIGEST));
        assertEquals(java.time.Instant.parse("2026-12-01T10:00:00Z"), plain.pushes().get(0).pushedAt());
    }

    @Test
    void shouldReadHarborPushArtifactResources() {
        WebhookPayloads.Parsed p = parse("""
                {"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":"lib/app"},
                 "resources":[{"digest":"%s","tag":"1.0","resource_url":"harbor.example.com/lib/app:1.0"}]}}""".formatted(DIGEST));
        assertEquals(0, p.ignored());
        PushedTag t = p.pushes().get(0);
        assertEquals("harbor.example.com", t.registry());
        assertEquals("lib/app", t.repository());
        assertTrue(t.eventKey().startsWith("sha256:"), t.eventKey());
        assertEquals(1, parse("{\"type\":\"DELETE_ARTIFACT\",\"event_data\":{}}").ignored());
    }

    @Test
    void shouldKeyEventsWithoutAnIdByWhatWasPushed() {
        String a = WebhookPayloads.key(null, "team/app", DIGEST, "v1");
        assertEquals(a, WebhookPayloads.key("", "team/app", DIGEST, "v1"));
        assertFalse(a.equals(WebhookPayloads.key(null, "team/app", DIGEST, "v2")));
        assertEquals("id:x", WebhookPayloads.key("x", "team/app", DIGEST, "v1"));
    }

    @Test
    void shouldRefuseMalformedBodies() {
        for (String body : new String[] {"", "[]", "{x", "{\"events\":{}}", "{\"repository\":\"a\",\"tag\":\"v1\"}",
                "{\"repository\":\"a\",\"tag\":\"v1\",\"digest\":\"" + DIGEST + "\",\"other\":1}"}) {
            assertThrows(FerryException.class, () -> parse(body), body);
        }
    }

    @Test
    void shouldCheckHmacSignaturesOfTheRawBody() {
        byte[] secret = "s3cret".getBytes(StandardCharsets.UTF_8);
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        DeliverySignature hmac = new DeliverySignature.Hmac(secret);
        String sig = "sha256=" + DeliverySignature.Hmac.sign(secret, body);
        assertEquals(DeliverySignature.Outcome.VALID, hmac.check(sig, null, body));
        assertEquals(DeliverySignature.Outcome.VALID, hmac.check(sig.toUpperCase().replace("SHA256=", "sha256="), null, body));
        assertEquals(DeliverySignature.Outcome.INVALID, hmac.check(sig, null, "{\"a\":2}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(DeliverySignature.Outcome.INVALID, hmac.check("sha1=abc", null, body));
        assertEquals(DeliverySignature.Outcome.MISSING, hmac.check(null, "Bearer s3cret", body));
        assertFalse(hmac.toString().contains("s3cret"));
    }

    @Test
    void shouldCheckBearerSecrets() {
        DeliverySignature bearer = new DeliverySignature.Bearer("tok".getBytes(StandardCharsets.UTF_8));
        assertEquals(DeliverySignature.Outcome.VALID, bearer.check(null, "Bearer tok", new byte[0]));
        assertEquals(DeliverySignature.Outcome.VALID, bearer.check(null, "bearer tok", new byte[0]));
        assertEquals(DeliverySignature.Outcome.INVALID, bearer.check(null, "Bearer tok2", new byte[0]));
        assertEquals(DeliverySignature.Outcome.INVALID, bearer.check(null, "Basic dG9r", new byte[0]));
        assertEquals(DeliverySignature.Outcome.MISSING, bearer.check("sha256=00", null, new byte[0]));
    }

    @Test
    void shouldMatchRulesByGlobAndWholeTagAndFillTheDestination() {
        PromotionRule r = PromotionRule.of("staging.example.com/team/*", "v[0-9.]+", "prod.example.com/{repository}:{tag}", true, true);
        assertTrue(r.matches("staging.example.com", "team/app", "v1.2"));
        assertTrue(r.matches("staging.example.com", "team/sub/app", "v1"), "* spans /");
        assertFalse(r.matches("staging.example.com", "team/app", "v1-rc"), "the whole tag must match");
        assertFalse(r.matches("staging.example.com", "other/app", "v1"));
        assertFalse(r.matches("staging-example.com", "team/app", "v1"), "dots are literal");
        PushedTag t = new PushedTag("id:1", null, "team/sub/app", "v1", DIGEST);
        assertEquals("prod.example.com/team/sub/app:v1", r.destinationFor("staging.example.com", t));
        assertEquals("m.example.com/app:v1@" + DIGEST + " staging.example.com",
                PromotionRule.of("*/*", ".*", "m.example.com/{name}:{tag}@{digest} {registry}", true, true)
                        .destinationFor("staging.example.com", t));
        assertThrows(IllegalArgumentException.class, () -> PromotionRule.of("a/*", ".*", "b/{repo}:{tag}", true, true));
        assertThrows(IllegalArgumentException.class, () -> PromotionRule.of("a/*", "(", "b/{name}", true, true));
        assertTrue(Pattern.compile(PromotionRule.glob("a*b").pattern()).matcher("a/x/b").matches());
    }
}
