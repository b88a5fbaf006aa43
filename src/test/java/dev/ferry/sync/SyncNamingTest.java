package dev.ferry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ferry.error.FerryException;
import dev.ferry.oci.ImageReference;
import org.junit.jupiter.api.Test;

/** skopeo sync's path.Join(destination, suffix) + appendSuffix; scoped keeps the whole source name. */
class SyncNamingTest {
    private static String name(String dest, String src, boolean scoped, String suffix) {
        return SyncNaming.destination(SyncNaming.destinationPrefix(dest), ImageReference.parse(src), scoped, suffix).toString();
    }

    @Test
    void shouldUseTheLastPathElementOfTheSourceByDefault() {
        assertEquals("127.0.0.1:5001/mirror/app:v1", name("docker://127.0.0.1:5001/mirror/", "127.0.0.1:5000/lab/team/app:v1", false, null));
        assertEquals("127.0.0.1:5001/app:v1", name("127.0.0.1:5001", "127.0.0.1:5000/lab/app:v1", false, null));
    }

    @Test
    void shouldKeepTheWholeSourceNameWhenScoped() {
        assertEquals("127.0.0.1:5001/mirror/docker.io/library/busybox:1", name("127.0.0.1:5001/mirror", "busybox:1", true, null));
        assertEquals("127.0.0.1:5001/m/quay.io/coreos/etcd:v3", name("127.0.0.1:5001/m", "quay.io/coreos/etcd:v3", true, null));
    }

    @Test
    void shouldAppendTheSuffixToTheTag() {
        assertEquals("127.0.0.1:5001/mirror/app:v1-mirror", name("127.0.0.1:5001/mirror", "127.0.0.1:5000/lab/app:v1", false, "-mirror"));
    }

    @Test
    void shouldRefuseAScopedNameWithASourcePortAsSkopeoDoes() {
        assertThrows(FerryException.class, () -> name("127.0.0.1:5001/mirror", "127.0.0.1:5000/lab/app:v1", true, null));
    }
}
