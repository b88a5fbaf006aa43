package dev.ferry.storage;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageLocation;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import dev.ferry.transfer.ImageDestination;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * {@code docker-daemon:NAME:TAG|sha256:ID} through a Docker Engine API socket ({@link DockerConfig#host()}): as a
 * source, {@code GET /images/{name}/get} (a docker-archive, which the daemon writes with its {@code manifest.json}
 * last) is spooled to a file under the import spool directory (capped by {@code ferry.import.spool-max-bytes}) and read
 * as a {@code docker-archive:}; as a destination, the image is written as a docker-archive to a spool file and sent
 * with {@code POST /images/load} once complete (the daemon keeps nothing of a load that fails). Either way the image
 * ID (the config digest) survives, as with {@code docker save} / {@code docker load}.
 */
@ApplicationScoped
public class Daemons {
    private final DockerConfig docker;
    private final ImportConfig imports;
    private final FerryConfig config;
    private final Vertx vertx;
    private final LocalFiles files;

    public Daemons(DockerConfig docker, ImportConfig imports, FerryConfig config, Vertx vertx) {
        this.docker = docker;
        this.imports = imports;
        this.config = config;
        this.vertx = vertx;
        this.files = new LocalFiles(vertx);
    }

    /** The client, or 400 unsupported-transport naming the setting when no daemon is configured. */
    private DaemonClient client(String field) {
        String host = docker.host().filter(h -> !h.isBlank()).orElseThrow(() -> {
            String why = "docker-daemon: needs a Docker Engine API socket: set FERRY_DOCKER_HOST (ferry.docker.host), e.g."
                    + " unix:///run/podman/podman.sock";
            return new FerryException(ProblemType.UNSUPPORTED_TRANSPORT, field + ": " + why,
                    List.of(new FerryException.FieldError(field, why)), null);
        });
        return DaemonClient.of(host);
    }

    private Path spoolDir() {
        return Path.of(imports.spoolDir().orElse(config.dataDir() + "/import-spool")).toAbsolutePath().normalize();
    }

    /** How the daemon's API names the image in a path. */
    private static String apiName(ImageLocation.DockerDaemon d) {
        String name = d.name() != null ? d.name().toString() : d.id().hex();
        return URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    java.util.function.Supplier<ImageSource> source(String field, ImageLocation.DockerDaemon d) {
        DaemonClient client = client(field);
        int limit = config.limits().manifestBytes();
        return () -> new DaemonSource(client, d, limit);
    }

    java.util.function.Supplier<Future<ImageDestination>> destination(String field, ImageLocation.DockerDaemon d) {
        DaemonClient client = client(field);
        if (d.name() == null) {
            throw FerryException.invalidField(field, "a daemon destination needs NAME:TAG (an image ID names what is there)");
        }
        List<String> tags = List.of(d.name().toString());
        return () -> {
            Path file = spoolDir().resolve("daemon-load-" + UUID.randomUUID() + ".tar");
            return files.createAtomically(file).map(sink -> (ImageDestination) new TarDestination(TarDestination.Format.DOCKER,
                    new TarWriter(sink), null, tags, d.transportName(), () -> load(client, file, d)));
        };
    }

    /** {@code POST /images/load} with the finished archive; the file is removed either way. */
    private Future<Void> load(DaemonClient client, Path file, ImageLocation.DockerDaemon d) {
        return vertx.<Void>executeBlocking(() -> {
            try (DaemonClient.Response r = client.call("POST", "/images/load?quiet=1", "application/x-tar", file)) {
                if (r.status() != 200) {
                    throw new FerryException(ProblemType.REGISTRY_ERROR, client.describe() + ": loading " + d.transportName()
                            + " was refused (" + r.status() + ": " + r.errorMessage() + ")");
                }
                // a load answers 200 and reports a failure inside its JSON stream
                String answer = new String(r.body().readNBytes(64 * 1024), StandardCharsets.UTF_8);
                if (answer.contains("\"error\"") || answer.contains("\"errorDetail\"")) {
                    throw new FerryException(ProblemType.REGISTRY_ERROR, client.describe() + ": loading " + d.transportName()
                            + " failed: " + abbreviate(answer));
                }
                return null;
            } catch (IOException e) {
                throw new FerryException(ProblemType.REGISTRY_ERROR, client.describe() + ": loading " + d.transportName()
                        + " failed (" + e.getMessage() + ")", e);
            }
        }, false).onComplete(ar -> files.fs().delete(file.toString()));
    }

    private static String abbreviate(String s) {
        String t = s.trim();
        return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }

    /** The daemon's {@code /images/{name}/get} archive, spooled, read as a docker-archive. */
    private final class DaemonSource implements ImageSource {
        private final DaemonClient client;
        private final ImageLocation.DockerDaemon location;
        private final int limit;
        private final Path file = spoolDir().resolve("daemon-get-" + UUID.randomUUID() + ".tar");
        private Future<ImageSource> archive;

        DaemonSource(DaemonClient client, ImageLocation.DockerDaemon location, int limit) {
            this.client = client;
            this.location = location;
            this.limit = limit;
        }

        @Override
        public String describe() {
            return location.transportName();
        }

        private synchronized Future<ImageSource> archive() {
            if (archive == null) {
                archive = vertx.executeBlocking(() -> {
                    fetch();
                    return (ImageSource) new DockerArchiveSource(Entries.tar(file, describe(), files, vertx), null, null,
                            describe(), limit);
                }, false);
            }
            return archive;
        }

        private void fetch() {
            long cap = imports.spoolMaxBytes().asLongValue();
            try {
                Files.createDirectories(file.getParent());
            } catch (IOException e) {
                throw new FerryException(ProblemType.INTERNAL, "spooling " + describe() + ": " + e.getMessage(), e);
            }
            try (DaemonClient.Response r = client.call("GET", "/images/" + apiName(location) + "/get", null, null)) {
                if (r.status() == 404) {
                    throw new FerryException(ProblemType.IMAGE_NOT_FOUND, client.describe() + " has no image "
                            + describe().substring("docker-daemon:".length()));
                }
                if (r.status() != 200) {
                    throw new FerryException(ProblemType.REGISTRY_ERROR, client.describe() + ": saving " + describe()
                            + " was refused (" + r.status() + ": " + r.errorMessage() + ")");
                }
                try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(file)) {
                    byte[] buf = new byte[256 * 1024];
                    long total = 0;
                    for (int n; (n = in.read(buf)) > 0; ) {
                        total += n;
                        if (total > cap) {
                            throw new FerryException(ProblemType.PAYLOAD_TOO_LARGE, describe() + " is larger than the "
                                    + cap + " bytes Ferry may spool (ferry.import.spool-max-bytes)");
                        }
                        out.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                throw new FerryException(ProblemType.REGISTRY_ERROR, client.describe() + ": saving " + describe()
                        + " failed (" + e.getMessage() + ")", e);
            } catch (RuntimeException e) {
                delete();
                throw e;
            }
        }

        private void delete() {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // best effort
            }
        }

        @Override
        public Future<ManifestResult> topManifest() {
            return archive().compose(ImageSource::topManifest);
        }

        @Override
        public Future<ManifestResult> manifest(Digest digest) {
            return archive().compose(a -> a.manifest(digest));
        }

        @Override
        public Future<BlobStream> openBlob(Descriptor blob) {
            return archive().compose(a -> a.openBlob(blob));
        }

        @Override
        public Future<java.util.List<String>> tags() {
            return Future.succeededFuture(List.of());
        }

        @Override
        public Future<Void> close() {
            return vertx.executeBlocking(() -> {
                delete();
                return null;
            }, false);
        }
    }
}
