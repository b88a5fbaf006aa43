package dev.ferry.api;

import static dev.ferry.api.InspectTest.inspect;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Credentials that the request does not carry: from a containers auth.json (skopeo's --authfile) and
 * from per-registry configuration, always chosen by exact host; and the registry policy.
 */
@QuarkusTest
@TestProfile(ConfiguredCredentialsTest.Profile.class)
class ConfiguredCredentialsTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            SharedRegistries r = SharedRegistries.get();
            try {
                Path dir = Files.createTempDirectory("ferry-auth");
                Path authFile = dir.resolve("auth.json");
                String auth = Base64.getEncoder().encodeToString(r.creds().getBytes(StandardCharsets.UTF_8));
                // The htpasswd registry's entry, and a decoy under a host that only shares the IP address.
                Files.writeString(authFile, "{\"auths\":{\"" + r.htpasswd().hostPort() + "\":{\"auth\":\"" + auth + "\"},"
                        + "\"127.0.0.1\":{\"auth\":\"" + Base64.getEncoder().encodeToString("x:y".getBytes()) + "\"}}}");
                Path passwordFile = dir.resolve("token-password");
                Files.writeString(passwordFile, r.password() + "\n");
                return Map.of(
                        "ferry.auth-file", authFile.toString(),
                        "ferry.registries.\"" + r.token().hostPort() + "\".username", r.user(),
                        "ferry.registries.\"" + r.token().hostPort() + "\".password-file", passwordFile.toString(),
                        "ferry.registry-policy.deny", "169.254.*,10.*,metadata.google.internal");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @BeforeAll
    static void pushFixtures() {
        SharedRegistries r = SharedRegistries.get();
        TestImages.Image img = new TestImages(11).ociImage(1, 512, "linux", "amd64", null);
        new RegistryPusher(r.htpasswd().baseUrl()).withBasic(r.user(), r.password()).push("configured/app", "v1", img);
        new RegistryPusher(r.token().baseUrl()).withBasic(r.user(), r.password()).push("configured/app", "v1", img);
    }

    @Test
    void shouldUseTheAuthFileEntryOfTheExactHost() {
        inspect(Map.of("image", SharedRegistries.get().htpasswd().hostPort() + "/configured/app:v1")).then()
                .statusCode(200).body("Name", equalTo(SharedRegistries.get().htpasswd().hostPort() + "/configured/app"));
    }

    @Test
    void shouldUseConfiguredCredentialsWithAPasswordFile() {
        inspect(Map.of("image", SharedRegistries.get().token().hostPort() + "/configured/app:v1")).then()
                .statusCode(200);
    }

    @Test
    void shouldLetTheRequestOverrideConfiguredCredentials() {
        inspect(Map.of("image", SharedRegistries.get().htpasswd().hostPort() + "/configured/app:v1", "noCreds", true)).then()
                .statusCode(401).body("type", equalTo("urn:ferry:problem:registry-unauthorized"));
    }

    @Test
    void shouldRefuseRegistriesThePolicyDenies() {
        for (String image : new String[] {"169.254.169.254/latest/meta:data", "10.0.0.1:5000/x:y", "metadata.google.internal/a:b"}) {
            inspect(Map.of("image", image)).then()
                    .statusCode(403).contentType("application/problem+json")
                    .body("type", equalTo("urn:ferry:problem:registry-not-allowed"))
                    .body("detail", containsString("not allowed"));
        }
    }

    @Test
    void shouldRefuseConflictingCredentialFields() {
        inspect(Map.of("image", "127.0.0.1:1/a:b", "creds", "a:b", "registryToken", "t")).then()
                .statusCode(400).body("errors[0].field", equalTo("creds"));
        inspect(Map.of("image", "127.0.0.1:1/a:b", "creds", "no-colon")).then()
                .statusCode(400).body("errors[0].field", equalTo("creds"))
                .body("detail", org.hamcrest.Matchers.not(containsString("no-colon")));
    }
}
