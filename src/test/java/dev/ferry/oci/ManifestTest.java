package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestTest {

    private static final String HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    void shouldReadOciImageManifest() {
        byte[] raw = Fixtures.bytes("ociv1.manifest.json");
        ImageManifest m = assertInstanceOf(ImageManifest.class,
                Manifest.parse(raw, "application/vnd.oci.image.manifest.v1+json"));
        assertEquals(MediaType.OCI_MANIFEST, m.mediaType());
        assertEquals(2, m.schemaVersion());
        assertEquals(MediaType.OCI_CONFIG, m.config().mediaType());
        assertEquals(7023, m.config().size());
        assertEquals(3, m.layers().size());
        assertEquals(MediaType.of("application/vnd.oci.image.layer.v1.tar+zstd"), m.layers().get(2).mediaType());
        assertEquals(Map.of("org.opencontainers.image.title", "layer3.tar.zst"), m.layers().get(2).annotations());
        assertEquals(List.of("com.example.key1", "com.example.key2"), List.copyOf(m.annotations().keySet()));
        assertTrue(m.layers().get(0).urls().isEmpty());
        assertNull(m.artifactType());
        assertNull(m.subject());
        assertEquals(Digest.sha256Of(raw), m.digest());
        assertEquals(raw.length, m.size());
    }

    @Test
    void shouldReadOciImageIndexWithPlatforms() {
        ImageIndex index = assertInstanceOf(ImageIndex.class,
                Manifest.parse(Fixtures.bytes("ociv1.image.index.json"), null));
        assertEquals(MediaType.OCI_INDEX, index.mediaType());
        assertEquals(5, index.manifests().size());
        assertEquals("linux/arm64/v8", index.manifests().get(1).platform().toString());
        assertEquals(Map.of("com.example.key1", "value1"), index.annotations());
    }

    @Test
    void shouldReadDockerSchema2Manifest() {
        ImageManifest m = ImageManifest.parse(Fixtures.bytes("v2s2.manifest.json"),
                "application/vnd.docker.distribution.manifest.v2+json");
        assertEquals(MediaType.DOCKER_MANIFEST, m.mediaType());
        assertEquals(MediaType.DOCKER_CONFIG, m.config().mediaType());
        assertEquals(2, m.layers().size());
        Descriptor foreign = m.layers().get(1);
        assertTrue(foreign.mediaType().isForeignLayer());
        assertEquals(1, foreign.urls().size());
    }

    @Test
    void shouldReadDockerManifestListWithOsVersionAndFeatures() {
        ImageIndex list = ImageIndex.parse(Fixtures.bytes("v2list.manifest.json"),
                "application/vnd.docker.distribution.manifest.list.v2+json");
        assertEquals(MediaType.DOCKER_MANIFEST_LIST, list.mediaType());
        assertEquals(5, list.manifests().size());
        Platform windows = list.manifests().get(4).platform();
        assertEquals("windows", windows.os());
        assertEquals("10.0.17763.5329", windows.osVersion());
        assertEquals(List.of("win32k"), windows.osFeatures());
        assertEquals("linux/arm/v7", list.manifests().get(3).platform().toString());
        assertTrue(list.annotations().isEmpty());
    }

    @Test
    void shouldRefuseDockerSchema1() {
        OciFormatException e = assertThrows(OciFormatException.class,
                () -> Manifest.parse(Fixtures.bytes("v2s1.manifest.json"),
                        "application/vnd.docker.distribution.manifest.v1+prettyjws"));
        assertTrue(e.getMessage().startsWith("Docker schema 1 manifests are not supported (deprecated); "),
                e.getMessage());
        e = assertThrows(OciFormatException.class,
                () -> Manifest.parse(Fixtures.bytes("v2s1.manifest.json"), null));
        assertTrue(e.getMessage().startsWith("Docker schema 1 manifests are not supported"), e.getMessage());
    }

    @Test
    void shouldRefuseAmbiguousManifest() {
        OciFormatException e = assertThrows(OciFormatException.class,
                () -> Manifest.parse(Fixtures.bytes("ambiguous.manifest.json"), null));
        assertEquals("ambiguous manifest: has both manifests and layers", e.getMessage());
    }

    @Test
    void shouldDigestExactBytesOfNonCanonicalManifest() {
        byte[] raw = Fixtures.bytes("ociv1.indented.manifest.json");
        Manifest m = Manifest.parse(raw, "application/octet-stream");
        // sha256sum src/test/resources/oci/ociv1.indented.manifest.json
        assertEquals("sha256:82a6254079ac816cbbc136539ba9c347bad92ead2d3327165dc3304a796c6dde",
                m.digest().toString());
        assertArrayEquals(raw, m.raw());
        // no mediaType field and a generic Content-Type: inferred from config + layers
        assertEquals(MediaType.OCI_MANIFEST, m.mediaType());
    }

    @Test
    void shouldNotLetCallersMutateRawBytes() {
        byte[] raw = Fixtures.bytes("ociv1.manifest.json");
        Manifest m = Manifest.parse(raw, null);
        Digest before = m.digest();
        raw[0] = ' ';
        m.raw()[1] = ' ';
        assertTrue(before.matches(m.raw()));
    }

    @Test
    void shouldRefuseMediaTypeThatContradictsContentType() {
        OciFormatException e = assertThrows(OciFormatException.class,
                () -> Manifest.parse(Fixtures.bytes("ociv1.manifest.json"),
                        "application/vnd.docker.distribution.manifest.v2+json"));
        assertEquals("manifest mediaType application/vnd.oci.image.manifest.v1+json contradicts Content-Type "
                + "application/vnd.docker.distribution.manifest.v2+json", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "text/plain",
        "application/octet-stream", "  ", "not a media type"})
    void shouldIgnoreGenericOrMalformedContentType(String contentType) {
        Manifest m = Manifest.parse(Fixtures.bytes("v2s2.manifest.json"), contentType);
        assertEquals(MediaType.DOCKER_MANIFEST, m.mediaType());
    }

    @Test
    void shouldTakeMediaTypeFromContentTypeWhenDocumentHasNone() {
        String json = "{\"schemaVersion\":2,\"manifests\":[]}";
        Manifest m = Manifest.parse(json.getBytes(StandardCharsets.UTF_8),
                "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8");
        assertEquals(MediaType.DOCKER_MANIFEST_LIST, m.mediaType());
    }

    @Test
    void shouldInferOciIndexFromManifestsArray() {
        Manifest m = parse("{\"schemaVersion\":2,\"manifests\":[]}");
        assertInstanceOf(ImageIndex.class, m);
        assertEquals(MediaType.OCI_INDEX, m.mediaType());
    }

    @Test
    void shouldRefuseIndexMediaTypeOnDocumentWithLayers() {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"layers\":[]}";
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("ambiguous manifest"), e.getMessage());
    }

    @Test
    void shouldRefuseImageManifestMediaTypeOnDocumentWithManifests() {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"manifests\":[]}";
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("ambiguous manifest"), e.getMessage());
    }

    @Test
    void shouldRefuseUnknownManifestMediaType() {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example.thing+json\",\"layers\":[]}";
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("unsupported manifest media type application/vnd.example.thing+json"),
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "\"manifest\"", "42", "null"})
    void shouldRefuseNonObjectJson(String json) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertEquals("manifest is not a JSON object", e.getMessage());
    }

    @Test
    void shouldRefuseInvalidJson() {
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse("{\"schemaVersion\": 2,"));
        assertTrue(e.getMessage().startsWith("manifest is not valid JSON"), e.getMessage());
        assertThrows(OciFormatException.class, () -> parse("{\"schemaVersion\":2,\"manifests\":[]} {}"));
        assertThrows(OciFormatException.class, () -> Manifest.parse(new byte[0], null));
    }

    @Test
    void shouldRefuseDuplicateKeys() {
        OciFormatException e = assertThrows(OciFormatException.class,
                () -> parse("{\"schemaVersion\":2,\"manifests\":[],\"manifests\":[]}"));
        assertTrue(e.getMessage().contains("manifests"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"manifests\":[]}", "{\"schemaVersion\":3,\"manifests\":[]}",
        "{\"schemaVersion\":\"2\",\"manifests\":[]}"})
    void shouldRequireSchemaVersion2(String json) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("manifest schemaVersion"), e.getMessage());
    }

    @Test
    void shouldNameTheBadDescriptorField() {
        String json = "{\"schemaVersion\":2,"
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", "sha256:" + HEX, "1") + ","
                + "\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar", "sha256:" + HEX, "1") + ","
                + descriptor("application/vnd.oci.image.layer.v1.tar", "sha256:" + HEX, "2") + ","
                + descriptor("application/vnd.oci.image.layer.v1.tar", "sha256:nothex", "3") + "]}";
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("layers[2].digest: invalid digest \"sha256:nothex\""), e.getMessage());
    }

    @Test
    void shouldRejectNegativeOrFractionalSize() {
        String negative = "{\"schemaVersion\":2,\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", "sha256:" + HEX, "-1") + ",\"layers\":[]}";
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(negative));
        assertTrue(e.getMessage().startsWith("config.size: must be a non-negative integer"), e.getMessage());
        String fractional = "{\"schemaVersion\":2,\"manifests\":["
                + descriptor("application/vnd.oci.image.manifest.v1+json", "sha256:" + HEX, "1.5") + "]}";
        e = assertThrows(OciFormatException.class, () -> parse(fractional));
        assertTrue(e.getMessage().startsWith("manifests[0].size:"), e.getMessage());
    }

    @Test
    void shouldRequireDescriptorMediaType() {
        String json = "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:" + HEX + "\",\"size\":1}]}";
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("manifests[0].mediaType: missing"), e.getMessage());
    }

    @Test
    void shouldRequirePlatformOsAndArchitecture() {
        String json = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"digest\":\"sha256:" + HEX + "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}";
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("manifests[0].platform.architecture: missing"), e.getMessage());
    }

    @Test
    void shouldReadArtifactTypeAndSubject() {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"artifactType\":\"application/vnd.example.sbom\","
                + "\"config\":" + descriptor("application/vnd.oci.empty.v1+json", "sha256:" + HEX, "2") + ","
                + "\"layers\":[],"
                + "\"subject\":" + descriptor("application/vnd.oci.image.manifest.v1+json", "sha256:" + HEX, "7") + "}";
        ImageManifest m = assertInstanceOf(ImageManifest.class, parse(json));
        assertEquals("application/vnd.example.sbom", m.artifactType());
        assertEquals(7, m.subject().size());
        assertTrue(m.layers().isEmpty());
    }

    @Test
    void shouldRequireConfigInImageManifest() {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}";
        OciFormatException e = assertThrows(OciFormatException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("config: missing"), e.getMessage());
    }

    @Test
    void shouldRefuseIndexWhereImageManifestIsRequired() {
        assertThrows(OciFormatException.class,
                () -> ImageManifest.parse(Fixtures.bytes("ociv1.image.index.json"), null));
    }

    private static Manifest parse(String json) {
        return Manifest.parse(json.getBytes(StandardCharsets.UTF_8), null);
    }

    private static String descriptor(String mediaType, String digest, String size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }
}
