package dev.ferry.api;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.RequestFields;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobService;
import dev.ferry.security.Callers;
import dev.ferry.transfer.CopyJobs;
import dev.ferry.transfer.CopyRequest;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code skopeo copy} as a job: validated at once, recorded, then run; watch it at /api/v1/jobs/{id}/events. */
@Path("/api/v1/copy")
@Blocking
public class CopyResource {
    private final CopyJobs copies;
    private final JobService jobs;
    private final FerryConfig config;

    public CopyResource(CopyJobs copies, JobService jobs, FerryConfig config) {
        this.copies = copies;
        this.jobs = jobs;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response copy(CopyRequest body, @HeaderParam("Idempotency-Key") String idempotencyKey,
                         @HeaderParam("Prefer") String prefer) {
        CopyRequest r = RequestFields.body(body);
        String key = JobSubmission.idempotencyKey(idempotencyKey);
        JobPlan plan = copies.plan(r);
        JobService.Submitted submitted = jobs.submit("copy", Callers.current(), key, plan);
        return JobSubmission.answer(jobs, submitted, JobSubmission.wait(prefer, config.jobs().maxWait()));
    }
}
