package dev.ferry.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.job.Job;
import dev.ferry.job.JobService;
import dev.ferry.job.JobState;
import dev.ferry.security.Callers;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Jobs: list, read, cancel, and watch live over server-sent events. */
@Path("/api/v1/jobs")
@Blocking
public class JobResource {
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final int MAX_LIMIT = 500;

    private final JobService jobs;
    private final ObjectMapper json;
    @jakarta.inject.Inject
    dev.ferry.metrics.EdgeMetrics metrics;
    @jakarta.inject.Inject
    EventStreamCap streamCap;

    public JobResource(JobService jobs, ObjectMapper json) {
        this.jobs = jobs;
        this.json = json;
    }

    /** A page of jobs, newest first; {@code total}: how many jobs match the filters in all. */
    public record JobPage(List<Job> items, int offset, int limit, long total) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public JobPage list(@QueryParam("state") String state, @QueryParam("type") String type,
                        @QueryParam("offset") @DefaultValue("0") String offset,
                        @QueryParam("limit") @DefaultValue("50") String limit) {
        JobState s = null;
        if (state != null) {
            try {
                s = JobState.fromWire(state);
            } catch (IllegalArgumentException e) {
                throw FerryException.invalidField("state", "must be one of queued, running, succeeded, failed, cancelled");
            }
        }
        if (type != null && !List.of("copy", "delete", "sync", "import").contains(type.toLowerCase(Locale.ROOT))) {
            throw FerryException.invalidField("type", "must be one of copy, delete, sync, import");
        }
        int o = intParam("offset", offset, 0, Integer.MAX_VALUE);
        int l = intParam("limit", limit, 1, MAX_LIMIT);
        JobService.Page page = jobs.page(s, type == null ? null : type.toLowerCase(Locale.ROOT), Callers.jobsVisible(), o, l);
        boolean admin = Callers.isAdmin();
        return new JobPage(page.items().stream().map(j -> admin ? j : j.withoutLease()).toList(), o, l, page.total());
    }

    private static int intParam(String name, String value, int min, int max) {
        try {
            int v = Integer.parseInt(value);
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw FerryException.invalidField(name, "must be an integer from " + min + " to " + max);
        }
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Job get(@PathParam("id") String id) {
        Job job = find(id);
        return Callers.isAdmin() ? job : job.withoutLease();
    }

    /** 200 with the job once it has stopped; 202 with {@code cancelRequested} while it is still stopping. */
    @DELETE
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response cancel(@PathParam("id") String id) {
        Job job = jobs.cancel(find(id));
        Job shown = Callers.isAdmin() ? job : job.withoutLease();
        return Response.status(job.state().isTerminal() ? 200 : 202).entity(shown).build();
    }

    private Job find(String id) {
        if (!JOB_ID.matcher(id).matches()) {
            throw new FerryException(ProblemType.JOB_NOT_FOUND, "no job " + id);
        }
        return jobs.find(id, Callers.jobsVisible())
                .orElseThrow(() -> new FerryException(ProblemType.JOB_NOT_FOUND, "no job " + id));
    }

    /**
     * The job's events: without Last-Event-ID, every recorded event from the first (a job snapshot), then live
     * ones, whichever replica runs the job; with it, a job snapshot (carrying that id), then the events after it.
     * Ends after the terminal job event. A Last-Event-ID at or past the end of a job that has ended answers 204 No
     * Content, which tells an EventSource to stop reconnecting.
     */
    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @HeaderParam("Last-Event-ID") String lastEventId,
                                          @Context Sse sse, @Context io.vertx.core.http.HttpServerRequest request) {
        Job job = find(id);
        String who = streamOwner(request);
        EventStreamCap.Place place = streamCap.tryTake(who);
        if (place == null) {
            throw new TooManyStreams(streamCap.max());
        }
        try {
            return follow(id, job, lastEventId, sse, place);
        } catch (RuntimeException e) {
            place.close();
            throw e;
        }
    }

    /** Whose stream this is: the token's subject in secured mode, the client's address in local mode. */
    private static String streamOwner(io.vertx.core.http.HttpServerRequest request) {
        String caller = Callers.current();
        if (!Callers.LOCAL.equals(caller) || request == null || request.remoteAddress() == null) {
            return caller;
        }
        return Callers.LOCAL + "@" + request.remoteAddress().hostAddress();
    }

    private Multi<OutboundSseEvent> follow(String id, Job job, String lastEventId, Sse sse, EventStreamCap.Place place) {
        long after = 0;
        if (lastEventId != null && !lastEventId.isBlank()) {
            try {
                after = Long.parseLong(lastEventId.trim());
                if (after < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new FerryException(ProblemType.INVALID_REQUEST, "Last-Event-ID must be an event id of this stream");
            }
            long last = jobs.lastEventSeq(id);
            if (after >= last && jobs.find(id, null).orElse(job).state().isTerminal()) {
                throw new NoMoreEvents();
            }
            // an id this stream never sent: go on from the last one it did
            after = Math.min(after, last);
        }
        long from = after;
        return Multi.createFrom().<OutboundSseEvent>emitter(em -> {
            if (from > 0) {
                Job now = jobs.find(id, null).orElse(job);
                em.emit(event(sse, "job", from, jobs.snapshotOf(now)));
            }
            Runnable stop = metrics.sseSubscribed(jobs.follow(id, from, e -> em.emit(event(sse, e.kind(), e.seq(), e.data())), em::complete));
            em.onTermination(() -> {
                place.close();
                stop.run();
            });
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onTermination().invoke(place::close);
    }

    /** The caller already holds {@code ferry.jobs.max-event-streams-per-caller} event streams open. */
    static final class TooManyStreams extends RuntimeException {
        final int max;

        TooManyStreams(int max) {
            super("too many event streams", null, false, false);
            this.max = max;
        }
    }

    @ServerExceptionMapper
    public Response tooManyStreams(TooManyStreams e) {
        Response r = ProblemMapper.response(ProblemType.TOO_MANY_EVENT_STREAMS, "you already hold " + e.max
                + " event streams open on this replica, the most ferry.jobs.max-event-streams-per-caller allows; close one"
                + " (or wait for its job to end) and reconnect", List.of());
        return Response.fromResponse(r).header("Retry-After", "5").build();
    }

    private OutboundSseEvent event(Sse sse, String name, long seq, Object data) {
        return sse.newEventBuilder().name(name).id(Long.toString(seq)).data(write(data)).build();
    }

    /** Nothing after the given Last-Event-ID, and the job has ended. */
    static final class NoMoreEvents extends RuntimeException {
        NoMoreEvents() {
            super("no more events", null, false, false);
        }
    }

    @ServerExceptionMapper
    public Response noMoreEvents(NoMoreEvents e) {
        return Response.noContent().build();
    }

    private String write(Object data) {
        try {
            return json.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
