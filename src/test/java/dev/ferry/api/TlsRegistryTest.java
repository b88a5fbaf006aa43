package dev.ferry.api;

import static dev.ferry.api.InspectTest.inspect;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.testing.RegistryProcess;
import dev.ferry.testing.RegistryPusher;
import dev.ferry.testing.SharedRegistries;
import dev.ferry.testing.Skopeo;
import dev.ferry.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Registries over https: verified by default (with a per-registry CA bundle), unverified only with tlsVerify=false. */
@QuarkusTest
@TestProfile(TlsRegistryTest.Profile.class)
class TlsRegistryTest {
    /** Trusted through ferry.registries."HOST".ca-file. */
    static final RegistryProcess TRUSTED = RegistryProcess.tls();
    /** Its certificate is trusted by nobody. */
    static final RegistryProcess UNTRUSTED = RegistryProcess.tls();

    static {
        // Quarkus may load this class in more than one class loader: each copy stops its own registries.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            TRUSTED.close();
            UNTRUSTED.close();
        }));
    }

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.registries.\"" + TRUSTED.hostPort() + "\".ca-file", TRUSTED.certificate().toString());
        }
    }

    @BeforeAll
    static void pushFixtures() {
        TestImages.Image image = new TestImages(31).ociImage(1, 1024, "linux", "amd64", null);
        new RegistryPusher(SharedRegistries.get().anonymous().baseUrl()).push("tls/app", "v1", image);
        String from = "docker://" + SharedRegistries.get().anonymous().hostPort() + "/tls/app:v1";
        for (RegistryProcess r : new RegistryProcess[] {TRUSTED, UNTRUSTED}) {
            Skopeo.Result copied = Skopeo.copy(from, "docker://" + r.hostPort() + "/tls/app:v1");
            assertEquals(0, copied.exitCode(), copied.stderr());
        }
    }

    @Test
    void shouldVerifyTlsWithTheRegistrysOwnCaBundle() {
        inspect(Map.of("image", TRUSTED.hostPort() + "/tls/app:v1", "tlsVerify", true)).then()
                .statusCode(200).body("Name", equalTo(TRUSTED.hostPort() + "/tls/app"));
    }

    @Test
    void shouldRefuseAnUntrustedCertificateByDefault() {
        Map<String, Object> body = new HashMap<>();
        body.put("image", UNTRUSTED.hostPort() + "/tls/app:v1");
        body.put("retryTimes", 0);
        given(body).then().statusCode(502)
                .body("type", equalTo("urn:ferry:problem:registry-unreachable"))
                .body("detail", containsString("TLS"));
    }

    private static io.restassured.response.Response given(Map<String, Object> body) {
        return io.restassured.RestAssured.given().contentType("application/json").body(body).post("/api/v1/inspect");
    }

    @Test
    void shouldAcceptAnyCertificateWithTlsVerifyFalseLikeSkopeo() {
        inspect(Map.of("image", UNTRUSTED.hostPort() + "/tls/app:v1", "tlsVerify", false)).then().statusCode(200);
    }

    @Test
    void shouldCopyIntoAVerifiedTlsRegistry() {
        io.restassured.RestAssured.given().contentType("application/json").header("Prefer", "wait=60")
                .body(Map.of("source", SharedRegistries.get().anonymous().hostPort() + "/tls/app:v1", "srcTlsVerify", false,
                        "destination", TRUSTED.hostPort() + "/tls/copied:v1"))
                .post("/api/v1/copy").then().statusCode(200).body("state", equalTo("succeeded"));
    }
}
