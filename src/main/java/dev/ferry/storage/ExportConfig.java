package dev.ferry.storage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * {@code GET /api/v1/export}: a tar is sequential, so while one blob streams out the next ones are downloaded beside it
 * into a bounded spool on disk (a directory per export, removed when it ends), and the tar never waits on a single
 * registry download.
 */
@ConfigMapping(prefix = "ferry.export")
public interface ExportConfig {

    /**
     * Most bytes one export may hold in its read-ahead spool (blobs downloaded ahead of the one streaming, each deleted
     * once it has been streamed). A blob larger than this is always streamed straight from the registry; 0 turns
     * read-ahead off (every blob streams straight through, nothing touches the disk).
     */
    @WithDefault("2G")
    io.quarkus.runtime.configuration.MemorySize spoolMaxBytes();

    /** Where the read-ahead spool goes (a directory per export); default {@code DATA_DIR/export-spool}. */
    Optional<String> spoolDir();

    /** Most blobs downloaded ahead at once, beside the one streaming (0: no read-ahead). */
    @WithDefault("4")
    int readAhead();

    /**
     * Read-ahead starts once a blob streaming straight from the registry has run for half a second slower than
     * this many bytes per second: then the link, not this machine, is the limit (a registry across a network, where
     * one connection is bounded by its window and round trip), and parallel downloads pay; on a fast link (a registry
     * on the same host or LAN) the spool would only add disk writes. 0: read ahead from the first blob.
     */
    @WithDefault("64M")
    io.quarkus.runtime.configuration.MemorySize readAheadBelowRate();
}
