package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {

    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String EMPTY_SHA512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    @Test
    void shouldParseSha256Digest() {
        Digest digest = Digest.parse("sha256:" + EMPTY_SHA256);
        assertEquals(Digest.SHA256, digest.algorithm());
        assertEquals(EMPTY_SHA256, digest.hex());
        assertEquals("sha256:" + EMPTY_SHA256, digest.toString());
    }

    @Test
    void shouldParseSha512Digest() {
        Digest digest = Digest.parse("sha512:" + EMPTY_SHA512);
        assertEquals("sha512", digest.algorithm());
        assertTrue(digest.matches(new byte[0]));
    }

    @Test
    void shouldComputeSha256OfBytes() {
        assertEquals(Digest.parse("sha256:" + EMPTY_SHA256), Digest.sha256Of(new byte[0]));
    }

    @Test
    void shouldMatchOnlyTheHashedBytes() {
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256Of(data);
        assertTrue(digest.matches(data));
        assertFalse(digest.matches("hello!".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldProvideStreamingMessageDigestForItsAlgorithm() {
        byte[] data = "streamed".getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256Of(data);
        var md = digest.newMessageDigest();
        md.update(data, 0, 3);
        md.update(data, 3, data.length - 3);
        byte[] result = md.digest();
        assertTrue(digest.matchesDigestBytes(result));
        assertArrayEquals(Digest.sha256Of(data).newMessageDigest().digest(data), result);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
        "sha256:",
        "sha256",
        ":e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:zzzzc44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        " sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    })
    void shouldRejectMalformedDigestAsInvalid(String text) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> Digest.parse(text));
        assertTrue(e.getMessage().startsWith("invalid digest \"" + text + "\""), e.getMessage());
    }

    @ParameterizedTest
    @NullAndEmptySource
    void shouldRejectMissingDigestAsInvalid(String text) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> Digest.parse(text));
        assertTrue(e.getMessage().startsWith("invalid digest"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"md5:d41d8cd98f00b204e9800998ecf8427e", "sha384:abc", "blake3:ABC_def=", "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"})
    void shouldRejectWellFormedDigestWithOtherAlgorithmAsUnsupported(String text) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> Digest.parse(text));
        assertTrue(e.getMessage().startsWith("unsupported digest algorithm"), e.getMessage());
    }
}
