package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlatformSelectorTest {

    private static final ImageIndex OCI_INDEX =
            ImageIndex.parse(Fixtures.bytes("ociv1.image.index.json"), null);
    private static final ImageIndex DOCKER_LIST =
            ImageIndex.parse(Fixtures.bytes("v2list.manifest.json"), null);

    @Test
    void shouldPickExactArmV7() {
        assertEquals("linux/arm/v7", pick(OCI_INDEX, Platform.of("linux", "arm", "v7")));
    }

    @Test
    void shouldFallBackToLowerArmVariant() {
        ImageIndex index = index(entry("linux", "arm", "v5", 'a'), entry("linux", "arm", "v6", 'b'),
                entry("linux", "arm", "v8", 'c'));
        assertEquals("linux/arm/v6", pick(index, Platform.of("linux", "arm", "v7")));
        assertEquals("linux/arm/v5", pick(index, Platform.of("linux", "arm", "v5")));
    }

    @Test
    void shouldNotPickHigherArmVariant() {
        ImageIndex index = index(entry("linux", "arm", "v7", 'a'));
        assertTrue(PlatformSelector.select(index, Platform.of("linux", "arm", "v6")).isEmpty());
    }

    @Test
    void shouldPickArm64V8WhenNoVariantIsWanted() {
        assertEquals("linux/arm64/v8", pick(OCI_INDEX, Platform.of("linux", "arm64", null)));
    }

    @Test
    void shouldPickArm64WithoutVariantWhenV8IsWanted() {
        ImageIndex index = index(entry("linux", "amd64", null, 'a'), entry("linux", "arm64", null, 'b'));
        assertEquals("linux/arm64", pick(index, Platform.of("linux", "aarch64", "8")));
    }

    @Test
    void shouldPreferCandidateWithoutVariantWhenNoVariantIsWanted() {
        ImageIndex index = index(entry("linux", "arm64", "v8", 'a'), entry("linux", "arm64", null, 'b'));
        Descriptor chosen = PlatformSelector.select(index, Platform.of("linux", "arm64", null)).orElseThrow();
        assertEquals(index.manifests().get(1), chosen);
    }

    @Test
    void shouldPickAmd64ByDefault() {
        assertEquals("linux/amd64", pick(OCI_INDEX, PlatformSelector.defaultPlatform("linux", "x86_64", null)));
        Descriptor chosen = PlatformSelector.select(DOCKER_LIST, Platform.of("linux", "amd64", null)).orElseThrow();
        assertEquals(DOCKER_LIST.manifests().get(1), chosen);
    }

    @Test
    void shouldPickFirstOfEqualCandidatesInIndexOrder() {
        ImageIndex index = index(entry("linux", "amd64", null, 'a'), entry("linux", "amd64", null, 'b'));
        assertEquals(index.manifests().get(0),
                PlatformSelector.select(index, Platform.of("linux", "amd64", null)).orElseThrow());
    }

    @Test
    void shouldMatchOsToo() {
        Descriptor chosen = PlatformSelector.select(DOCKER_LIST, Platform.of("windows", "amd64", null)).orElseThrow();
        assertEquals("windows", chosen.platform().os());
        assertTrue(PlatformSelector.select(DOCKER_LIST, Platform.of("darwin", "amd64", null)).isEmpty());
    }

    @Test
    void shouldFindNothingForMissingArchitecture() {
        assertTrue(PlatformSelector.select(OCI_INDEX, Platform.of("linux", "s390x", null)).isEmpty());
    }

    @Test
    void shouldSkipDescriptorsWithoutPlatform() {
        ImageIndex index = index("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":1,"
                + "\"digest\":\"sha256:" + "a".repeat(64) + "\"}", entry("linux", "amd64", null, 'b'));
        assertEquals(index.manifests().get(1),
                PlatformSelector.select(index, Platform.of("linux", "amd64", null)).orElseThrow());
    }

    private static String pick(ImageIndex index, Platform wanted) {
        Optional<Descriptor> chosen = PlatformSelector.select(index, wanted);
        return chosen.orElseThrow(() -> new AssertionError("nothing selected for " + wanted)).platform().toString();
    }

    private static String entry(String os, String arch, String variant, char hexChar) {
        return "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":1,"
                + "\"digest\":\"sha256:" + String.valueOf(hexChar).repeat(64) + "\","
                + "\"platform\":{\"os\":\"" + os + "\",\"architecture\":\"" + arch + "\""
                + (variant == null ? "" : ",\"variant\":\"" + variant + "\"") + "}}";
    }

    private static ImageIndex index(String... entries) {
        String json = "{\"schemaVersion\":2,\"manifests\":[" + String.join(",", entries) + "]}";
        return ImageIndex.parse(json.getBytes(StandardCharsets.UTF_8), null);
    }
}
