package dev.ferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TestImagesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void digestsAreSha256OfExactBytes() {
        TestImages.Image img = new TestImages(1).ociImage(3, 100, "linux", "arm64", "v8");
        assertEquals(TestImages.sha256(img.manifest()), img.digest());
        img.blobs().forEach(b -> assertEquals(TestImages.sha256(b.bytes()), b.digest()));
        assertEquals(4, img.blobs().size());
        assertEquals(TestImages.OCI_CONFIG, img.config().mediaType());
        img.layers().forEach(b -> assertEquals(100, b.size()));
    }

    @Test
    void deterministicPerSeed() {
        TestImages.Image a = new TestImages(9).multiPlatformOci();
        TestImages.Image b = new TestImages(9).multiPlatformOci();
        TestImages.Image c = new TestImages(10).multiPlatformOci();
        assertArrayEquals(a.manifest(), b.manifest());
        assertNotEquals(a.digest(), c.digest());
    }

    @Test
    void ociManifestAndConfigShape() throws Exception {
        TestImages.Image img = new TestImages(2).ociImage(2, 10, "linux", "arm", "v7");
        JsonNode m = JSON.readTree(img.manifest());
        assertEquals(2, m.path("schemaVersion").asInt());
        assertEquals(TestImages.OCI_MANIFEST, m.path("mediaType").asText());
        assertEquals(img.config().digest(), m.path("config").path("digest").asText());
        assertEquals(TestImages.OCI_LAYER, m.path("layers").get(0).path("mediaType").asText());
        assertEquals("layer-1.tar.gz", m.path("layers").get(1).path("annotations")
                .path("org.opencontainers.image.title").asText());
        JsonNode c = img.configJson();
        assertEquals("2024-03-01T12:34:56.789Z", c.path("created").asText());
        assertEquals("arm", c.path("architecture").asText());
        assertEquals("v7", c.path("variant").asText());
        assertEquals("/bin/sh", c.path("config").path("Cmd").get(0).asText());
        assertEquals("ferry-test", c.path("config").path("Labels").path("org.opencontainers.image.title").asText());
        assertEquals(2, c.path("rootfs").path("diff_ids").size());
        assertTrue(c.path("rootfs").path("diff_ids").get(0).asText().matches("sha256:[0-9a-f]{64}"));
        assertEquals(3, c.path("history").size());
    }

    @Test
    void dockerImageAndManifestList() throws Exception {
        TestImages gen = new TestImages(3);
        TestImages.Image d = gen.dockerImage(2, 10);
        JsonNode c = d.configJson();
        assertEquals("24.0.7", c.path("docker_version").asText());
        assertTrue(c.has("container_config"));
        assertEquals("amd64", d.architecture());
        assertEquals(TestImages.DOCKER_LAYER, JSON.readTree(d.manifest()).path("layers").get(1).path("mediaType").asText());
        TestImages.Image list = gen.dockerManifestList(List.of(d, gen.dockerImage(1, 5, "linux", "arm64", "v8")));
        JsonNode l = JSON.readTree(list.manifest());
        assertEquals(TestImages.DOCKER_MANIFEST_LIST, l.path("mediaType").asText());
        assertEquals("arm64", l.path("manifests").get(1).path("platform").path("architecture").asText());
        assertEquals("v8", l.path("manifests").get(1).path("platform").path("variant").asText());
        assertFalse(l.path("manifests").get(0).path("platform").has("variant"));
        assertEquals(d.manifest().length, l.path("manifests").get(0).path("size").asInt());
        assertTrue(list.isIndex());
        assertTrue(list.blobs().isEmpty());
    }

    @Test
    void nonCanonicalKeepsContentChangesBytes() throws Exception {
        TestImages.Image img = new TestImages(4).multiPlatformOci();
        TestImages.Image odd = TestImages.nonCanonical(img);
        assertEquals(JSON.readTree(img.manifest()), JSON.readTree(odd.manifest()));
        assertNotEquals(img.digest(), odd.digest());
        assertEquals(TestImages.sha256(odd.manifest()), odd.digest());
        assertTrue(odd.manifestString().startsWith("{\n   \"schemaVersion\": 2,\n"), odd.manifestString());
        assertTrue(odd.manifestString().endsWith("\n}\n"));
        assertEquals(img.children(), odd.children());
    }
}
