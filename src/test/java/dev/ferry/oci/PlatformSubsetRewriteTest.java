package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The platform subset of an index: which instances are kept, and the rewritten index's bytes. */
class PlatformSubsetRewriteTest {
    private static final String A = "sha256:" + "a".repeat(64);
    private static final String B = "sha256:" + "b".repeat(64);
    private static final String C = "sha256:" + "c".repeat(64);
    private static final String INDEX = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":10,"platform":{"os":"linux","architecture":"amd64"},"annotations":{"x":"1"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":11,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":12,"platform":{"os":"linux","architecture":"arm","variant":"v6"}}],
             "annotations":{"org.opencontainers.image.source":"https://example.com/app"},"x-unknown":{"kept":true}}
            """.formatted(A, B, C);

    private static ImageIndex index() {
        return ImageIndex.parse(INDEX.getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.index.v1+json");
    }

    @Test
    void shouldKeepTheChosenInstancesInIndexOrderEachOnce() {
        PlatformSubset s = PlatformSubset.of(index(), List.of(Platform.parse("linux/arm/v7"), Platform.parse("linux/amd64"),
                Platform.parse("linux/x86_64"), Platform.parse("windows/amd64")));
        assertEquals(List.of(A, C), s.kept().stream().map(d -> d.digest().toString()).toList(), "arm/v7 takes the v6 image");
        assertEquals(List.of(Platform.parse("windows/amd64")), s.missing());
    }

    @Test
    void shouldRewriteOnlyTheManifestsListAndDoItTheSameWayEveryTime() throws Exception {
        PlatformSubset s = PlatformSubset.of(index(), List.of(Platform.parse("linux/arm64")));
        ImageIndex rewritten = s.rewrite();
        assertEquals(List.of(B), rewritten.manifests().stream().map(d -> d.digest().toString()).toList());
        String text = new String(rewritten.raw(), StandardCharsets.UTF_8);
        assertTrue(text.contains("\"x-unknown\":{\"kept\":true}"), text);
        assertTrue(text.contains("org.opencontainers.image.source"), text);
        assertEquals(Digest.sha256Of(rewritten.raw()), rewritten.digest());
        assertArrayEquals(rewritten.raw(), PlatformSubset.of(index(), List.of(Platform.parse("linux/arm64/v8"))).rewrite().raw(),
                "the same subset of the same index gives the same bytes (re-runs compare digests)");
    }

    @Test
    void shouldLeaveTheIndexAsItIsWhenEveryInstanceIsKept() {
        ImageIndex i = index();
        PlatformSubset s = PlatformSubset.of(i, List.of(Platform.parse("linux/amd64"), Platform.parse("linux/arm64"), Platform.parse("linux/arm/v6")));
        assertTrue(s.whole());
        assertSame(i, s.rewrite());
    }
}
