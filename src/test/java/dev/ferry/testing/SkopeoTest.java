package dev.ferry.testing;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SkopeoTest {

    @Test
    void runsTheRealBinary() {
        Skopeo.Result r = Skopeo.run("--version");
        assertEquals(0, r.exitCode());
        assertTrue(r.stdout().startsWith("skopeo version 1."), r.stdout());
    }

    @Test
    void failureCarriesStderrAndNoAmbientCredentials() {
        RegistryProcess reg = SharedRegistries.get().htpasswd();
        AssertionError e = assertThrows(AssertionError.class,
                () -> Skopeo.inspect(reg.hostPort() + "/nothing/here:v1"));
        assertTrue(e.getMessage().contains("stderr:"), e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains("auth"), e.getMessage());
    }

    @Test
    void copyBetweenRegistriesPreservesDigest() {
        SharedRegistries s = SharedRegistries.get();
        TestImages.Image idx = new TestImages(21).multiPlatformOci();
        new RegistryPusher(s.anonymous().baseUrl()).push("copy/src", "v1", idx);
        Skopeo.Result r = Skopeo.copy(s.anonymous().hostPort() + "/copy/src:v1", s.htpasswd().hostPort() + "/copy/dst:v1",
                "--all", "--preserve-digests", "--dest-creds", s.creds());
        assertEquals(0, r.exitCode(), r.stderr());
        byte[] copied = new RegistryPusher(s.htpasswd().baseUrl()).withBasic(s.user(), s.password())
                .getManifest("copy/dst", "v1", TestImages.OCI_INDEX);
        assertArrayEquals(idx.manifest(), copied);
        assertNotEquals(0, copied.length);
    }
}
