package dev.ferry.oci;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Loads the golden files under src/test/resources/oci/. */
final class Fixtures {

    private Fixtures() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/oci/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test fixture /oci/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
