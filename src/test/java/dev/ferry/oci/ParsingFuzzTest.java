package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Fuzzing of what Ferry parses from callers and registries: image references, digests and manifests. Whatever the
 * input, the only exception is the documented one, {@link OciFormatException} (answered as a 400 or a registry
 * problem), never a NullPointerException, NumberFormatException, StackOverflowError or the like. A fixed seed and a
 * fixed number of tries keep it deterministic and about a second long.
 */
class ParsingFuzzTest {
    private static final String SEED = "8008";

    /** Strings built from the characters references are made of, plus a few hostile ones. */
    @Provide
    Arbitrary<String> referenceLike() {
        Arbitrary<String> token = Arbitraries.oneOf(
                Arbitraries.strings().withChars("abcAZ019._-:/@[]%").ofMinLength(0).ofMaxLength(12),
                Arbitraries.of("docker://", "oci:", "127.0.0.1:", "99999", "0", "65536", "localhost", "[::1]", "sha256:",
                        "sha512:", "md5:", "..", "%2e%2e/", "/", ":", "@", "latest", "a".repeat(130), "\u0000", "\u00e9",
                        "docker.io/", "library/", "x".repeat(300), "sha256:" + "a".repeat(64), "sha256:" + "A".repeat(64)));
        return token.list().ofMinSize(0).ofMaxSize(8).map(parts -> String.join("", parts));
    }

    @Property(tries = 3000, seed = SEED, shrinking = ShrinkingMode.OFF)
    void referenceParsingThrowsOnlyOciFormatException(@ForAll("referenceLike") String input) {
        ImageReference ref;
        try {
            ref = ImageReference.parse(input);
        } catch (OciFormatException expected) {
            return;
        }
        // what parses prints back as a reference that parses to the same thing
        assertEquals(ref, ImageReference.parse(ref.toString()), input);
        assertEquals(true, ref.name().length() <= ImageReference.NAME_MAX_LENGTH, input);
    }

    @Property(tries = 2000, seed = SEED, shrinking = ShrinkingMode.OFF)
    void repositoryParsingThrowsOnlyOciFormatException(@ForAll("referenceLike") String input) {
        try {
            ImageReference.parseRepository(input);
        } catch (OciFormatException expected) {
            // documented
        }
    }

    @Provide
    Arbitrary<String> digestLike() {
        Arbitrary<String> algorithm = Arbitraries.of("sha256", "sha512", "md5", "SHA256", "", "sha256+b64", "a.b");
        Arbitrary<String> hex = Arbitraries.strings().withChars("0123456789abcdefABCDEFxyz=+").ofMinLength(0).ofMaxLength(140);
        Arbitrary<String> separator = Arbitraries.of(":", "", "::", " :");
        return Combinators.combine(algorithm, separator, hex).as((a, s, h) -> a + s + h);
    }

    @Property(tries = 3000, seed = SEED, shrinking = ShrinkingMode.OFF)
    void digestParsingThrowsOnlyOciFormatException(@ForAll("digestLike") String input) {
        Digest d;
        try {
            d = Digest.parse(input);
        } catch (OciFormatException expected) {
            return;
        }
        assertEquals(input, d.toString());
    }

    /** JSON-ish documents near real manifests: fragments of valid ones cut, repeated and mixed with wrong types. */
    @Provide
    Arbitrary<byte[]> manifestLike() {
        Arbitrary<String> fragment = Arbitraries.of(
                "{", "}", "[", "]", ",", ":", "\"schemaVersion\":2", "\"schemaVersion\":1", "\"schemaVersion\":\"2\"",
                "\"schemaVersion\":2.5", "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"",
                "\"mediaType\":\"application/vnd.oci.image.index.v1+json\"", "\"mediaType\":null", "\"mediaType\":7",
                "\"config\":", "\"layers\":", "\"manifests\":", "\"digest\":\"sha256:" + "a".repeat(64) + "\"",
                "\"digest\":\"md5:00\"", "\"size\":-1", "\"size\":9223372036854775808", "\"size\":12", "\"size\":\"12\"",
                "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}", "\"platform\":[]", "\"urls\":[\"http://x\"]",
                "\"annotations\":{\"a\":1}", "null", "true", "\"\"", "{}", "[]", "\"\\ud800\"", "\u00ff");
        return fragment.list().ofMinSize(0).ofMaxSize(30)
                .map(parts -> String.join("", parts).getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 3000, seed = SEED, shrinking = ShrinkingMode.OFF)
    void manifestParsingThrowsOnlyOciFormatException(@ForAll("manifestLike") byte[] raw,
                                                     @ForAll("contentType") String contentType) {
        try {
            Manifest.parse(raw, contentType);
        } catch (OciFormatException expected) {
            // documented: answered as invalid-manifest / unsupported-manifest / a registry problem
        }
    }

    @Provide
    Arbitrary<String> contentType() {
        return Arbitraries.of(null, "", "application/json", "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.distribution.manifest.v1+prettyjws", "text/html; charset=utf-8", ";;;", "a/b/c");
    }

    @Property(tries = 500, seed = SEED, shrinking = ShrinkingMode.OFF)
    void deeplyNestedManifestsAreRefusedNotOverflowed(@ForAll("depth") int depth) {
        byte[] raw = ("{\"schemaVersion\":2,\"config\":" + "[".repeat(depth) + "]".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8);
        try {
            Manifest.parse(raw, "application/vnd.oci.image.manifest.v1+json");
        } catch (OciFormatException expected) {
            // documented
        }
    }

    @Provide
    Arbitrary<Integer> depth() {
        return Arbitraries.integers().between(1, 20_000);
    }
}
