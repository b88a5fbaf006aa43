package dev.ferry.storage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * {@code POST /api/v1/import}: an archive streamed in the request body. These caps are the import's own; every other
 * endpoint keeps {@code quarkus.http.limits.max-body-size}.
 */
@ConfigMapping(prefix = "ferry.import")
public interface ImportConfig {

    /** Most bytes one import body may carry (the whole tar); past it the import fails 413 and the connection is closed. */
    @WithDefault("32G")
    io.quarkus.runtime.configuration.MemorySize maxBytes();

    /**
     * Most bytes one import may spool to disk: what a tar format forces to wait until the entry that explains it has
     * arrived (an OCI archive's small blobs, which may be manifests, until its {@code index.json}; a docker-archive's
     * configs and layers not named by their digest, until its {@code manifest.json}), and the whole archive when the
     * destination takes blobs only in a fixed order (an {@code oci-archive:} or {@code docker-archive:} file). Past it:
     * 413.
     */
    @WithDefault("2G")
    io.quarkus.runtime.configuration.MemorySize spoolMaxBytes();

    /** Where spooled entries go (a directory per import, removed when it ends); default {@code DATA_DIR/import-spool}. */
    Optional<String> spoolDir();

    /** Most entries one archive may hold (a tar of a million empty files is refused before it costs anything). */
    @WithDefault("10000")
    int maxEntries();
}
