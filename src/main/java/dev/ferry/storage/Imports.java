package dev.ferry.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.error.RequestFields;
import dev.ferry.job.JobCopyListener;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobWork;
import dev.ferry.job.JobWorkFactory;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageLocation;
import dev.ferry.oci.OciFormatException;
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
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * {@code POST /api/v1/import}: an {@code oci-archive} or {@code docker-archive} tar streamed in a request body, written
 * to any destination as an {@code import} job. The archive is read once, as it arrives ({@link ArchiveImport}); what
 * the format forces to wait is spooled to disk under {@link ImportConfig#spoolMaxBytes()}; then the engine copies the
 * rest — blobs, then manifests, then the tag — so nothing names the image before every blob is there and verified.
 * <p>
 * An import cannot be resumed after a restart: its archive was the request body.
 */
@ApplicationScoped
public class Imports implements JobWorkFactory {
    private final Transports transports;
    private final ImageCopier copier;
    private final FerryConfig config;
    private final ImportConfig importConfig;
    private final ObjectMapper json;
    private final LocalFiles files;
    private final dev.ferry.signature.SignaturesConfig signatures;

    public Imports(Transports transports, ImageCopier copier, FerryConfig config, ImportConfig importConfig,
                   ObjectMapper json, Vertx vertx, dev.ferry.signature.SignaturesConfig signatures) {
        this.signatures = signatures;
        this.transports = transports;
        this.copier = copier;
        this.config = config;
        this.importConfig = importConfig;
        this.json = json;
        this.files = new LocalFiles(vertx);
    }

    @Override
    public String type() {
        return "import";
    }

    /**
     * At start-up, what an earlier run of this Ferry left in the spool directory (killed mid-import) is removed: only
     * entries named as Ferry names them (a job id, {@code daemon-get-ID.tar}, {@code daemon-load-ID.tar}), so a
     * spool directory shared by mistake with other files loses nothing else.
     */
    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent start) {
        Path root = spoolRoot();
        java.util.regex.Pattern ours = java.util.regex.Pattern.compile(
                "(daemon-(get|load)-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\\.tar)?(\\..*\\.tmp)?|\\.daemon-load-.*\\.tmp");
        try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(root)) {
            entries.filter(p -> ours.matcher(p.getFileName().toString()).matches()).forEach(Imports::deleteTree);
        } catch (java.io.IOException e) {
            // no spool directory yet: nothing to clean
        }
    }

    private static void deleteTree(Path p) {
        try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(p)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException e) {
            io.quarkus.logging.Log.warnf("could not remove the stale import spool %s: %s", p, e.getMessage());
        }
    }

    @Override
    public JobWork resume(JsonNode storedRequest) {
        throw new FerryException(ProblemType.JOB_NOT_RESUMABLE, "an import reads its archive from the request body, which"
                + " ended with the interrupted run; send the archive again");
    }

    /** The most bytes an import body may have. */
    public long maxBytes() {
        return importConfig.maxBytes().asLongValue();
    }

    /** A validated import, ready to be submitted; {@link #drained()} completes once the body has been read to its end. */
    public static final class Prepared {
        private final JobPlan plan;
        private final Promise<Void> drained = Promise.promise();
        private final AtomicBoolean started = new AtomicBoolean();

        Prepared(JobPlan plan) {
            this.plan = plan;
        }

        public JobPlan plan() {
            return plan;
        }

        /** Whether the job began reading the body (if not, it never will: the answer must close the connection). */
        public boolean started() {
            return started.get();
        }

        /**
         * Completes when the body has been read to its end (after a failure too: the rest is read and dropped), so an
         * answer can be given on the connection; fails when the body passed the cap, and the connection must close.
         */
        public Future<Void> drained() {
            return drained.future();
        }
    }

    /**
     * Validates {@code r} (every refusal a 4xx before any job exists) and prepares the job that reads {@code body} on
     * {@code context} (the request's event loop). {@code body} must be paused.
     */
    public Prepared prepare(ImportRequest r, ReadStream<Buffer> body, Context context) {
        String format = RequestFields.required("format", r.format());
        ArchiveImport.Format f;
        ImageLocation shape;
        if ("oci-archive".equals(format)) {
            f = ArchiveImport.Format.OCI;
        } else if ("docker-archive".equals(format)) {
            f = ArchiveImport.Format.DOCKER;
        } else {
            throw FerryException.invalidField("format", "must be oci-archive or docker-archive");
        }
        try {
            // the ref in the archive, in the transport's own syntax (oci-archive: REF; docker-archive: NAME:TAG or @N)
            shape = ImageLocation.parse(format + ":/import" + (r.ref() == null || r.ref().isEmpty() ? "" : ":" + r.ref()));
        } catch (OciFormatException e) {
            throw FerryException.invalidField("ref", e.getMessage());
        }
        if (Boolean.TRUE.equals(r.all()) && f == ArchiveImport.Format.DOCKER) {
            throw FerryException.invalidField("all", "a docker-archive holds single images");
        }
        ImageLocation dst = Transports.parse("destination", r.destination());
        AccessOptions access = new AccessOptions(null, null, null, r.destTlsVerify(), r.retryTimes(), r.retryDelay());
        Supplier<Future<ImageDestination>> destination = transports.destination("destination", dst, access, "dest", shape);
        int parallel = r.imageParallelCopies() == null ? CopyOptions.DEFAULT_PARALLEL_BLOBS : r.imageParallelCopies();
        if (parallel < 1 || parallel > 64) {
            throw FerryException.invalidField("imageParallelCopies", "must be between 1 and 64");
        }
        CopyOptions options = new CopyOptions(Boolean.TRUE.equals(r.all()),
                RequestFields.platform(config.platform(), r.overrideOs(), r.overrideArch(), r.overrideVariant()), parallel,
                null, Boolean.TRUE.equals(r.preserveDigests()));
        Prepared[] self = new Prepared[1];
        JobWork work = ctx -> {
            Prepared p = self[0];
            if (!p.started.compareAndSet(false, true)) {
                return Future.failedFuture(new FerryException(ProblemType.JOB_NOT_RESUMABLE, "the import's body was read already"));
            }
            Promise<JsonNode> result = Promise.promise();
            context.runOnContext(v -> {
                Future<ImportResult> done;
                try {
                    done = run(f, shape, destination, options, body, new JobCopyListener(ctx, true), ctx.cancellation(),
                            spoolRoot().resolve(ctx.jobId()), p.drained);
                } catch (RuntimeException e) {
                    done = Future.failedFuture(e);
                }
                done.map(res -> (JsonNode) json.valueToTree(res)).onComplete(result);
            });
            return result.future();
        };
        self[0] = new Prepared(new JobPlan(json.valueToTree(r), work));
        return self[0];
    }

    private Path spoolRoot() {
        return Path.of(importConfig.spoolDir().orElse(config.dataDir() + "/import-spool")).toAbsolutePath().normalize();
    }

    /** What an import did: the copy's result, with what the first pass wrote and spooled. */
    public record ImportResult(Digest digest, int blobsCopied, int blobsSkipped, long bytesCopied, boolean digestsChanged,
                               long bytesRead, long bytesSpooled) {
    }

    private Future<ImportResult> run(ArchiveImport.Format format, ImageLocation shape,
                                     Supplier<Future<ImageDestination>> destination, CopyOptions options,
                                     ReadStream<Buffer> body, CopyListener listener, Cancellation cancellation, Path spool,
                                     Promise<Void> drained) {
        String describe = "the " + (format == ArchiveImport.Format.OCI ? "oci-archive" : "docker-archive") + " in the request body";
        Future<ImageDestination> opened = destination.get();
        opened.onFailure(t -> drainWithoutReading(body, drained));
        return opened.compose(d -> {
            // a signature policy admits the image before anything is written: then nothing is written early
            boolean writeEarly = signatures.policy().isEmpty();
            ArchiveImport imp = new ArchiveImport(format, d, writeEarly, spool, importConfig.spoolMaxBytes().asLongValue(),
                    config.limits().manifestBytes(), files, listener, cancellation, describe);
            TarStreamReader reader = imp.read(body, maxBytes(), importConfig.maxEntries());
            reader.drained().onComplete(drained);
            Future<ImportResult> copied = reader.done().transform(ar -> {
                if (ar.failed()) {
                    return d.abort().transform(x -> Future.<ImportResult>failedFuture(ar.cause()));
                }
                return secondPass(format, shape, imp, d, options, listener, cancellation, describe)
                        .map(c -> new ImportResult(c.digest(), c.blobsCopied() + imp.blobsWritten(),
                                Math.max(0, c.blobsSkipped() - imp.blobsWritten()), c.bytesCopied() + imp.bytesWritten(),
                                c.digestsChanged(), reader.bytesRead(), imp.bytesSpooled()));
            });
            return copied.transform(ar -> imp.cleanUp().transform(x -> ar.succeeded() ? Future.succeededFuture(ar.result())
                    : Future.failedFuture(ar.cause())));
        });
    }

    /** Nothing will read the body (the destination could not be opened): read and drop it, so the answer is clean. */
    private void drainWithoutReading(ReadStream<Buffer> body, Promise<Void> drained) {
        long[] n = {0};
        long max = maxBytes();
        body.handler(b -> {
            n[0] += b.length();
            if (n[0] > max) {
                body.pause();
                drained.tryFail(new FerryException(ProblemType.PAYLOAD_TOO_LARGE, "the body passed ferry.import.max-bytes"));
            }
        });
        body.exceptionHandler(drained::tryFail);
        body.endHandler(v -> drained.tryComplete());
        body.resume();
    }

    /** The image as the archive describes it, copied through the engine: what the first pass did not write, then manifests. */
    private Future<CopyResult> secondPass(ArchiveImport.Format format, ImageLocation shape, ArchiveImport imp,
                                          ImageDestination d, CopyOptions options, CopyListener listener,
                                          Cancellation cancellation, String describe) {
        int limit = config.limits().manifestBytes();
        ImageSource source = format == ArchiveImport.Format.OCI
                ? new OciLayoutSource(imp.entries(), ((ImageLocation.OciArchive) shape).reference(), describe, limit)
                : new DockerArchiveSource(imp.entries(), ((ImageLocation.DockerArchive) shape).name(),
                        ((ImageLocation.DockerArchive) shape).index(), describe, limit);
        Map<Digest, Long> written = imp.writtenBlobs();
        Future<CopyPlan> plan = CopyPlanner.plan(source, options.all(), copier.platform(options)).compose(p -> {
            int more = 0;
            long bytes = 0;
            for (Descriptor b : p.blobs()) {
                Long size = written.get(b.digest());
                if (size == null) {
                    more++;
                    bytes += b.size();
                } else if (size != b.size()) {
                    return Future.failedFuture(new FerryException(ProblemType.INVALID_ARCHIVE, describe + ": blob " + b.digest()
                            + " has " + size + " bytes, but its manifest says " + b.size()));
                }
            }
            listener.planned(more, bytes);
            return Future.succeededFuture(p);
        });
        CopyListener rest = new CopyListener() {
            @Override
            public void blobStarted(Descriptor blob) {
                listener.blobStarted(blob);
            }

            @Override
            public void blobSkipped(Descriptor blob, String reason) {
                if (!written.containsKey(blob.digest())) {
                    listener.blobSkipped(blob, reason);
                }
            }

            @Override
            public void blobRetrying(Descriptor blob, int attempt, String why) {
                listener.blobRetrying(blob, attempt, why);
            }

            @Override
            public void bytes(Descriptor blob, long n) {
                listener.bytes(blob, n);
            }

            @Override
            public void blobDone(Descriptor blob) {
                listener.blobDone(blob);
            }

            @Override
            public void blobFailed(Descriptor blob, String why) {
                listener.blobFailed(blob, why);
            }

            @Override
            public void manifestPushed(Digest digest, String mediaType, String reference) {
                listener.manifestPushed(digest, mediaType, reference);
            }
        };
        return copier.copy(plan, source, d, options, rest, cancellation);
    }
}
