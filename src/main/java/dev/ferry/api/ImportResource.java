package dev.ferry.api;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.job.Job;
import dev.ferry.job.JobError;
import dev.ferry.job.JobService;
import dev.ferry.job.JobState;
import dev.ferry.security.Callers;
import dev.ferry.storage.ImportRequest;
import dev.ferry.storage.Imports;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An archive in the request body, written to a destination ({@code skopeo copy oci-archive:/dev/stdin docker://…}, if
 * skopeo could): the body streams in and is read as it arrives; the answer comes once the body has been read and the
 * import job has ended — 200 with the job, or the job's problem with its status — with {@code Location} naming the
 * job either way (its events at {@code /api/v1/jobs/{id}/events} while it runs). Registry credentials come from
 * Ferry's configuration: secrets do not belong in a URL. The body is exempt from
 * {@code quarkus.http.limits.max-body-size}; {@code ferry.import.max-bytes} caps it instead.
 */
@Path("/api/v1/import")
@Blocking
public class ImportResource {
    static final String PATH = "/api/v1/import";
    /** How long an answer waits for the rest of a body it will not use, after the job ended. */
    private static final Duration DRAIN_WAIT = Duration.ofMinutes(10);

    private final Imports imports;
    private final JobService jobs;

    public ImportResource(Imports imports, JobService jobs) {
        this.imports = imports;
        this.jobs = jobs;
    }

    @POST
    @Produces(MediaType.APPLICATION_JSON)
    public Response importArchive(@jakarta.ws.rs.core.Context io.vertx.ext.web.RoutingContext routing,
                                  @HeaderParam("Content-Type") String contentType,
                                  @QueryParam("destination") String destination, @QueryParam("format") String format,
                                  @QueryParam("ref") String ref, @QueryParam("all") Boolean all,
                                  @QueryParam("destTlsVerify") Boolean destTlsVerify,
                                  @QueryParam("preserveDigests") Boolean preserveDigests,
                                  @QueryParam("overrideOs") String overrideOs, @QueryParam("overrideArch") String overrideArch,
                                  @QueryParam("overrideVariant") String overrideVariant,
                                  @QueryParam("imageParallelCopies") Integer imageParallelCopies,
                                  @QueryParam("retryTimes") Integer retryTimes, @QueryParam("retryDelay") String retryDelay) {
        HttpServerRequest request = routing.request();
        request.pause();
        Imports.Prepared prepared;
        Job job;
        try {
            if (contentType == null || !isTar(contentType)) {
                throw new FerryException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "the body must be a tar archive, sent as"
                        + " Content-Type: application/x-tar (got " + (contentType == null ? "none" : abbreviate(contentType)) + ")");
            }
            String length = routing.get(BodyLimitFilter.IMPORT_LENGTH);
            if (length != null && Long.parseLong(length.trim()) > imports.maxBytes()) {
                throw new FerryException(ProblemType.PAYLOAD_TOO_LARGE, "the body is larger than the " + imports.maxBytes()
                        + " bytes an import may have (ferry.import.max-bytes)");
            }
            ImportRequest r = new ImportRequest(destination, format, ref, all, destTlsVerify, preserveDigests, overrideOs,
                    overrideArch, overrideVariant, imageParallelCopies, retryTimes, retryDelay);
            Context context = Vertx.currentContext();
            if (context == null) {
                throw new IllegalStateException("no Vert.x context for the request");
            }
            prepared = imports.prepare(r, request, context);
            job = jobs.submit("import", Callers.current(), null, prepared.plan()).job();
            // a client that asked (curl does for large uploads) hears it may send the body only now, once accepted
            if ("100-continue".equalsIgnoreCase(request.getHeader("Expect")) && !routing.response().headWritten()) {
                routing.response().writeContinue();
            }
        } catch (NumberFormatException e) {
            return closing(ProblemMapper.response(ProblemType.INVALID_REQUEST, "invalid Content-Length", List.of()));
        } catch (FerryException e) {
            return closing(ProblemMapper.response(e.type(), e.getMessage(), e.errors()));
        }
        Job ended = jobs.await(job, Duration.ofDays(365));
        boolean clean = false;
        if (prepared.started()) {
            try {
                prepared.drained().toCompletionStage().toCompletableFuture().get(DRAIN_WAIT.toSeconds(), TimeUnit.SECONDS);
                clean = true;
            } catch (Exception e) {
                clean = false;
            }
        }
        Response answer = answer(ended);
        return clean ? answer : closing(answer);
    }

    private static Response answer(Job job) {
        URI location = URI.create("/api/v1/jobs/" + job.id());
        if (job.state() == JobState.FAILED && job.error() != null) {
            JobError e = job.error();
            Map<String, Object> problem = new LinkedHashMap<>();
            problem.put("type", e.type());
            problem.put("title", e.title());
            problem.put("status", e.status());
            problem.put("detail", e.detail());
            return Response.status(e.status()).type(Problem.MEDIA_TYPE).location(location).entity(problem).build();
        }
        return Response.status(job.state().isTerminal() ? 200 : 202).location(location).entity(job).build();
    }

    /** The rest of the body will not be read: the connection closes after the answer. */
    private static Response closing(Response r) {
        return Response.fromResponse(r).header("Connection", "close").build();
    }

    private static boolean isTar(String contentType) {
        String t = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
        return t.equals("application/x-tar") || t.equals("application/tar");
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
