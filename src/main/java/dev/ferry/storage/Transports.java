package dev.ferry.storage;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.ImageLocation;
import dev.ferry.registry.AccessOptions;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryAccessFactory;
import dev.ferry.registry.RegistryClient;
import dev.ferry.security.AccessPolicy;
import dev.ferry.security.Action;
import dev.ferry.transfer.BlobFlights;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import dev.ferry.transfer.RegistryDestination;
import dev.ferry.transfer.RegistrySource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * Turns an {@link ImageLocation} into the engine's {@link ImageSource} or {@link ImageDestination}. Everything that
 * can be refused is refused here, when a request is planned (a 4xx before any job exists): registry policy and
 * credentials for {@code docker://}, confinement to the storage roots for paths. What comes back creates a fresh
 * source or destination for each run of the job.
 */
@ApplicationScoped
public class Transports {
    private final RegistryAccessFactory access;
    private final RegistryClient registry;
    private final BlobFlights flights;
    private final StorageRoots roots;
    private final FerryConfig config;
    private final LocalFiles files;
    private final Vertx vertx;
    private final Daemons daemons;
    private final AccessPolicy policy;

    public Transports(RegistryAccessFactory access, RegistryClient registry, BlobFlights flights, StorageRoots roots,
                      FerryConfig config, Vertx vertx, Daemons daemons, AccessPolicy policy) {
        this.daemons = daemons;
        this.policy = policy;
        this.access = access;
        this.registry = registry;
        this.flights = flights;
        this.roots = roots;
        this.config = config;
        this.files = new LocalFiles(vertx);
        this.vertx = vertx;
    }

    /** The location named by request field {@code field}, parsed (400 naming the field when it does not parse). */
    public static ImageLocation parse(String field, String value) {
        if (value == null || value.isBlank()) {
            throw FerryException.invalidField(field, "is required");
        }
        try {
            return ImageLocation.parse(value);
        } catch (dev.ferry.oci.OciFormatException e) {
            ProblemType type = e instanceof dev.ferry.oci.UnsupportedTransportException
                    ? ProblemType.UNSUPPORTED_TRANSPORT : ProblemType.INVALID_REFERENCE;
            throw new FerryException(type, field + ": " + e.getMessage(),
                    List.of(new FerryException.FieldError(field, e.getMessage())), e);
        }
    }

    /** A source for {@code location}; {@code prefix} is the access fields' prefix ({@code src} or empty). */
    public Supplier<ImageSource> source(String field, ImageLocation location, AccessOptions options, String prefix) {
        if (location instanceof ImageLocation.Docker d) {
            RegistryAccess a = access.forReference(d.reference(), options, prefix, dev.ferry.security.Action.READ);
            RegistrySource s = new RegistrySource(registry, a, d.reference());
            return () -> s;
        }
        String name = location.transportName();
        int limit = config.limits().manifestBytes();
        if (location instanceof ImageLocation.OciLayout o) {
            Path dir = confine(field, "oci", o.path(), Action.READ);
            return () -> new OciLayoutSource(Entries.directory(dir, files, roots), o.reference(), name, limit);
        }
        if (location instanceof ImageLocation.OciArchive o) {
            Path file = confine(field, "oci-archive", o.path(), Action.READ);
            return () -> new OciLayoutSource(Entries.tar(file, name, files, vertx), o.reference(), name, limit);
        }
        if (location instanceof ImageLocation.Dir d) {
            Path dir = confine(field, "dir", d.path(), Action.READ);
            return () -> new DirSource(dir, name, files, roots, limit);
        }
        if (location instanceof ImageLocation.DockerArchive d) {
            Path file = confine(field, "docker-archive", d.path(), Action.READ);
            return () -> new DockerArchiveSource(Entries.tar(file, name, files, vertx), d.name(), d.index(), name, limit);
        }
        if (location instanceof ImageLocation.DockerDaemon d) {
            policy.checkLocal(field, name, name, Action.READ);
            return daemons.source(field, d);
        }
        throw unsupported(field, location);
    }

    /** A destination for {@code location}; {@code prefix} is the access fields' prefix ({@code dest} or empty). */
    public Supplier<Future<ImageDestination>> destination(String field, ImageLocation location, AccessOptions options,
                                                          String prefix, ImageLocation source) {
        if (location instanceof ImageLocation.Docker d) {
            RegistryAccess a = access.forReference(d.reference(), options, prefix, dev.ferry.security.Action.WRITE);
            RegistryDestination dst = new RegistryDestination(registry, a, d.reference(), flights);
            return () -> Future.succeededFuture(dst);
        }
        String name = location.transportName();
        if (location instanceof ImageLocation.OciLayout o) {
            Path dir = confine(field, "oci", o.path(), Action.WRITE);
            return () -> Future.succeededFuture(new OciLayoutDestination(dir, o.reference(), name, files, roots,
                    config.limits().manifestBytes()));
        }
        if (location instanceof ImageLocation.Dir d) {
            Path dir = confine(field, "dir", d.path(), Action.WRITE);
            return () -> Future.succeededFuture(new DirDestination(dir, name, files, roots));
        }
        if (location instanceof ImageLocation.OciArchive o) {
            Path file = confine(field, "oci-archive", o.path(), Action.WRITE);
            return () -> tarFile(file, TarDestination.Format.OCI, o.reference(), List.of(), name);
        }
        if (location instanceof ImageLocation.DockerArchive d) {
            Path file = confine(field, "docker-archive", d.path(), Action.WRITE);
            if (d.index() != null) {
                throw FerryException.invalidField(field, "@N names an image to read; to write, give NAME:TAG or nothing");
            }
            List<String> tags = repoTags(d.name(), source);
            return () -> tarFile(file, TarDestination.Format.DOCKER, null, tags, name);
        }
        if (location instanceof ImageLocation.DockerDaemon d) {
            policy.checkLocal(field, name, name, Action.WRITE);
            return daemons.destination(field, d);
        }
        throw unsupported(field, location);
    }

    /** Confined to the storage roots, then (secured mode) granted by a rule's paths, before any file is touched. */
    private Path confine(String field, String transport, String path, Action action) {
        Path confined = roots.confine(field, transport, path);
        policy.checkLocal(field, transport + ":" + path, confined.toString(), action);
        return confined;
    }

    /** docker-archive's RepoTags: the name given, else the source's registry name (what docker/podman load tag). */
    static List<String> repoTags(dev.ferry.oci.ImageReference given, ImageLocation source) {
        if (given != null) {
            return List.of(given.withDigest(null).toString());
        }
        if (source instanceof ImageLocation.Docker d && d.reference().tag() != null) {
            return List.of(d.reference().withDigest(null).toString());
        }
        return List.of();
    }

    /** A tar stream into a temp file next to {@code file}, renamed over it once complete. */
    private Future<ImageDestination> tarFile(Path file, TarDestination.Format format, String ref, List<String> tags, String name) {
        return files.createAtomically(file).map(sink -> {
            return new TarDestination(format, new TarWriter(sink), ref, tags, name, Future::succeededFuture);
        });
    }

    /** A tar stream into {@code out} (an HTTP response): for export. */
    public ImageDestination tarStream(io.vertx.core.streams.WriteStream<io.vertx.core.buffer.Buffer> out, Runnable abort,
                                      String format, List<String> repoTags, String describe) {
        TarDestination.Format f = "docker-archive".equals(format) ? TarDestination.Format.DOCKER : TarDestination.Format.OCI;
        return new TarDestination(f, new TarWriter(dev.ferry.registry.BlobSink.of(out, abort)), null, repoTags, describe,
                Future::succeededFuture);
    }

    private static FerryException unsupported(String field, ImageLocation location) {
        String why;
        if (location instanceof ImageLocation.ContainersStorage) {
            why = "containers-storage: is not supported: Ferry does not open podman's storage (its locks and layer"
                    + " store belong to podman); use docker-daemon: with FERRY_DOCKER_HOST pointing at podman's API socket";
        } else {
            why = "the " + location.transport() + ": transport is not supported here";
        }
        return new FerryException(ProblemType.UNSUPPORTED_TRANSPORT, field + ": " + why,
                List.of(new FerryException.FieldError(field, why)), null);
    }
}
