package dev.ferry.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.ferry.error.FerryException;
import dev.ferry.notify.NotificationDeliveries;
import dev.ferry.notify.NotificationUrls;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The delivery log of outbound notifications: one entry per (ended job, target), with every attempt. Admins only in
 * secured mode (it names every job). Never shows a secret; a URL's query is elided.
 */
@Path("/api/v1/notifications/deliveries")
@Blocking
public class NotificationResource {
    private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final List<String> STATES = List.of("pending", "delivered", "failed");

    private final NotificationDeliveries deliveries;

    public NotificationResource(NotificationDeliveries deliveries) {
        this.deliveries = deliveries;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NotificationDelivery(String id, String jobId, String policy, String target, String url, String eventType,
                           String state, int attempts, boolean signed, Integer lastStatus, String lastError,
                           Instant createdAt, Instant nextAttemptAt, Instant endedAt, List<NotificationAttempt> attemptLog) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NotificationAttempt(int attempt, Instant at, Integer status, String error, long durationMs, String replica) {
    }

    public record NotificationDeliveryPage(List<NotificationDelivery> items, int offset, int limit, long total) {
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public NotificationDeliveryPage list(@QueryParam("jobId") String jobId, @QueryParam("state") String state,
                     @QueryParam("offset") @DefaultValue("0") String offset, @QueryParam("limit") @DefaultValue("50") String limit) {
        if (jobId != null && !JOB_ID.matcher(jobId).matches()) {
            throw FerryException.invalidField("jobId", "must be a job id (a UUID)");
        }
        if (state != null && !STATES.contains(state)) {
            throw FerryException.invalidField("state", "must be one of pending, delivered, failed");
        }
        int o = intParam("offset", offset, 0, Integer.MAX_VALUE);
        int l = intParam("limit", limit, 1, 500);
        List<NotificationDelivery> items = deliveries.list(jobId, state, o, l).stream().map(this::view).toList();
        return new NotificationDeliveryPage(items, o, l, deliveries.count(jobId, state));
    }

    private NotificationDelivery view(NotificationDeliveries.Delivery d) {
        List<NotificationAttempt> log = deliveries.attempts(d.id()).stream()
                .map(a -> new NotificationAttempt(a.attempt(), a.at(), a.status(), a.error(), a.durationMs(), a.owner())).toList();
        String target = d.targetName() != null ? "config:" + d.targetName() : d.policy() != null ? "policy:" + d.policy() : "run";
        return new NotificationDelivery(d.id(), d.jobId(), d.policy(), target, NotificationUrls.shown(d.url()), d.eventType(), d.state(),
                d.attempts(), !"none".equals(d.secretMode()), d.lastStatus(), d.lastError(), d.createdAt(),
                "pending".equals(d.state()) ? d.nextAttemptAt() : null, d.endedAt(), log);
    }

    private static int intParam(String name, String value, int min, int max) {
        try {
            int v = Integer.parseInt(value);
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw FerryException.invalidField(name, "must be a whole number from " + min + " to " + max);
        }
    }
}
