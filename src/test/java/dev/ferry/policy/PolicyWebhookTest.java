package dev.ferry.policy;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.notify.NotificationTarget;
import dev.ferry.notify.Notifier;
import dev.ferry.notify.RunEnded;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A hook rule that names a policy ({@code destination: policy:NAME}) runs the policy on a matching push; a policy's
 * credentials and notification secret are stored only encrypted and never shown; when its run ends the notifier
 * gets the run and the policy's targets, secret included (a recording notifier stands in for 13-traffic's).
 */
@QuarkusTest
@TestProfile(PolicyWebhookTest.Profile.class)
class PolicyWebhookTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String BEARER = "hook-bearer-for-policies-0123456789";
    static final String SECRET = "notify-hmac-secret-do-not-echo";

    /** The registries, started once for the profile (its config names them). */
    static final class Registries {
        static final RegistryProcess SOURCE = RegistryProcess.anonymous();
        static final RegistryProcess DEST = RegistryProcess.anonymous();
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> c = new HashMap<>();
            c.put("ferry.store.secret-key", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
            c.put("ferry.hooks.pushes.bearer-secret", BEARER);
            c.put("ferry.hooks.pushes.rules[0].source", Registries.SOURCE.hostPort() + "/hooked/*");
            c.put("ferry.hooks.pushes.rules[0].destination", "policy:hooked-app");
            return c;
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(RecordingNotifier.class);
        }
    }

    /** Records what a policy run hands to the notifier. */
    @Alternative
    @ApplicationScoped
    public static class RecordingNotifier implements Notifier {
        static final List<Map.Entry<RunEnded, List<NotificationTarget>>> CALLS = new CopyOnWriteArrayList<>();

        @Override
        public void runEnded(RunEnded run, List<NotificationTarget> targets) {
            CALLS.add(Map.entry(run, targets));
        }
    }

    @Test
    void shouldRunThePolicyAHookRuleNamesAndNotifyWithItsTargets() throws Exception {
        TestImages.Image img = new TestImages(77).ociImage(1, 1024, "linux", "amd64", null);
        new RegistryPusher(Registries.SOURCE.baseUrl()).push("hooked/app", "v1", img);
        Map<String, Object> sync = Map.of("source", Registries.SOURCE.hostPort() + "/hooked/app", "destination",
                Registries.DEST.hostPort() + "/mirror", "srcTlsVerify", false, "destTlsVerify", false, "srcCreds", "robot:pa55word");
        Map<String, Object> body = Map.of("name", "hooked-app", "sync", sync,
                "notifications", List.of(Map.of("url", "https://hooks.example.com/ferry", "on", "all", "secret", SECRET)));
        Response created = given().contentType("application/json").body(body).post("/api/v1/policies");
        assertEquals(201, created.statusCode(), created.asString());
        for (String shown : List.of(created.asString(), given().get("/api/v1/policies/hooked-app").asString(),
                given().get("/api/v1/policies").asString())) {
            assertFalse(shown.contains("pa55word") || shown.contains(SECRET), "no secret is shown: " + shown);
            assertTrue(shown.contains("\"secretSet\":true") && shown.contains("srcCreds"), shown);
        }

        String event = "{\"registry\":\"" + Registries.SOURCE.hostPort() + "\",\"repository\":\"hooked/app\",\"tag\":\"v1\",\"digest\":\""
                + img.digest() + "\",\"id\":\"evt-1\"}";
        Response hook = given().contentType("application/json").header("Authorization", "Bearer " + BEARER).body(event)
                .post("/api/v1/hooks/pushes");
        assertEquals(202, hook.statusCode(), hook.asString());
        String id = JSON.readTree(hook.asString()).get("jobs").get(0).asText();
        JsonNode job = PolicyTest.awaitEnd(id);
        assertEquals("succeeded", job.get("state").asText(), job.toString());
        assertEquals("hooked-app", job.at("/request/policy").asText());
        assertEquals("webhook", job.at("/request/trigger").asText());
        assertFalse(job.toString().contains("pa55word"), job.toString());
        assertEquals(Set.of("v1"), PolicyTest.tags(Registries.DEST.hostPort() + "/mirror/app"));

        // the same delivery again starts nothing new
        Response again = given().contentType("application/json").header("Authorization", "Bearer " + BEARER).body(event)
                .post("/api/v1/hooks/pushes");
        assertEquals(200, again.statusCode(), again.asString());
        assertEquals(id, JSON.readTree(again.asString()).get("jobs").get(0).asText());

        for (int i = 0; i < 100 && RecordingNotifier.CALLS.stream().noneMatch(c -> c.getKey().jobId().equals(id)); i++) {
            Thread.sleep(50);
        }
        Map.Entry<RunEnded, List<NotificationTarget>> call = RecordingNotifier.CALLS.stream()
                .filter(c -> c.getKey().jobId().equals(id)).findFirst().orElseThrow();
        assertEquals("hooked-app", call.getKey().policy());
        assertEquals("succeeded", call.getKey().state());
        assertTrue(call.getKey().changed(), "the run copied an image");
        assertEquals(1, call.getValue().size());
        assertEquals("https://hooks.example.com/ferry", call.getValue().get(0).url());
        assertEquals(NotificationTarget.When.ALL, call.getValue().get(0).on());
        assertEquals(SECRET, call.getValue().get(0).secret().orElseThrow());
        assertEquals(1, RecordingNotifier.CALLS.stream().filter(c -> c.getKey().jobId().equals(id)).count(), "once per run");

        // a replace without the secret keeps it
        Response replaced = given().contentType("application/json").body(Map.of("sync", sync,
                "notifications", List.of(Map.of("url", "https://hooks.example.com/ferry", "on", "failures")))).put("/api/v1/policies/hooked-app");
        assertEquals(200, replaced.statusCode(), replaced.asString());
        assertTrue(replaced.asString().contains("\"secretSet\":true"), replaced.asString());
    }
}
