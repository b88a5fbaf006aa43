package dev.ferry.credentials;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Credentials as a managed resource (skopeo's login / logout) against a real htpasswd registry, and an auth file's
 * credHelpers / credsStore run as docker runs them (scripts named docker-credential-* in a configured directory).
 * No secret appears in an answer, an event, the log or the stored row.
 */
@QuarkusTest
@TestProfile(CredentialsTest.Profile.class)
class CredentialsTest {
    static final Path DIR = temp();
    static final Path LOG = DIR.resolve("ferry.log");
    static final String LEAKY = "leaky-" + "helper-output-secret";

    static Path temp() {
        try {
            return Files.createTempDirectory("ferry-credentials");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            SharedRegistries r = SharedRegistries.get();
            try {
                Path helpers = Files.createDirectories(DIR.resolve("helpers"));
                // answers for the token registry only, as docker-credential-* helpers do (host on stdin)
                script(helpers.resolve("docker-credential-test"), "#!/bin/sh\nread host\n"
                        + "if [ \"$1\" = get ] && [ \"$host\" = \"" + r.token().hostPort() + "\" ]; then\n"
                        + "  printf '{\"ServerURL\":\"%s\",\"Username\":\"" + r.user() + "\",\"Secret\":\"" + r.password() + "\"}' \"$host\"\n"
                        + "else\n  echo 'credentials not found in native keychain'; exit 1\nfi\n");
                script(helpers.resolve("docker-credential-empty"), "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n");
                script(helpers.resolve("docker-credential-broken"), "#!/bin/sh\necho '" + LEAKY + "'\nexit 3\n");
                Path auth = DIR.resolve("auth.json");
                Files.writeString(auth, "{\"credHelpers\":{\"" + r.token().hostPort() + "\":\"test\",\"127.0.0.1:1\":\"absent\","
                        + "\"127.0.0.1:2\":\"broken\"},\"credsStore\":\"empty\"}");
                return Map.of(
                        "ferry.store.secret-key", Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes()),
                        "ferry.auth-file", auth.toString(),
                        "ferry.credentials.helper-dir", helpers.toString(),
                        "quarkus.log.file.enabled", "true",
                        "quarkus.log.file.path", LOG.toString(),
                        "quarkus.log.category.\"dev.ferry\".level", "DEBUG");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void script(Path p, String text) throws IOException {
            Files.writeString(p, text);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Inject
    DataSource dataSource;

    private static TestImages.Image image;

    @BeforeAll
    static void pushFixtures() {
        SharedRegistries r = SharedRegistries.get();
        image = new TestImages(1205).ociImage(1, 512, "linux", "amd64", null);
        new RegistryPusher(r.htpasswd().baseUrl()).withBasic(r.user(), r.password()).push("login/app", "v1", image);
        new RegistryPusher(r.token().baseUrl()).withBasic(r.user(), r.password()).push("login/app", "v1", image);
        new RegistryPusher(r.anonymous().baseUrl()).push("login/app", "v1", image);
    }

    private static io.restassured.response.Response inspect(String ref, Map<String, Object> extra) {
        Map<String, Object> body = new java.util.HashMap<>(extra);
        body.put("image", ref);
        body.put("tlsVerify", false);
        return given().contentType("application/json").body(body).post("/api/v1/inspect");
    }

    @Test
    void shouldLogInUseTheCredentialsByExactHostAndLogOut() throws Exception {
        SharedRegistries r = SharedRegistries.get();
        String host = r.htpasswd().hostPort();
        List<String> answers = new ArrayList<>();
        inspect(host + "/login/app:v1", Map.of()).then().statusCode(401);

        String created = given().contentType("application/json").body(Map.of("username", r.user(), "password", r.password()))
                .put("/api/v1/credentials/" + host).then().statusCode(201)
                .body("host", equalTo(host)).body("kind", equalTo("basic")).body("setBy", equalTo("local"))
                .extract().asString();
        answers.add(created);
        String listing = given().get("/api/v1/credentials").then().statusCode(200)
                .body("credentials.host", org.hamcrest.Matchers.hasItem(host)).extract().asString();
        answers.add(listing);
        assertFalse(JsonPath.from(listing).getString("credentials").contains("username"), "no user name, no secret: " + listing);

        answers.add(inspect(host + "/login/app:v1", Map.of()).then().statusCode(200).body("Digest", equalTo(image.digest()))
                .extract().asString());
        // a copy job uses them too (the destination), and a request's own credentials still come first
        String job = given().contentType("application/json").header("Prefer", "wait=60")
                .body(Map.of("source", r.anonymous().hostPort() + "/login/app:v1", "destination", host + "/login/copied:v1",
                        "srcTlsVerify", false, "destTlsVerify", false))
                .post("/api/v1/copy").then().statusCode(200).body("state", equalTo("succeeded")).extract().asString();
        answers.add(job);
        answers.add(given().get("/api/v1/jobs/" + JsonPath.from(job).getString("id") + "/events").asString());
        assertTrue(Skopeo.run("inspect", "--raw", "--tls-verify=false", "--creds", r.creds(), "docker://" + host + "/login/copied:v1").ok());
        inspect(host + "/login/app:v1", Map.of("noCreds", true)).then().statusCode(401);
        // the same registry under another name is another host
        inspect("localhost:" + r.htpasswd().port() + "/login/app:v1", Map.of()).then().statusCode(401);

        // replaced: 200, the listing's time moves on
        given().contentType("application/json").body(Map.of("username", r.user(), "password", r.password()))
                .put("/api/v1/credentials/" + host).then().statusCode(200);

        String row = storedRows();
        assertTrue(row.contains(host), row);
        for (String secret : List.of(r.password(), Base64.getEncoder().encodeToString(r.creds().getBytes(StandardCharsets.UTF_8)))) {
            assertFalse(row.contains(secret), "the stored row holds the secret in the clear");
            assertFalse(String.join("\n", answers).contains(secret), "an answer holds the secret");
        }
        assertFalse(row.contains("\"username\""), "the user name is sealed too");

        given().delete("/api/v1/credentials/" + host).then().statusCode(204);
        inspect(host + "/login/app:v1", Map.of()).then().statusCode(401);
        given().delete("/api/v1/credentials/" + host).then().statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:credentials-not-found"));
        assertFalse(storedRows().contains(host), "logout removes the row");
        assertFalse(Files.readString(LOG).contains(r.password()), "the log holds the password");
    }

    @Test
    void shouldStoreATokenAndRefuseMalformedLogins() {
        given().contentType("application/json").body(Map.of("token", "t0ken-for-tests"))
                .put("/api/v1/credentials/127.0.0.1:3").then().statusCode(201).body("kind", equalTo("token"));
        given().delete("/api/v1/credentials/127.0.0.1:3").then().statusCode(204);
        given().contentType("application/json").body(Map.of("token", "t", "password", "p"))
                .put("/api/v1/credentials/127.0.0.1:3").then().statusCode(400).body("errors[0].field", equalTo("token"));
        given().contentType("application/json").body(Map.of("username", "u"))
                .put("/api/v1/credentials/127.0.0.1:3").then().statusCode(400).body("errors[0].field", equalTo("password"));
        given().contentType("application/json").body(Map.of("username", "u", "password", "p", "isAdmin", true))
                .put("/api/v1/credentials/127.0.0.1:3").then().statusCode(400);
        given().contentType("application/json").body(Map.of("username", "u", "password", "p"))
                .put("/api/v1/credentials/Not_A_Host!").then().statusCode(400).body("errors[0].field", equalTo("host"));
        given().contentType("application/json").body(Map.of("username", "u", "password", "p"))
                .put("/api/v1/credentials/index.docker.io").then().statusCode(400)
                .body("detail", containsString("docker.io"));
        given().contentType("application/json").body(Map.of("username", "u", "password", "line\nbreak"))
                .put("/api/v1/credentials/127.0.0.1:3").then().statusCode(400)
                .body(org.hamcrest.Matchers.not(containsString("line")));
    }

    @Test
    void shouldRunTheAuthFilesCredentialHelpersAsDockerDoes() throws Exception {
        SharedRegistries r = SharedRegistries.get();
        // credHelpers entry for the token registry: the helper's user and password get a token from its realm
        inspect(r.token().hostPort() + "/login/app:v1", Map.of()).then().statusCode(200).body("Digest", equalTo(image.digest()));
        // credsStore for every other host: "credentials not found" means anonymous
        inspect(r.anonymous().hostPort() + "/login/app:v1", Map.of()).then().statusCode(200);
        // a helper that is not installed, or that fails: a clear problem before any connection, no output echoed
        inspect("127.0.0.1:1/login/app:v1", Map.of()).then().statusCode(502).contentType("application/problem+json")
                .body("type", equalTo("urn:ferry:problem:credential-helper-failed"))
                .body("detail", containsString("docker-credential-absent for 127.0.0.1:1 is not installed"));
        String broken = inspect("127.0.0.1:2/login/app:v1", Map.of()).then().statusCode(502)
                .body("type", equalTo("urn:ferry:problem:credential-helper-failed"))
                .body("detail", containsString("exit 3")).extract().asString();
        assertFalse(broken.contains(LEAKY), broken);
        assertFalse(Files.readString(LOG).contains(LEAKY), "the helper's output is never logged");
    }

    private String storedRows() throws Exception {
        StringBuilder all = new StringBuilder();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM registry_credentials")) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= columns; i++) {
                    all.append(rs.getString(i)).append('\t');
                }
                all.append('\n');
            }
        }
        return all.toString();
    }
}
