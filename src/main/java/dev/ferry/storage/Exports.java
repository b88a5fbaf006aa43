package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.oci.ImageLocation;
import dev.ferry.registry.AccessOptions;
import dev.ferry.transfer.Cancellation;
import dev.ferry.transfer.CopyListener;
import dev.ferry.transfer.CopyOptions;
import dev.ferry.transfer.CopyPlan;
import dev.ferry.transfer.CopyPlanner;
import dev.ferry.transfer.CopyResult;
import dev.ferry.transfer.ImageCopier;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.function.Supplier;

/**
 * An image as an archive streamed to a caller ({@code GET /api/v1/export}): the source is planned first (a missing
 * image or platform is an ordinary error, before a byte is sent), then the tar streams out as the blobs stream in,
 * each verified as it passes; nothing touches the server's disk.
 */
@ApplicationScoped
public class Exports {
    private final Transports transports;
    private final ImageCopier copier;
    private final io.vertx.core.Vertx vertx;
    private final java.nio.file.Path spoolRoot;
    private final long spoolMax;
    private final int readAhead;
    private final long readAheadBelowRate;

    @jakarta.inject.Inject
    public Exports(Transports transports, ImageCopier copier, io.vertx.core.Vertx vertx, ExportConfig config,
                   dev.ferry.config.FerryConfig ferry) {
        this(transports, copier, vertx, java.nio.file.Path.of(config.spoolDir().orElse(ferry.dataDir() + "/export-spool")),
                config.spoolMaxBytes().asLongValue(), config.readAhead(), config.readAheadBelowRate().asLongValue());
    }

    /** With the read-ahead spool under {@code spoolRoot}, at most {@code spoolMax} bytes and {@code readAhead} downloads. */
    Exports(Transports transports, ImageCopier copier, io.vertx.core.Vertx vertx, java.nio.file.Path spoolRoot, long spoolMax,
            int readAhead, long readAheadBelowRate) {
        this.readAheadBelowRate = readAheadBelowRate;
        this.transports = transports;
        this.copier = copier;
        this.vertx = vertx;
        this.spoolRoot = spoolRoot.toAbsolutePath().normalize();
        this.spoolMax = spoolMax;
        this.readAhead = readAhead;
    }

    /** At start-up, what an earlier run left in the spool (killed mid-export) goes: directories named as exports name them. */
    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent start) {
        java.util.regex.Pattern ours = java.util.regex.Pattern.compile(
                "export-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        try (java.util.stream.Stream<java.nio.file.Path> entries = java.nio.file.Files.list(spoolRoot)) {
            entries.filter(p -> ours.matcher(p.getFileName().toString()).matches()).forEach(Exports::deleteTree);
        } catch (java.io.IOException e) {
            // no spool directory yet: nothing to clean
        }
    }

    private static void deleteTree(java.nio.file.Path p) {
        try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.walk(p)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException e) {
            io.quarkus.logging.Log.warnf("could not remove the stale export spool %s: %s", p, e.getMessage());
        }
    }

    /** The directory the read-ahead spools of exports go under (one directory per export). */
    java.nio.file.Path spoolRoot() {
        return spoolRoot;
    }

    /** A planned export: what will be streamed, and the name the archive should get. */
    public record Planned(ImageLocation image, ImageSource source, CopyPlan plan, String format, CopyOptions options) {
        public String fileName() {
            String base = image instanceof ImageLocation.Docker d
                    ? d.reference().repository().replace('/', '_') + "_" + (d.reference().tag() != null ? d.reference().tag()
                            : d.reference().digest().hex().substring(0, 12))
                    : "image";
            return base + ("docker-archive".equals(format) ? ".docker.tar" : ".oci.tar");
        }
    }

    /** Validates and plans; every refusal here is a 4xx (or the source's own error) before streaming starts. */
    public Future<Planned> plan(String imageField, String image, String format, AccessOptions access, CopyOptions options) {
        if (!"oci-archive".equals(format) && !"docker-archive".equals(format)) {
            throw FerryException.invalidField("format", "must be oci-archive or docker-archive");
        }
        if (options.all() && "docker-archive".equals(format)) {
            throw FerryException.invalidField("all", "a docker-archive holds one image: export one platform, or use oci-archive");
        }
        ImageLocation location = Transports.parse(imageField, image);
        Supplier<ImageSource> source = transports.source(imageField, location, access, "");
        ImageSource s = source.get();
        return CopyPlanner.plan(s, options.all(), copier.platform(options))
                .map(plan -> new Planned(location, s, plan, format, options))
                .onFailure(t -> s.close());
    }

    /** Streams the planned image as a tar into {@code out}; {@code abort} cuts the stream off when a blob fails. */
    public Future<CopyResult> stream(Planned p, WriteStream<Buffer> out, Runnable abort, Cancellation cancellation) {
        List<String> tags = Transports.repoTags(null, p.image());
        ImageDestination tar = transports.tarStream(out, abort, p.format(), tags, "the " + p.format() + " export of "
                + p.image().transportName());
        return copier.copy(Future.succeededFuture(p.plan()), readAhead(p), tar, p.options(), CopyListener.NONE, cancellation);
    }

    /**
     * A registry source whose next blobs download ahead into a bounded spool while one streams, once a download
     * proved slow (a tar takes one blob at a time; a registry serves several at once); other sources (local files, a daemon's archive) are read as
     * they are.
     */
    private ImageSource readAhead(Planned p) {
        List<dev.ferry.oci.Descriptor> blobs = p.plan().blobs().stream().filter(b -> !b.mediaType().isForeignLayer()).toList();
        if (!(p.source() instanceof dev.ferry.transfer.RegistrySource) || spoolMax <= 0 || readAhead <= 0 || blobs.size() < 2) {
            return p.source();
        }
        java.nio.file.Path dir = spoolRoot.resolve("export-" + java.util.UUID.randomUUID());
        return new ReadAheadSource(p.source(), blobs, dir, spoolMax, readAhead, readAheadBelowRate, vertx);
    }
}
