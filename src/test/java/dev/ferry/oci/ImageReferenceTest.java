package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {

    private static final String HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String DIGEST = "sha256:" + HEX;

    @ParameterizedTest(name = "{0} -> {1}/{2} tag={3} digest={4}")
    @CsvSource({
        // input,                                   registry,        repository,        tag,     digest
        "alpine,                                    docker.io,       library/alpine,    latest,  ",
        "docker://alpine,                           docker.io,       library/alpine,    latest,  ",
        "alpine:3.19,                               docker.io,       library/alpine,    3.19,    ",
        "library/alpine:3.19,                       docker.io,       library/alpine,    3.19,    ",
        "docker.io/alpine,                          docker.io,       library/alpine,    latest,  ",
        "index.docker.io/foo/bar,                   docker.io,       foo/bar,           latest,  ",
        "index.docker.io/alpine,                    docker.io,       library/alpine,    latest,  ",
        "foo/bar,                                   docker.io,       foo/bar,           latest,  ",
        "localhost/app,                             localhost,       app,               latest,  ",
        "localhost:5000/a/b:1,                      localhost:5000,  a/b,               1,       ",
        "127.0.0.1:5000/lab/app@" + DIGEST + ",     127.0.0.1:5000,  lab/app,           ,        " + DIGEST,
        "'[::1]:5000/x:y',                          '[::1]:5000',    x,                 y,       ",
        "docker://quay.io/coreos/etcd:v3.5.0,       quay.io,         coreos/etcd,       v3.5.0,  ",
        "ghcr.io/a/b/c/d:Tag_With.Upper-1,          ghcr.io,         a/b/c/d,           Tag_With.Upper-1, ",
        "alpine:3.19@" + DIGEST + ",                docker.io,       library/alpine,    3.19,    " + DIGEST,
        "MyRegistry/app,                            MyRegistry,      app,               latest,  ",
        "reg.example.com/a__b/c-d/e.f/g--h:1,       reg.example.com, a__b/c-d/e.f/g--h, 1,       ",
    })
    void shouldParseAndNormaliseReference(String input, String registry, String repository, String tag, String digest) {
        ImageReference ref = ImageReference.parse(input);
        assertEquals(registry, ref.registry());
        assertEquals(repository, ref.repository());
        assertEquals(tag, ref.tag());
        assertEquals(digest == null ? null : Digest.parse(digest), ref.digest());
    }

    @Test
    void shouldNormaliseOfficialImageToLibrary() {
        ImageReference ref = ImageReference.parse("alpine");
        assertEquals("docker.io/library/alpine", ref.name());
        assertEquals("docker.io/library/alpine:latest", ref.toString());
        assertEquals("docker://docker.io/library/alpine:latest", ref.transportName());
        assertEquals("latest", ref.reference());
    }

    @Test
    void shouldContactRegistryOneForDockerHub() {
        assertEquals("registry-1.docker.io", ImageReference.parse("alpine").endpointHost());
        assertEquals("127.0.0.1:5000", ImageReference.parse("127.0.0.1:5000/lab/app").endpointHost());
        assertEquals("[::1]:5000", ImageReference.parse("[::1]:5000/x").endpointHost());
    }

    @Test
    void shouldUseDigestAsReferenceWhenBothTagAndDigestArePresent() {
        ImageReference ref = ImageReference.parse("repo:tag@" + DIGEST);
        assertEquals("docker.io/library/repo:tag@" + DIGEST, ref.toString());
        assertEquals(DIGEST, ref.reference());
    }

    @Test
    void shouldNotAddLatestWhenOnlyDigestIsGiven() {
        ImageReference ref = ImageReference.parse("127.0.0.1:5000/lab/app@" + DIGEST);
        assertNull(ref.tag());
        assertEquals("127.0.0.1:5000/lab/app@" + DIGEST, ref.toString());
        assertEquals("127.0.0.1:5000/lab/app", ref.name());
    }

    @Test
    void shouldReplaceTagAndDigestWithCopies() {
        ImageReference ref = ImageReference.parse("quay.io/a/b:1");
        ImageReference pinned = ref.withDigest(Digest.parse(DIGEST));
        assertEquals("quay.io/a/b:1@" + DIGEST, pinned.toString());
        assertEquals("quay.io/a/b:2@" + DIGEST, pinned.withTag("2").toString());
        assertEquals("quay.io/a/b@" + DIGEST, pinned.withTag(null).toString());
        assertEquals("quay.io/a/b:1", ref.toString());
    }

    @Test
    void shouldRejectInvalidTagInWithTag() {
        ImageReference ref = ImageReference.parse("alpine");
        OciFormatException e = assertThrows(OciFormatException.class, () -> ref.withTag("Foo bar"));
        assertEquals("invalid tag \"Foo bar\": tags must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}", e.getMessage());
    }

    @Test
    void shouldNormaliseInConstructorToo() {
        ImageReference ref = new ImageReference("index.docker.io", "alpine", null, null);
        assertEquals("docker.io/library/alpine", ref.name());
    }

    @Test
    void shouldRejectUppercaseRepository() {
        OciFormatException e = assertThrows(OciFormatException.class, () -> ImageReference.parse("quay.io/Foo/bar"));
        assertTrue(e.getMessage().contains("repository name must be lowercase"), e.getMessage());
        e = assertThrows(OciFormatException.class, () -> ImageReference.parse("Alpine"));
        assertTrue(e.getMessage().contains("repository name must be lowercase"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"alpine:", "alpine:-x", "alpine:.x", "alpine:a+b", "quay.io/a/b:has space"})
    void shouldRejectBadTag(String input) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> ImageReference.parse(input));
        assertTrue(e.getMessage().startsWith("invalid tag \""), e.getMessage());
        assertTrue(e.getMessage().contains("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"), e.getMessage());
    }

    @Test
    void shouldRejectTagLongerThan128Characters() {
        assertEquals(128, ImageReference.parse("a:" + "t".repeat(128)).tag().length());
        assertThrows(OciFormatException.class, () -> ImageReference.parse("a:" + "t".repeat(129)));
    }

    @ParameterizedTest
    @CsvSource({
        "oci:/tmp/x,                       oci",
        "oci-archive:/tmp/x.tar,           oci-archive",
        "dir:/tmp/x,                       dir",
        "docker-archive:/tmp/x.tar,        docker-archive",
        "docker-daemon:alpine:latest,      docker-daemon",
        "containers-storage:alpine,        containers-storage",
        "ostree:alpine@/ostree/repo,       ostree",
        "sif:/tmp/x.sif,                   sif",
        "tarball:/tmp/x.tar,               tarball",
        "https://quay.io/a/b,              https",
        "oci://x,                          oci",
    })
    void shouldRejectOtherTransportsNamingThem(String input, String transport) {
        UnsupportedTransportException e =
                assertThrows(UnsupportedTransportException.class, () -> ImageReference.parse(input));
        assertEquals(transport, e.transport());
        assertTrue(e.getMessage().contains("\"" + transport + "\""), e.getMessage());
        assertTrue(e.getMessage().contains("only the docker:// transport is supported"), e.getMessage());
    }

    @Test
    void shouldTreatHostWithPortAsRegistryNotTransport() {
        ImageReference ref = ImageReference.parse("myhost:5000/repo");
        assertEquals("myhost:5000", ref.registry());
        assertEquals("repo", ref.repository());
    }

    @Test
    void shouldExplainDockerTransportNeedsDoubleSlash() {
        OciFormatException e = assertThrows(OciFormatException.class, () -> ImageReference.parse("docker:foo"));
        assertTrue(e.getMessage().contains("docker references must be written docker://"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "docker://", "/alpine", "alpine/", "a//b", "quay.io/", "-foo/bar", "foo/bar-",
        "alpine@sha256:abc", "alpine@", "quay.io:abc/x", "[::1/x", "a b", HEX})
    void shouldRejectMalformedReference(String input) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> ImageReference.parse(input));
        assertTrue(e.getMessage().contains("\"" + input.substring(0, Math.min(input.length(), 40))), e.getMessage());
    }

    @Test
    void shouldRejectNullReference() {
        assertThrows(OciFormatException.class, () -> ImageReference.parse(null));
    }

    @Test
    void shouldRejectNameLongerThan255Characters() {
        String path = "a".repeat(246);
        // quay.io/ (8) + 246 = 254, + 1 more = 255 is the limit
        assertEquals(255, ImageReference.parse("quay.io/" + path + "a").name().length());
        OciFormatException e = assertThrows(OciFormatException.class,
                () -> ImageReference.parse("quay.io/" + path + "aa"));
        assertTrue(e.getMessage().contains("must not be more than 255 characters"), e.getMessage());
    }

    @Test
    void shouldParseRepositoryWithoutDefaultTag() {
        ImageReference repo = ImageReference.parseRepository("docker://alpine");
        assertEquals("docker.io/library/alpine", repo.name());
        assertNull(repo.tag());
        assertNull(repo.digest());
        assertEquals("docker.io/library/alpine", repo.toString());
        assertEquals("localhost:5000/a/b", ImageReference.parseRepository("localhost:5000/a/b").name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"alpine:3.19", "alpine@" + DIGEST, "localhost:5000/a/b:1"})
    void shouldRejectRepositoryWithTagOrDigest(String input) {
        OciFormatException e = assertThrows(OciFormatException.class, () -> ImageReference.parseRepository(input));
        assertTrue(e.getMessage().contains("list-tags takes a repository without a tag or digest"), e.getMessage());
    }

    @Test
    void shouldRejectOtherTransportForRepositoryToo() {
        assertThrows(UnsupportedTransportException.class, () -> ImageReference.parseRepository("oci:/tmp/x"));
    }
}
