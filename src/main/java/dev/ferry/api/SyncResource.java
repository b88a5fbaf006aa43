package dev.ferry.api;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.RequestFields;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobService;
import dev.ferry.security.Callers;
import dev.ferry.sync.SyncJobs;
import dev.ferry.sync.SyncRequest;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.UriInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Set;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code skopeo sync} as a job: a JSON request, or skopeo's own YAML source document with the destination and
 * options as query parameters. Validated at once, recorded, then run; watch it at /api/v1/jobs/{id}/events.
 */
@Path("/api/v1/sync")
@Blocking
public class SyncResource {
    private final SyncJobs syncs;
    private final JobService jobs;
    private final FerryConfig config;
    private final StrictJson strict;

    public SyncResource(SyncJobs syncs, JobService jobs, FerryConfig config, StrictJson strict) {
        this.syncs = syncs;
        this.jobs = jobs;
        this.config = config;
        this.strict = strict;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response sync(SyncRequest body, @HeaderParam("Idempotency-Key") String idempotencyKey,
                         @HeaderParam("Prefer") String prefer) {
        SyncRequest r = RequestFields.body(body);
        return submit(syncs.plan(r), idempotencyKey, prefer);
    }

    /** The YAML form's options, as query parameters; nothing else (credentials above all) is taken from the URL. */
    static final Set<String> YAML_QUERY = Set.of("destination", "scoped", "appendSuffix", "all", "keepGoing", "dryRun",
            "destTlsVerify", "destNoCreds", "retryTimes", "retryDelay", "imageParallelCopies", "parallelImages",
            "referrers", "referrerArtifactTypes",
            "excludeRegex", "latest", "latestBy", "maxAge", "prune", "pruneMax",
            "format", "preserveDigests", "destCompressFormat", "destCompressLevel");

    @POST
    @Consumes({"application/yaml", "application/x-yaml", "text/yaml"})
    @Produces(MediaType.APPLICATION_JSON)
    public Response syncYaml(String yaml, @Context UriInfo uri,
                             @HeaderParam("Idempotency-Key") String idempotencyKey, @HeaderParam("Prefer") String prefer)
            throws JsonProcessingException {
        SyncRequest options = strict.queryParameters(uri.getQueryParameters(), SyncRequest.class, YAML_QUERY);
        return submit(syncs.planYaml(yaml, options), idempotencyKey, prefer);
    }

    private Response submit(JobPlan plan, String idempotencyKey, String prefer) {
        String key = JobSubmission.idempotencyKey(idempotencyKey);
        JobService.Submitted submitted = jobs.submit("sync", Callers.current(), key, plan);
        return JobSubmission.answer(jobs, submitted, JobSubmission.wait(prefer, config.jobs().maxWait()));
    }
}
