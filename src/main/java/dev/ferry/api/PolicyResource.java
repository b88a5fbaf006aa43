package dev.ferry.api;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.error.RequestFields;
import dev.ferry.job.JobService;
import dev.ferry.policy.PolicyRequest;
import dev.ferry.policy.PolicyService;
import dev.ferry.security.Callers;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;

/** Stored sync policies: CRUD, runs now (or a dry-run plan), and each policy's run history. */
@Path("/api/v1/policies")
@Blocking
@Produces(MediaType.APPLICATION_JSON)
public class PolicyResource {
    private static final int MAX_LIMIT = 500;

    private final PolicyService policies;
    private final JobService jobs;
    private final FerryConfig config;
    private final StrictJson strict;

    public PolicyResource(PolicyService policies, JobService jobs, FerryConfig config, StrictJson strict) {
        this.policies = policies;
        this.jobs = jobs;
        this.config = config;
        this.strict = strict;
    }

    /** Every policy, by name. */
    public record PolicyList(List<PolicyService.PolicyView> items) {
    }

    /** Options of a run started by hand. */
    public record RunRequest(Boolean dryRun) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(PolicyRequest body) {
        PolicyService.PolicyView v = policies.create(RequestFields.body(body), Callers.current());
        return Response.created(URI.create("/api/v1/policies/" + v.name())).entity(v).build();
    }

    @GET
    public PolicyList list() {
        return new PolicyList(policies.list());
    }

    @GET
    @Path("/{name}")
    public PolicyService.PolicyView get(@PathParam("name") String name) {
        return policies.get(name);
    }

    @PUT
    @Path("/{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    public PolicyService.PolicyView replace(@PathParam("name") String name, PolicyRequest body) {
        return policies.replace(name, RequestFields.body(body));
    }

    @DELETE
    @Path("/{name}")
    public Response delete(@PathParam("name") String name) {
        policies.delete(name);
        return Response.noContent().build();
    }

    /** Runs the policy now; {@code {"dryRun": true}} plans only (what would be copied and pruned). */
    @POST
    @Path("/{name}/runs")
    @Consumes(MediaType.WILDCARD)
    public Response run(@PathParam("name") String name, String raw, @HeaderParam("Prefer") String prefer)
            throws com.fasterxml.jackson.core.JsonProcessingException {
        RunRequest body = raw == null || raw.isBlank() ? null : RequestFields.body(strict.mapper().readValue(raw, RunRequest.class));
        boolean dryRun = body != null && Boolean.TRUE.equals(body.dryRun());
        JobService.Submitted s = policies.runNow(name, "manual", dryRun);
        return JobSubmission.answer(jobs, s, JobSubmission.wait(prefer, config.jobs().maxWait()));
    }

    /** The plan of a run, as a dry-run job: what would be copied, skipped and pruned. */
    @POST
    @Path("/{name}/plan")
    @Consumes(MediaType.WILDCARD)
    public Response plan(@PathParam("name") String name, @HeaderParam("Prefer") String prefer) {
        JobService.Submitted s = policies.runNow(name, "manual", true);
        return JobSubmission.answer(jobs, s, JobSubmission.wait(prefer, config.jobs().maxWait()));
    }

    @GET
    @Path("/{name}/runs")
    public PolicyService.Runs runs(@PathParam("name") String name, @QueryParam("offset") @DefaultValue("0") String offset,
                                   @QueryParam("limit") @DefaultValue("50") String limit) {
        return policies.runs(name, number("offset", offset, 0, Integer.MAX_VALUE), number("limit", limit, 1, MAX_LIMIT));
    }

    static int number(String field, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new FerryException(ProblemType.INVALID_REQUEST, field + " must be a number from " + min + " to " + max,
                List.of(new FerryException.FieldError(field, "must be a number from " + min + " to " + max)), null);
    }
}
