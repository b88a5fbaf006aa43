package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlatformTest {

    @Test
    void shouldPrintOsArchitectureAndVariant() {
        assertEquals("linux/arm64/v8", Platform.of("linux", "arm64", "v8").toString());
        assertEquals("linux/amd64", Platform.of("linux", "amd64", null).toString());
    }

    @Test
    void shouldTreatBlankVariantAsMissingAndFeaturesAsEmpty() {
        Platform p = new Platform("linux", "amd64", " ", "", null);
        assertNull(p.variant());
        assertNull(p.osVersion());
        assertTrue(p.osFeatures().isEmpty());
    }

    @Test
    void shouldRequireOsAndArchitecture() {
        assertThrows(OciFormatException.class, () -> Platform.of("", "amd64", null));
        assertThrows(OciFormatException.class, () -> Platform.of("linux", null, null));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "linux/x86_64,       linux/amd64",
        "linux/x86-64,       linux/amd64",
        "Linux/AMD64,        linux/amd64",
        "linux/aarch64,      linux/arm64",
        "linux/aarch64/8,    linux/arm64/v8",
        "linux/arm64/v8,     linux/arm64/v8",
        "linux/armhf,        linux/arm/v7",
        "linux/armel,        linux/arm/v6",
        "linux/arm/7,        linux/arm/v7",
        "linux/arm/v6,       linux/arm/v6",
        "linux/i386,         linux/386",
        "macos/arm64,        darwin/arm64",
        "linux/ppc64le,      linux/ppc64le",
    })
    void shouldNormaliseLikeContainerd(String input, String expected) {
        assertEquals(expected, Platform.parse(input).normalized().toString());
    }

    @Test
    void shouldKeepOsVersionAndFeaturesWhenNormalising() {
        Platform p = new Platform("windows", "x86_64", null, "10.0.17763", List.of("win32k")).normalized();
        assertEquals("10.0.17763", p.osVersion());
        assertEquals(List.of("win32k"), p.osFeatures());
        assertEquals("amd64", p.architecture());
    }

    @Test
    void shouldRejectMalformedPlatformString() {
        assertThrows(OciFormatException.class, () -> Platform.parse("linux"));
        assertThrows(OciFormatException.class, () -> Platform.parse("linux/arm/v7/x"));
        assertThrows(OciFormatException.class, () -> Platform.parse("linux//v7"));
    }
}
