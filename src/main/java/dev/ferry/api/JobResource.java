package dev.ferry.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.job.Job;
import dev.ferry.job.JobEvent;
import dev.ferry.job.JobEvents;
import dev.ferry.job.JobService;
import dev.ferry.job.JobState;
import dev.ferry.job.JobStore;
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
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Jobs: list, read, cancel, and watch live over server-sent events. */
@Path("/api/v1/jobs")
@Blocking
public class JobResource {
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final int MAX_LIMIT = 500;

    private final JobService jobs;
    private final JobStore store;
    private final JobEvents events;
    private final ObjectMapper json;
    @jakarta.inject.Inject
    dev.ferry.metrics.EdgeMetrics metrics;

    public JobResource(JobService jobs, JobStore store, JobEvents events, ObjectMapper json) {
        this.jobs = jobs;
        this.store = store;
        this.events = events;
        this.json = json;
    }

    /** A page of jobs, newest first. */
    public record JobPage(List<Job> items, int offset, int limit) {
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
        if (type != null && !List.of("copy", "delete", "sync").contains(type.toLowerCase(Locale.ROOT))) {
            throw FerryException.invalidField("type", "must be one of copy, delete, sync");
        }
        int o = intParam("offset", offset, 0, Integer.MAX_VALUE);
        int l = intParam("limit", limit, 1, MAX_LIMIT);
        return new JobPage(jobs.list(s, type == null ? null : type.toLowerCase(Locale.ROOT), Callers.jobsVisible(), o, l), o, l);
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
        return find(id);
    }

    @DELETE
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Job cancel(@PathParam("id") String id) {
        return jobs.cancel(find(id));
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
     * ones; with it, a job snapshot, then the events after that id. Ends after the terminal job event.
     */
    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @HeaderParam("Last-Event-ID") String lastEventId,
                                          @Context Sse sse) {
        Job job = find(id);
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
        }
        long from = after;
        return Multi.createFrom().<OutboundSseEvent>emitter(em -> {
            Object lock = new Object();
            List<JobEvent> buffered = new ArrayList<>();
            boolean[] replaying = {true};
            long[] lastSent = {from};
            boolean[] ended = {false};
            Runnable[] unsubscribe = {() -> { }};
            java.util.function.Consumer<JobEvent> send = e -> {
                if (ended[0] || e.seq() <= lastSent[0]) {
                    return;
                }
                em.emit(sse.newEventBuilder().name(e.kind()).id(Long.toString(e.seq()))
                        .mediaType(MediaType.TEXT_PLAIN_TYPE).data(String.class, write(e.data())).build());
                lastSent[0] = e.seq();
                if (e.isTerminal()) {
                    ended[0] = true;
                    unsubscribe[0].run();
                    em.complete();
                }
            };
            unsubscribe[0] = metrics.sseSubscribed(events.subscribe(id, e -> {
                synchronized (lock) {
                    if (replaying[0]) {
                        buffered.add(e);
                    } else {
                        send.accept(e);
                    }
                }
            }));
            em.onTermination(() -> unsubscribe[0].run());
            events.flush();
            List<JobEvent> recorded = store.events(id, from);
            Job now = jobs.find(id, null).orElse(job);
            synchronized (lock) {
                if (from > 0) {
                    em.emit(sse.newEventBuilder().name("job").id(Long.toString(from))
                            .mediaType(MediaType.TEXT_PLAIN_TYPE).data(String.class, write(jobs.snapshotOf(now))).build());
                }
                recorded.forEach(send);
                buffered.forEach(send);
                buffered.clear();
                replaying[0] = false;
                if (!ended[0] && now.state().isTerminal()) {
                    // ended, but its terminal event was not recorded (a crash between the two writes)
                    em.emit(sse.newEventBuilder().name("job").id(Long.toString(Math.max(lastSent[0], store.lastEventSeq(id))))
                            .mediaType(MediaType.TEXT_PLAIN_TYPE).data(String.class, write(jobs.snapshotOf(now))).build());
                    ended[0] = true;
                    unsubscribe[0].run();
                    em.complete();
                }
            }
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private String write(Object data) {
        try {
            return json.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
