package dev.ferry.api;

import dev.ferry.config.FerryConfig;
import dev.ferry.delete.DeleteJobs;
import dev.ferry.delete.DeleteRequest;
import dev.ferry.error.RequestFields;
import dev.ferry.job.JobPlan;
import dev.ferry.job.JobService;
import dev.ferry.security.Callers;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code skopeo delete} as a job; refused at once (409) when other tags would disappear with the manifest. */
@Path("/api/v1/delete")
@Blocking
public class DeleteResource {
    private final DeleteJobs deletes;
    private final JobService jobs;
    private final FerryConfig config;

    public DeleteResource(DeleteJobs deletes, JobService jobs, FerryConfig config) {
        this.deletes = deletes;
        this.jobs = jobs;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response delete(DeleteRequest body, @HeaderParam("Idempotency-Key") String idempotencyKey,
                           @HeaderParam("Prefer") String prefer) {
        DeleteRequest r = RequestFields.body(body);
        String key = JobSubmission.idempotencyKey(idempotencyKey);
        JobPlan plan = deletes.plan(r);
        JobService.Submitted submitted = jobs.submit("delete", Callers.current(), key, plan);
        return JobSubmission.answer(jobs, submitted, JobSubmission.wait(prefer, config.jobs().maxWait()));
    }
}
