package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MediaTypeTest {

    @Test
    void shouldStripParametersWhitespaceAndCase() {
        assertEquals(MediaType.DOCKER_MANIFEST,
                MediaType.of("  Application/VND.docker.distribution.manifest.v2+json ; charset=utf-8 "));
        assertEquals("application/json", MediaType.of("application/json;charset=UTF-8").value());
    }

    @Test
    void shouldPassUnknownTypesThrough() {
        MediaType helm = MediaType.of("application/vnd.cncf.helm.config.v1+json");
        assertEquals("application/vnd.cncf.helm.config.v1+json", helm.toString());
        assertFalse(helm.isManifest());
        assertFalse(helm.isDocker());
        assertFalse(helm.isOci());
    }

    @Test
    void shouldClassifyManifestTypes() {
        assertTrue(MediaType.OCI_INDEX.isIndex());
        assertTrue(MediaType.DOCKER_MANIFEST_LIST.isIndex());
        assertTrue(MediaType.OCI_MANIFEST.isImageManifest());
        assertTrue(MediaType.DOCKER_MANIFEST.isImageManifest());
        assertTrue(MediaType.OCI_MANIFEST.isManifest());
        assertTrue(MediaType.OCI_INDEX.isManifest());
        assertFalse(MediaType.DOCKER_SCHEMA1.isManifest());
        assertTrue(MediaType.DOCKER_SCHEMA1.isSchema1());
        assertTrue(MediaType.DOCKER_SCHEMA1_SIGNED.isSchema1());
        assertTrue(MediaType.DOCKER_CONFIG.isDocker());
        assertTrue(MediaType.OCI_CONFIG.isOci());
        assertFalse(MediaType.OCI_CONFIG.isManifest());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"})
    void shouldRecogniseForeignLayers(String type) {
        assertTrue(MediaType.of(type).isForeignLayer());
    }

    @Test
    void shouldNotTreatRegularLayersAsForeign() {
        assertFalse(MediaType.of("application/vnd.oci.image.layer.v1.tar+gzip").isForeignLayer());
        assertFalse(MediaType.of("application/vnd.docker.image.rootfs.diff.tar.gzip").isForeignLayer());
    }

    @Test
    void shouldListSupportedTypesFirstAndSchema1LastInAcceptHeader() {
        String[] types = MediaType.acceptHeader().split(",\\s*");
        assertEquals(6, types.length);
        for (int i = 0; i < 4; i++) {
            assertTrue(MediaType.of(types[i]).isManifest(), types[i]);
        }
        assertTrue(MediaType.of(types[4]).isSchema1());
        assertTrue(MediaType.of(types[5]).isSchema1());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "json", "application/", "/json", "a b/c", ";charset=utf-8"})
    void shouldRejectValueThatIsNotTypeSlashSubtype(String value) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> MediaType.of(value));
        assertTrue(e.getMessage().startsWith("invalid media type"), e.getMessage());
    }
}
