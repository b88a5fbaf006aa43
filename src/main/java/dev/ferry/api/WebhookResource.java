package dev.ferry.api;

import dev.ferry.webhook.WebhookPromotions;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Webhooks that promote pushed images: registries POST their events here and each matching push becomes a copy
 * job. These endpoints authenticate with each hook's own secret (HMAC signature or bearer secret), not with
 * Ferry's caller identity: a future caller-authentication filter (OIDC) must leave {@code POST /api/v1/hooks/*}
 * alone, by path. {@code GET /api/v1/hooks} is an ordinary API read and is not exempt.
 */
@Path("/api/v1/hooks")
@Blocking
public class WebhookResource {
    private final WebhookPromotions promotions;

    @jakarta.inject.Inject
    dev.ferry.metrics.EdgeMetrics metrics;

    public WebhookResource(WebhookPromotions promotions) {
        this.promotions = promotions;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public WebhookList list() {
        return WebhookList.of(promotions.all());
    }

    /** The raw body is taken as bytes: the signature covers exactly what was sent. */
    @POST
    @Path("/{name}")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response receive(@PathParam("name") String name, @HeaderParam("X-Hub-Signature-256") String hubSignature,
                            @HeaderParam("Authorization") String authorization, byte[] body) {
        WebhookPromotions.Outcome outcome;
        try {
            outcome = promotions.receive(name, hubSignature, authorization, body);
        } catch (dev.ferry.error.FerryException e) {
            metrics.webhookDelivery(name, e.type().slug());
            throw e;
        }
        metrics.webhookDelivery(name, outcome.anyNew() ? "promoted" : outcome.jobs().isEmpty() ? "ignored" : "redelivered");
        return Response.status(outcome.anyNew() ? 202 : 200)
                .entity(new WebhookAccepted(outcome.jobs(), outcome.ignored(), outcome.rejected()))
                .build();
    }
}
