package dev.ferry.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Docker configs converted to OCI byte for byte as skopeo 1.9 converts them ({@code skopeo copy --format oci}):
 * the fixtures are pairs recorded from skopeo against a real registry (each pushed as a v2s2 image's config, copied
 * with {@code --format oci}, read back with {@code skopeo inspect --config --raw}; the recorded bytes hash to the
 * config digest skopeo's manifest names). A fixture whose {@code oci} is null is one skopeo refused.
 */
class OciConfigConversionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    List<DynamicTest> shouldConvertAsSkopeoDoes() throws Exception {
        JsonNode fixtures;
        try (InputStream in = getClass().getResourceAsStream("/oci-config-conversion/skopeo-1.9.json")) {
            fixtures = JSON.readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        fixtures.fields().forEachRemaining(e -> tests.add(DynamicTest.dynamicTest(e.getKey(), () -> {
            byte[] docker = e.getValue().path("docker").asText().getBytes(StandardCharsets.UTF_8);
            JsonNode oci = e.getValue().path("oci");
            if (oci.isNull()) {
                FerryException refused = assertThrows(FerryException.class, () -> OciConfigConversion.convert(docker, "img"));
                assertTrue(refused.getMessage().contains("img"), refused.getMessage());
            } else {
                assertEquals(oci.asText(), new String(OciConfigConversion.convert(docker, "img"), StandardCharsets.UTF_8));
            }
        })));
        assertTrue(tests.size() >= 10, "the recorded fixtures are there");
        return tests;
    }

    @Test
    void shouldRefuseWhatGosDecoderRefusesNamingTheField() {
        for (String[] c : new String[][] {
                {"{\"architecture\":5,\"os\":\"linux\"}", "architecture is not a string"},
                {"{\"os\":\"linux\",\"config\":{\"Env\":\"A=1\"}}", "config.Env is not an array"},
                {"{\"os\":\"linux\",\"config\":{\"Labels\":{\"a\":1}}}", "config.Labels[a] is not a string"},
                {"{\"os\":\"linux\",\"config\":{\"ExposedPorts\":{\"80/tcp\":\"yes\"}}}", "config.ExposedPorts[80/tcp] is not an object"},
                {"{\"os\":\"linux\",\"history\":{}}", "history is not an array"},
                {"{\"os\":\"linux\",\"created\":\"2024-02-30T00:00:00Z\"}", "created is not a valid time"},
                {"{\"os\":\"linux\",\"created\":\"2024-02-03 00:00:00Z\"}", "created is not an RFC 3339 time"},
                {"[1]", "not a JSON object"},
                {"{", "not JSON"}}) {
            FerryException e = assertThrows(FerryException.class,
                    () -> OciConfigConversion.convert(c[0].getBytes(StandardCharsets.UTF_8), "docker://r/app:1"), c[0]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains("docker://r/app:1"), e.getMessage());
            assertEquals(422, e.type().status(), c[0]);
        }
    }

    @Test
    void shouldSortMapKeysAsGoDoesByUtf8Bytes() {
        // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16
        String docker = "{\"os\":\"linux\",\"config\":{\"Labels\":{\"\\ud83d\\ude00\":\"b\",\"\\uff5e\":\"a\",\"A\":\"c\"}}}";
        String oci = new String(OciConfigConversion.convert(docker.getBytes(StandardCharsets.UTF_8), "x"), StandardCharsets.UTF_8);
        assertEquals("{\"architecture\":\"\",\"os\":\"linux\",\"config\":{\"Labels\":{\"A\":\"c\",\"\uff5e\":\"a\",\"\ud83d\ude00\":\"b\"}},"
                + "\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}", oci);
    }
}
