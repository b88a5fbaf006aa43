package dev.ferry.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.ScriptedPeer;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Tag lists revalidated with their ETag. distribution 2.8 sends none (checked against a real one), so the registry
 * that does is a scripted peer: it answers 304 to a matching If-None-Match and counts the conditional requests.
 */
@QuarkusTest
class TagListETagTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<String> listTags(String repository) throws Exception {
        Response r = given().contentType("application/json").body(Map.of("repository", repository, "tlsVerify", false))
                .post("/api/v1/list-tags");
        assertEquals(200, r.statusCode(), r.asString());
        JsonNode tags = JSON.readTree(r.asString()).get("Tags");
        return JSON.convertValue(tags, JSON.getTypeFactory().constructCollectionType(List.class, String.class));
    }

    @Test
    void shouldAskWithIfNoneMatchAndReuseTheListOnA304() throws Exception {
        AtomicReference<String> etag = new AtomicReference<>("\"v1\"");
        AtomicReference<String> body = new AtomicReference<>("{\"name\":\"etag/app\",\"tags\":[\"1.0\",\"1.1\"]}");
        List<String> conditional = new CopyOnWriteArrayList<>();
        List<Integer> answered = new CopyOnWriteArrayList<>();
        try (ScriptedPeer peer = ScriptedPeer.start((ex, n) -> {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/v2/")) {
                ScriptedPeer.send(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!path.equals("/v2/etag/app/tags/list")) {
                ScriptedPeer.send(ex, 404, null, new byte[0]);
                return;
            }
            String ifNoneMatch = ex.getRequestHeaders().getFirst("If-None-Match");
            if (ifNoneMatch != null) {
                conditional.add(ifNoneMatch);
            }
            if (etag.get() != null) {
                ex.getResponseHeaders().set("ETag", etag.get());
            }
            if (ifNoneMatch != null && ifNoneMatch.equals(etag.get())) {
                answered.add(304);
                ScriptedPeer.send(ex, 304, null, new byte[0]);
                return;
            }
            answered.add(200);
            ScriptedPeer.send(ex, 200, "application/json", body.get().getBytes(StandardCharsets.UTF_8));
        })) {
            String repo = peer.hostPort() + "/etag/app";
            assertEquals(List.of("1.0", "1.1"), listTags(repo));
            assertEquals(List.of(), conditional, "the first listing has nothing to revalidate");
            assertEquals(List.of("1.0", "1.1"), listTags(repo), "a 304 reuses the list");
            assertEquals(List.of("\"v1\""), conditional);
            assertEquals(List.of(200, 304), answered);

            // a new tag: the registry's ETag changes, the If-None-Match no longer matches, the new list is used
            etag.set("\"v2\"");
            body.set("{\"name\":\"etag/app\",\"tags\":[\"1.0\",\"1.1\",\"1.2\"]}");
            assertEquals(List.of("1.0", "1.1", "1.2"), listTags(repo));
            assertEquals(List.of("1.0", "1.1", "1.2"), listTags(repo));
            assertEquals(List.of("\"v1\"", "\"v1\"", "\"v2\""), conditional, "the old ETag no longer matches; then the new one does");
            assertEquals(List.of(200, 304, 200, 304), answered);

            // the registry stops sending ETags: the cached page is dropped, nothing is revalidated any more
            etag.set(null);
            body.set("{\"name\":\"etag/app\",\"tags\":[\"2.0\"]}");
            assertEquals(List.of("2.0"), listTags(repo));
            assertEquals(List.of("2.0"), listTags(repo));
            assertEquals(4, conditional.size(), "no If-None-Match after a page without ETag: " + conditional);
        }
    }

    @Test
    void shouldFindThatDistributionSendsNoETagOnTheTagList() throws Exception {
        try (RegistryProcess registry = RegistryProcess.anonymous()) {
            new dev.ferry.testing.RegistryPusher(registry.baseUrl()).push("lab/app", "1",
                    new dev.ferry.testing.TestImages(7).ociImage(1, 128));
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(registry.baseUrl() + "/v2/lab/app/tags/list")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertNull(r.headers().firstValue("ETag").orElse(null), "distribution 2.8 gives no ETag (README says so)");
            assertEquals(List.of("1"), listTags(registry.hostPort() + "/lab/app"));
        }
    }
}
