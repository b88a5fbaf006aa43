package dev.ferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Push fixtures with RegistryPusher into each kind of real registry and check them with real skopeo. */
class RoundTripTest {

    enum Kind {
        ANONYMOUS, HTPASSWD, TOKEN;

        RegistryProcess registry() {
            SharedRegistries s = SharedRegistries.get();
            return switch (this) {
                case ANONYMOUS -> s.anonymous();
                case HTPASSWD -> s.htpasswd();
                case TOKEN -> s.token();
            };
        }

        RegistryPusher pusher() {
            RegistryPusher p = new RegistryPusher(registry().baseUrl());
            return this == ANONYMOUS ? p : p.withBasic(SharedRegistries.USER, SharedRegistries.PASSWORD);
        }

        String[] creds(String... more) {
            List<String> a = new ArrayList<>(List.of(more));
            if (this != ANONYMOUS) {
                a.add("--creds");
                a.add(SharedRegistries.get().creds());
            }
            return a.toArray(String[]::new);
        }

        String repo(String what) {
            return "roundtrip/" + name().toLowerCase() + "/" + what;
        }
    }

    private final TestImages images = new TestImages(42);

    private void assertRoundTrip(Kind kind, String repo, TestImages.Image image) {
        RegistryProcess reg = kind.registry();
        kind.pusher().push(repo, "v1", image);
        String ref = reg.hostPort() + "/" + repo + ":v1";
        byte[] raw = Skopeo.inspectRaw(ref, kind.creds());
        assertArrayEquals(image.manifest(), raw, "raw manifest bytes");
        assertEquals(image.digest(), TestImages.sha256(raw));
        byte[] byDigest = Skopeo.inspectRaw(reg.hostPort() + "/" + repo + "@" + image.digest(), kind.creds());
        assertEquals(image.digest(), TestImages.sha256(byDigest));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void ociImage(Kind kind) {
        TestImages.Image img = images.ociImage(3, 2048, "linux", "amd64", null);
        assertRoundTrip(kind, kind.repo("oci"), img);
        JsonNode info = Skopeo.inspect(kind.registry().hostPort() + "/" + kind.repo("oci") + ":v1", kind.creds());
        assertEquals(img.digest(), info.path("Digest").asText());
        assertEquals("amd64", info.path("Architecture").asText());
        assertEquals("linux", info.path("Os").asText());
        assertEquals("2024-03-01T12:34:56.789Z", info.path("Created").asText());
        assertEquals("ferry", info.path("Labels").path("maintainer").asText());
        assertEquals(3, info.path("Layers").size());
        assertEquals(img.layers().get(0).digest(), info.path("Layers").get(0).asText());
        assertTrue(info.path("Env").toString().contains("FERRY_TEST=1"), info.toString());
        assertEquals(List.of("v1"), List.of(info.path("RepoTags").get(0).asText()));
        // skopeo 1.9.3 prints no LayersData, so layer annotations can only be checked against the raw manifest
        assertTrue(img.manifestString().contains("\"" + TestImages.LAYER_TITLE_ANNOTATION + "\":\"layer-2.tar.gz\""));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void dockerImage(Kind kind) {
        TestImages.Image img = images.dockerImage(2, 4096);
        assertRoundTrip(kind, kind.repo("docker"), img);
        JsonNode info = Skopeo.inspect(kind.registry().hostPort() + "/" + kind.repo("docker") + ":v1", kind.creds());
        assertEquals(img.digest(), info.path("Digest").asText());
        assertEquals("24.0.7", info.path("DockerVersion").asText());
        assertEquals(2, info.path("Layers").size());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void multiPlatformIndex(Kind kind) {
        TestImages.Image idx = images.multiPlatformOci();
        assertRoundTrip(kind, kind.repo("multi"), idx);
        String ref = kind.registry().hostPort() + "/" + kind.repo("multi") + ":v1";
        JsonNode arm = Skopeo.inspect(ref, kind.creds("--override-arch", "arm64"));
        assertEquals("arm64", arm.path("Architecture").asText());
        // skopeo reports the digest of the index itself, and the chosen child's config/layers
        assertEquals(idx.digest(), arm.path("Digest").asText());
        assertEquals(idx.children().get(1).layers().get(0).digest(), arm.path("Layers").get(0).asText());
        JsonNode v7 = Skopeo.inspect(ref, kind.creds("--override-arch", "arm", "--override-variant", "v7"));
        assertEquals("arm", v7.path("Architecture").asText());
        assertEquals(idx.children().get(2).layers().get(0).digest(), v7.path("Layers").get(0).asText());
        JsonNode amd = Skopeo.inspect(ref, kind.creds("--override-arch", "amd64", "--override-os", "linux"));
        assertEquals(idx.children().get(0).layers().get(0).digest(), amd.path("Layers").get(0).asText());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void nonCanonicalManifest(Kind kind) {
        TestImages.Image plain = images.ociImage(1, 512, "linux", "amd64", null);
        TestImages.Image odd = TestImages.nonCanonical(plain);
        assertTrue(odd.manifestString().endsWith("}\n"));
        assertTrue(!odd.digest().equals(plain.digest()));
        assertRoundTrip(kind, kind.repo("noncanonical"), odd);
    }
}
