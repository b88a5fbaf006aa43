package dev.ferry.metrics;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.TestImages;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With tracing switched on: one span per job, one client span per registry request, with bounded attributes. */
@QuarkusTest
@TestProfile(TracingTest.On.class)
class TracingTest {
    public static class On implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.otel.sdk.disabled", "false", "quarkus.otel.bsp.schedule.delay", "50ms",
                    "quarkus.otel.exporter.otlp.enabled", "false");
        }
    }

    @Inject
    InMemorySpanExporter spans;

    @Test
    void shouldTraceAJobAndItsRegistryCalls() throws Exception {
        String src = SharedRegistries.get().anonymous().hostPort();
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push("traced/app", "1", new TestImages(77).ociImage(2, 1024, "linux", "amd64", null));
        String id = given().contentType("application/json").header("Prefer", "wait=60")
                .body(Map.of("source", src + "/traced/app:1", "destination", src + "/traced/copy:1", "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy").then().statusCode(200).extract().path("id");
        SpanData job = null;
        List<SpanData> finished = List.of();
        for (int i = 0; i < 100 && job == null; i++) {
            Thread.sleep(100);
            finished = spans.getFinishedSpanItems();
            job = finished.stream().filter(s -> id.equals(s.getAttributes().get(AttributeKey.stringKey("ferry.job.id")))).findFirst().orElse(null);
        }
        assertTrue(job != null, "a span for job " + id + " in " + finished.stream().map(SpanData::getName).toList());
        assertEquals("copy job", job.getName());
        assertEquals("succeeded", job.getAttributes().get(AttributeKey.stringKey("ferry.job.state")));
        List<SpanData> registry = finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT
                && src.equals(s.getAttributes().get(AttributeKey.stringKey("ferry.registry")))).toList();
        assertTrue(registry.size() >= 4, "client spans for the registry calls: " + registry.size());
        assertTrue(registry.stream().anyMatch(s -> s.getName().equals("PUT")
                && Long.valueOf(201).equals(s.getAttributes().get(AttributeKey.longKey("http.response.status_code")))));
        for (SpanData s : registry) {
            assertFalse(s.getAttributes().toString().contains("traced/"), "no repository in a registry span: " + s.getAttributes());
        }
    }
}
