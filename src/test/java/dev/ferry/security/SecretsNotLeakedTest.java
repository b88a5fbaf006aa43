package dev.ferry.security;

import static dev.ferry.security.SecuredModeTest.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.TestImages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Credentials sent with requests (creds, registry tokens) and the caller's own bearer token appear nowhere: not in
 * answers, not in job events, not in the log file, not in the job store.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class SecretsNotLeakedTest {
    @Inject
    DataSource dataSource;

    @TestHTTPResource("/")
    URL base;

    @Test
    void shouldNeverStoreLogOrEchoCredentials() throws Exception {
        SharedRegistries r = SharedRegistries.get();
        String anon = r.anonymous().hostPort();
        String htpasswd = r.htpasswd().hostPort();
        String caller = SecuredProfile.tokenWithGroups("sam", Set.of("team-a"), "ferry-operator");
        String registryToken = "tok-" + "R3gistryT0ken-never-stored";
        String wrongPassword = "wr0ng-" + "Passw0rd-never-stored";
        TestImages.Image image = new TestImages(606).ociImage(2, 256, "linux", "amd64", null);
        new RegistryPusher(r.anonymous().baseUrl()).push("public/secrets", "1", image);

        List<String> seen = new ArrayList<>();
        // a copy whose destination needs the configured password, sent in the request
        String body = as(caller).header("Prefer", "wait=60")
                .body(Map.of("source", anon + "/public/secrets:1", "destination", htpasswd + "/team-a/secrets:1",
                        "srcTlsVerify", false, "destTlsVerify", false, "destCreds", r.creds()))
                .post("/api/v1/copy").then().statusCode(200).extract().asString();
        seen.add(body);
        String id = io.restassured.path.json.JsonPath.from(body).getString("id");
        assertEquals("succeeded", io.restassured.path.json.JsonPath.from(body).getString("state"), body);
        seen.add(as(caller).get("/api/v1/jobs/" + id).asString());
        seen.add(as(caller).get("/api/v1/jobs").asString());
        // a copy refused by the registry (wrong password): the error must not echo it
        String failed = as(caller).header("Prefer", "wait=60")
                .body(Map.of("source", anon + "/public/secrets:1", "destination", htpasswd + "/team-a/secrets:2",
                        "srcTlsVerify", false, "destTlsVerify", false, "destCreds", SharedRegistries.USER + ":" + wrongPassword))
                .post("/api/v1/copy").asString();
        seen.add(failed);
        String failedId = io.restassured.path.json.JsonPath.from(failed).getString("id");
        // reads with a token and with wrong credentials
        seen.add(as(caller).body(Map.of("image", anon + "/public/secrets:1", "tlsVerify", false, "registryToken", registryToken))
                .post("/api/v1/inspect").asString());
        seen.add(as(caller).body(Map.of("image", htpasswd + "/team-a/secrets:1", "tlsVerify", false,
                "creds", SharedRegistries.USER + ":" + wrongPassword)).post("/api/v1/inspect").asString());
        for (String job : List.of(id, failedId)) {
            HttpEventsWithToken events = new HttpEventsWithToken(base, caller);
            seen.add(events.read(job));
        }

        List<String> secrets = List.of(SharedRegistries.PASSWORD, registryToken, wrongPassword, caller);
        String answers = String.join("\n", seen);
        String log = Files.readString(Path.of(SecuredProfile.LOG));
        String store = dump();
        assertTrue(store.contains(id), "the store dump holds the job");
        assertTrue(log.length() > 0, "the log file was written");
        for (String secret : secrets) {
            String shown = secret.substring(0, 6) + "…";
            assertFalse(answers.contains(secret), "an answer or event contains " + shown);
            assertFalse(log.contains(secret), "the log contains " + shown);
            assertFalse(store.contains(secret), "the job store contains " + shown);
        }
    }

    private String dump() throws Exception {
        StringBuilder all = new StringBuilder();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (String table : List.of("jobs", "job_events")) {
                try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
                    int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= columns; i++) {
                            all.append(rs.getString(i)).append('\t');
                        }
                        all.append('\n');
                    }
                }
            }
        }
        return all.toString();
    }

    /** The job's SSE stream, read with the caller's token. */
    record HttpEventsWithToken(URL base, String token) {
        String read(String job) throws Exception {
            java.net.http.HttpResponse<String> resp = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(base.toURI().resolve("/api/v1/jobs/" + job + "/events"))
                            .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream")
                            .timeout(Duration.ofSeconds(30)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, resp.statusCode(), resp.body());
            assertTrue(resp.body().contains("event:"), resp.body());
            return resp.body();
        }
    }
}
