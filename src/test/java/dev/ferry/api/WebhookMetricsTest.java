package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.metrics.MetricsTest;
import dev.ferry.webhook.DeliverySignature;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ferry_webhook_deliveries_total by configured hook and outcome (the hooks of WebhookTest's profile). */
@QuarkusTest
@TestProfile(WebhookTest.Profile.class)
class WebhookMetricsTest {

    @Test
    void shouldCountDeliveriesByHookAndOutcome() {
        String before = scrape();
        byte[] body = ("{\"registry\":\"staging.example.com\",\"repository\":\"webhook/app\",\"tag\":\"latest\",\"digest\":\"sha256:"
                + "0".repeat(64) + "\",\"id\":\"metrics-" + System.nanoTime() + "\"}").getBytes(StandardCharsets.UTF_8);
        deliver(body, null).then().statusCode(401);
        String signature = "sha256=" + DeliverySignature.Hmac.sign(WebhookTest.HMAC_SECRET.getBytes(StandardCharsets.UTF_8), body);
        deliver(body, signature).then().statusCode(org.hamcrest.Matchers.oneOf(200, 202)); // "latest" matches no rule
        given().contentType("application/json").body("{}").post("/api/v1/hooks/" + "x".repeat(40)).then().statusCode(404);
        String after = scrape();
        assertEquals(1, delta(before, after, Map.of("hook", "signed", "outcome", "hook-unauthorized")));
        assertEquals(1, delta(before, after, Map.of("hook", "signed", "outcome", "ignored")));
        assertEquals(1, delta(before, after, Map.of("hook", "unknown", "outcome", "hook-not-found")), "an unknown name is not a label");
    }

    private static io.restassured.response.Response deliver(byte[] body, String signature) {
        var r = given().contentType("application/json").body(body);
        if (signature != null) {
            r = r.header("X-Hub-Signature-256", signature);
        }
        return r.post("/api/v1/hooks/signed");
    }

    private static String scrape() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static double delta(String before, String after, Map<String, String> labels) {
        return MetricsTest.value(after, "ferry_webhook_deliveries_total", labels)
                - MetricsTest.value(before, "ferry_webhook_deliveries_total", labels);
    }
}
