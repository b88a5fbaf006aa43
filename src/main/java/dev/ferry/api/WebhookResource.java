package dev.ferry.api;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.error.RequestFields;
import dev.ferry.webhook.HookRequest;
import dev.ferry.webhook.Hooks;
import dev.ferry.webhook.WebhookPromotions;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.PUT;
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
 * alone, by path and method. {@code GET /api/v1/hooks}, {@code GET/PUT/DELETE /api/v1/hooks/{name}} and
 * {@code POST /api/v1/hooks} (create) are ordinary API calls for admins and are not exempt.
 */
@Path("/api/v1/hooks")
@Blocking
public class WebhookResource {
    private final WebhookPromotions promotions;
    private final Hooks hooks;

    @jakarta.inject.Inject
    dev.ferry.metrics.EdgeMetrics metrics;

    public WebhookResource(WebhookPromotions promotions, Hooks hooks) {
        this.promotions = promotions;
        this.hooks = hooks;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public WebhookList list() {
        return WebhookList.of(promotions.all(), hooks::isConfigured);
    }

    /** Admins: a stored hook (secret write-only). A configured name is 409 hook-read-only. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response create(HookRequest body) {
        Hooks.Hook created = hooks.create(RequestFields.body(body));
        return Response.created(java.net.URI.create("/api/v1/hooks/" + created.name()))
                .entity(Webhook.of(created, false)).build();
    }

    @GET
    @Path("/{name}")
    @Produces(MediaType.APPLICATION_JSON)
    public Webhook get(@PathParam("name") String name) {
        Hooks.Hook h = hooks.find(name).orElseThrow(() -> new FerryException(ProblemType.HOOK_NOT_FOUND, "no such webhook"));
        return Webhook.of(h, hooks.isConfigured(name));
    }

    /** Admins: replaces a stored hook; without a secret in the body its secret stays. */
    @PUT
    @Path("/{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Webhook replace(@PathParam("name") String name, HookRequest body) {
        return Webhook.of(hooks.replace(name, RequestFields.body(body)), false);
    }

    @DELETE
    @Path("/{name}")
    public Response delete(@PathParam("name") String name) {
        hooks.delete(name);
        return Response.noContent().build();
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
