package dev.ferry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** skopeo's transport syntax, parsed the way containers/image splits it. */
class ImageLocationTest {

    @Test
    void shouldKeepTheDockerGrammarForNamesWithoutATransport() {
        ImageLocation.Docker d = assertInstanceOf(ImageLocation.Docker.class, ImageLocation.parse("alpine"));
        assertEquals("docker://docker.io/library/alpine:latest", d.transportName());
        assertInstanceOf(ImageLocation.Docker.class, ImageLocation.parse("127.0.0.1:5000/lab/app:1"));
        assertInstanceOf(ImageLocation.Docker.class, ImageLocation.parse("localhost:5000/lab/app"));
        assertInstanceOf(ImageLocation.Docker.class, ImageLocation.parse("docker://quay.io/a/b@sha256:" + "a".repeat(64)));
    }

    @Test
    void shouldSplitPathAndReferenceAtTheFirstColonAsContainersImageDoes() {
        ImageLocation.OciLayout o = assertInstanceOf(ImageLocation.OciLayout.class, ImageLocation.parse("oci:/srv/app:v1.2"));
        assertEquals("/srv/app", o.path());
        assertEquals("v1.2", o.reference());
        assertNull(((ImageLocation.OciLayout) ImageLocation.parse("oci:/srv/app")).reference());
        ImageLocation.OciArchive a = assertInstanceOf(ImageLocation.OciArchive.class, ImageLocation.parse("oci-archive:x.tar:app/v1"));
        assertEquals("app/v1", a.reference());
        assertEquals("/srv/d:x", ((ImageLocation.Dir) ImageLocation.parse("dir:/srv/d:x")).path(), "dir: takes the whole rest");
        assertTrue(ImageLocation.parse("dir:/x").isLocalPath());
    }

    @Test
    void shouldReadDockerArchiveNamesAndIndexes() {
        ImageLocation.DockerArchive named = (ImageLocation.DockerArchive) ImageLocation.parse("docker-archive:/t.tar:foo/bar:v1");
        assertEquals("docker.io/foo/bar:v1", named.name().toString());
        assertEquals("docker-archive:/t.tar:foo/bar:v1", named.transportName());
        assertEquals(2, ((ImageLocation.DockerArchive) ImageLocation.parse("docker-archive:/t.tar:@2")).index());
        assertThrows(OciFormatException.class, () -> ImageLocation.parse("docker-archive:/t.tar:@x"));
        assertThrows(OciFormatException.class, () -> ImageLocation.parse("docker-archive:/t.tar:foo@sha256:" + "a".repeat(64)));
    }

    @Test
    void shouldRefuseWhatSkopeoWouldRefuse() {
        assertThrows(OciFormatException.class, () -> ImageLocation.parse("oci:"));
        assertThrows(OciFormatException.class, () -> ImageLocation.parse("oci:/x:bad ref"));
        assertThrows(OciFormatException.class, () -> ImageLocation.parse("dir:/x\u0000y"));
        UnsupportedTransportException e = assertThrows(UnsupportedTransportException.class, () -> ImageLocation.parse("ostree:/repo"));
        assertEquals("ostree", e.transport());
        assertTrue(e.getMessage().contains("oci-archive:"), e.getMessage());
        assertInstanceOf(ImageLocation.ContainersStorage.class, ImageLocation.parse("containers-storage:alpine"));
        assertInstanceOf(ImageLocation.DockerDaemon.class, ImageLocation.parse("docker-daemon:alpine:3"));
        assertInstanceOf(ImageLocation.DockerDaemon.class, ImageLocation.parse("docker-daemon:sha256:" + "b".repeat(64)));
    }
}
