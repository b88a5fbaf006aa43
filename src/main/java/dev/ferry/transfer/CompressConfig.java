package dev.ferry.transfer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** Layer recompression ({@code destCompressFormat}): where a rewritten layer waits until its digest is known. */
@ConfigMapping(prefix = "ferry.compress")
public interface CompressConfig {

    /**
     * Most bytes one recompressed layer may take in its spool file; past it the copy fails
     * {@code compress-spool-limit}. Each layer is deleted as soon as it is written, so the disk used at once is at most
     * this times the blobs moved in parallel.
     */
    @WithDefault("8G")
    io.quarkus.runtime.configuration.MemorySize spoolMaxBytes();

    /** Where recompressed layers are spooled; default {@code DATA_DIR/compress-spool}. */
    Optional<String> spoolDir();
}
