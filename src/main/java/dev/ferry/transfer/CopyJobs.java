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
import dev.ferry.job.StoredRequests;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Platform;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryAccessFactory;
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
    private final RegistryAccessFactory access;
    private final FerryConfig config;
    private final ObjectMapper json;
    private final dev.ferry.registry.RegistryClient registry;

    public CopyJobs(ImageCopier copier, RegistryAccessFactory access, FerryConfig config, ObjectMapper json,
                    dev.ferry.registry.RegistryClient registry) {
        this.registry = registry;
        this.copier = copier;
        this.access = access;
        this.config = config;
        this.json = json;
    }

    @Override
    public String type() {
        return "copy";
    }

    public JobPlan plan(CopyRequest r) {
        ImageReference src = RequestFields.image("source", r.source());
        ImageReference dst = RequestFields.image("destination", r.destination());
        RegistryAccess srcAccess = access.forReference(src, r.sourceAccess(), "src");
        RegistryAccess dstAccess = access.forReference(dst, r.destinationAccess(), "dest");
        CopyOptions options = options(r);
        // a source repo:tag@digest must agree with itself; the destination's is checked against what would be pushed
        JobWork work = ctx -> registry.requireTagMatchesDigest(srcAccess, src)
                .compose(checked -> copier.copy(srcAccess, src, dstAccess, dst, options, new JobCopyListener(ctx), ctx.cancellation()))
                .map(result -> (JsonNode) json.valueToTree(result));
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
        return new CopyOptions(all, platform, parallel);
    }

    @Override
    public JobWork resume(JsonNode storedRequest) {
        return plan(StoredRequests.resume(json, storedRequest, CopyRequest.class)).work();
    }
}
