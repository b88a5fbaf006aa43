package dev.ferry.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.RequestFields;
import dev.ferry.job.JobCopyListener;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobWork;
import dev.ferry.job.JobWorkFactory;
import dev.ferry.oci.ImageLocation;
import dev.ferry.storage.Transports;
import io.vertx.core.Future;
import java.util.function.Supplier;
import dev.ferry.job.StoredRequests;
import dev.ferry.oci.Platform;
import dev.ferry.transfer.CopyOptions;
import dev.ferry.transfer.ImageCopier;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Turns a copy request into a job: everything is validated before the job is accepted (so a bad request is
 * a 400, never a failed job), secrets are kept out of the stored request, and after a restart the job is
 * rebuilt from what was stored — unless it needed credentials that were only in the request.
 */
@ApplicationScoped
public class CopyJobs implements JobWorkFactory {
    private final ImageCopier copier;
    private final Transports transports;
    private final FerryConfig config;
    private final ObjectMapper json;

    private final dev.ferry.registry.RegistryClient registry;
    private final dev.ferry.signature.SigningRequests signing;

    public CopyJobs(ImageCopier copier, Transports transports, FerryConfig config, ObjectMapper json,
                    dev.ferry.registry.RegistryClient registry, dev.ferry.signature.SigningRequests signing) {
        this.signing = signing;
        this.registry = registry;
        this.copier = copier;
        this.transports = transports;
        this.config = config;
        this.json = json;
    }

    @Override
    public String type() {
        return "copy";
    }

    public JobPlan plan(CopyRequest r) {
        ImageLocation src = Transports.parse("source", r.source());
        ImageLocation dst = Transports.parse("destination", r.destination());
        Supplier<ImageSource> source = transports.source("source", src, r.sourceAccess(), "src");
        Supplier<Future<ImageDestination>> destination = transports.destination("destination", dst, r.destinationAccess(),
                "dest", src);
        CopyOptions options = options(r).withSigning(signing.check(r.signBy(), r.signBySigstorePrivateKey(), r.signIdentity(), r.removeSignatures(),
                dst instanceof ImageLocation.Docker docker ? List.of(docker.reference()) : null));
        if ("v2s2".equals(options.format()) && (dst instanceof ImageLocation.OciLayout || dst instanceof ImageLocation.OciArchive)) {
            throw FerryException.invalidField("format", "an OCI layout holds OCI manifests only: v2s2 cannot be written there");
        }
        if (options.compression() != null) {
            if (dst instanceof ImageLocation.DockerArchive || dst instanceof ImageLocation.DockerDaemon) {
                throw FerryException.invalidField("destCompressFormat",
                        "a docker-archive (and a daemon's image store) holds layers uncompressed: there is nothing to compress");
            }
        }
        if (options.all() && dst instanceof ImageLocation.DockerArchive) {
            throw FerryException.invalidField("all", "a docker-archive holds one image: copy one platform, or use oci-archive");
        }
        // a source repo:tag@digest must agree with itself; the destination's is checked against what would be pushed
        JobWork work = ctx -> {
            ImageSource s = source.get();
            Future<?> checked = s instanceof RegistrySource rs
                    ? registry.requireTagMatchesDigest(rs.access(), rs.reference()) : Future.succeededFuture();
            return checked.compose(ok -> destination.get())
                    .compose(d -> copier.copy(s, d, options, new JobCopyListener(ctx), ctx.cancellation()))
                    .map(result -> (JsonNode) json.valueToTree(result));
        };
        return new JobPlan(StoredRequests.of(json, r), work, StoredRequests.secrets(json, r));
    }

    private CopyOptions options(CopyRequest r) {
        String multiArch = r.multiArch() == null ? "system" : r.multiArch();
        if (!List.of("system", "all", "index-only").contains(multiArch)) {
            throw FerryException.invalidField("multiArch", "must be system, all or index-only");
        }
        if ("index-only".equals(multiArch)) {
            throw FerryException.invalidField("multiArch", "index-only is not supported: registries refuse an index whose images are missing");
        }
        if (Boolean.TRUE.equals(r.all()) && r.multiArch() != null && !"all".equals(multiArch)) {
            throw FerryException.invalidField("all", "all: true and multiArch: " + multiArch + " contradict each other");
        }
        boolean all = Boolean.TRUE.equals(r.all()) || "all".equals(multiArch);
        int parallel = r.imageParallelCopies() == null ? CopyOptions.DEFAULT_PARALLEL_BLOBS : r.imageParallelCopies();
        if (parallel < 1 || parallel > 64) {
            throw FerryException.invalidField("imageParallelCopies", "must be between 1 and 64");
        }
        Platform platform = RequestFields.platform(config.platform(), r.overrideOs(), r.overrideArch(), r.overrideVariant());
        return conversion(new CopyOptions(all, platform, parallel, null, false,
                dev.ferry.referrers.ReferrerRequests.options(r.referrers(), r.referrerArtifactTypes())),
                r.format(), r.preserveDigests(), r.destCompressFormat(), r.destCompressLevel());
    }

    /**
     * {@code options} with skopeo's conversion fields ({@code --format}, {@code --preserve-digests},
     * {@code --dest-compress-format} / {@code -level}) checked and applied: copy's and sync's requests share them.
     */
    public static CopyOptions conversion(CopyOptions options, String format, Boolean preserveDigests, String destCompressFormat,
                                         Integer destCompressLevel) {
        if (format != null && !"oci".equals(format) && !"v2s2".equals(format)) {
            throw FerryException.invalidField("format", "must be oci or v2s2");
        }
        LayerCompression compression = LayerCompression.parse(destCompressFormat, destCompressLevel);
        if (compression != null) {
            if (Boolean.TRUE.equals(preserveDigests)) {
                // refused before a job exists: recompressing a layer always gives it another digest
                throw new FerryException(dev.ferry.error.ProblemType.DIGESTS_WOULD_CHANGE,
                        "destCompressFormat rewrites layers, which changes their digests, and preserveDigests is set");
            }
            if ("v2s2".equals(format) && "zstd".equals(compression.algorithm())) {
                throw FerryException.invalidField("destCompressFormat", "Docker v2s2 manifests cannot name zstd layers: use format oci, or gzip");
            }
        }
        return new CopyOptions(options.all(), options.platform(), options.parallelBlobs(), format, Boolean.TRUE.equals(preserveDigests),
                options.referrers(), options.signing(), options.platforms(), compression);
    }

    @Override
    public JobWork resume(JsonNode storedRequest) {
        return plan(StoredRequests.resume(json, storedRequest, CopyRequest.class)).work();
    }
}
