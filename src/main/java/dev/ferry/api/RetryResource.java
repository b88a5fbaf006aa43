package dev.ferry.api;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.job.JobService;
import dev.ferry.policy.PolicyService;
import dev.ferry.security.Callers;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.regex.Pattern;

/** {@code POST /api/v1/jobs/{id}/retry}: re-runs only the images a sync job or policy run failed, as a new job. */
@Path("/api/v1/jobs/{id}/retry")
@Blocking
public class RetryResource {
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final PolicyService policies;
    private final JobService jobs;
    private final FerryConfig config;
    private final StrictJson strict;

    public RetryResource(PolicyService policies, JobService jobs, FerryConfig config, StrictJson strict) {
        this.policies = policies;
        this.jobs = jobs;
        this.config = config;
        this.strict = strict;
    }

    /** The body is optional (credentials a one-off sync needs again); without one, no Content-Type is needed. */
    @POST
    @jakarta.ws.rs.Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response retry(@PathParam("id") String id, String raw, @HeaderParam("Prefer") String prefer)
            throws com.fasterxml.jackson.core.JsonProcessingException {
        if (!JOB_ID.matcher(id).matches()) {
            throw new FerryException(ProblemType.JOB_NOT_FOUND, "no job " + id);
        }
        PolicyService.RetryRequest body = raw == null || raw.isBlank() ? null
                : dev.ferry.error.RequestFields.body(strict.mapper().readValue(raw, PolicyService.RetryRequest.class));
        JobService.Submitted s = policies.retry(id, Callers.jobsVisible(), Callers.current(), body);
        return JobSubmission.answer(jobs, s, JobSubmission.wait(prefer, config.jobs().maxWait()));
    }
}
