package dev.ferry.api;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.error.RequestFields;
import dev.ferry.inspect.InspectOptions;
import dev.ferry.inspect.InspectResult;
import dev.ferry.inspect.InspectService;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Platform;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryAccessFactory;
import dev.ferry.registry.RegistryClient;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/** The reads, answered at once: inspect, list-tags, manifest-digest. Thin: parse, delegate, shape. */
@Path("/api/v1")
public class ReadResource {
    private final InspectService inspect;
    private final RegistryClient registry;
    private final RegistryAccessFactory access;
    private final FerryConfig config;

    private final dev.ferry.storage.Transports transports;

    @jakarta.inject.Inject
    dev.ferry.referrers.ReferrerListing listing;

    public ReadResource(InspectService inspect, RegistryClient registry, RegistryAccessFactory access, FerryConfig config,
                        dev.ferry.storage.Transports transports) {
        this.transports = transports;
        this.inspect = inspect;
        this.registry = registry;
        this.access = access;
        this.config = config;
    }

    @POST
    @Path("/inspect")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, "*/*"})
    public Uni<Response> inspect(InspectRequest body) {
        return Futures.uni(() -> {
            InspectRequest r = RequestFields.body(body);
            dev.ferry.oci.ImageLocation location = dev.ferry.storage.Transports.parse("image", r.image());
            if (!(location instanceof dev.ferry.oci.ImageLocation.Docker)) {
                dev.ferry.transfer.ImageSource source = transports.source("image", location, r.access(), "").get();
                return inspect.inspect(source, Boolean.TRUE.equals(r.raw()), Boolean.TRUE.equals(r.config()), platform(r));
            }
            ImageReference image = RequestFields.image("image", r.image());
            dev.ferry.transfer.ReferrerOptions referrers = dev.ferry.referrers.ReferrerListing.requested(r.referrers(),
                    r.referrerArtifactTypes(), Boolean.TRUE.equals(r.raw()) || Boolean.TRUE.equals(r.config()));
            RegistryAccess a = access.forReference(image, r.access(), "");
            Platform platform = platform(r);
            return registry.withinDeadline("inspect " + image, scope -> inspect.inspect(new InspectOptions(image, a.within(scope),
                    Boolean.TRUE.equals(r.raw()), Boolean.TRUE.equals(r.config()), Boolean.TRUE.equals(r.noTags()), platform))
                    .compose(result -> referrers == null || !(result instanceof InspectResult.Json j)
                            || !(j.document() instanceof com.fasterxml.jackson.databind.node.ObjectNode doc)
                            ? io.vertx.core.Future.succeededFuture(result)
                            : listing.addTo(doc, a.within(scope), image, referrers).map(d -> (InspectResult) new InspectResult.Json(d))));
        }).map(ReadResource::toResponse);
    }

    private Platform platform(InspectRequest r) {
        return RequestFields.platform(config.platform(), r.overrideOs(), r.overrideArch(), r.overrideVariant());
    }

    private static Response toResponse(InspectResult result) {
        if (result instanceof InspectResult.Raw raw) {
            return Response.ok(raw.bytes(), raw.contentType()).build();
        }
        return Response.ok(((InspectResult.Json) result).document(), MediaType.APPLICATION_JSON).build();
    }

    @POST
    @Path("/list-tags")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<ListTagsResponse> listTags(ListTagsRequest body) {
        return Futures.uni(() -> {
            ListTagsRequest r = RequestFields.body(body);
            ImageReference repo = RequestFields.repository("repository", r.repository());
            RegistryAccess a = access.forReference(repo, r.access(), "");
            return registry.withinDeadline("list-tags " + repo.name(), scope -> registry.tagList(a.within(scope), repo))
                    .map(tags -> new ListTagsResponse(repo.name(), tags));
        });
    }

    @POST
    @Path("/manifest-digest")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, String> manifestDigest(byte[] manifest) {
        if (manifest == null || manifest.length == 0) {
            throw new FerryException(ProblemType.INVALID_MANIFEST, "the request body must be a manifest");
        }
        ManifestDigests.requireJsonObject(manifest);
        // skopeo's digest: of the bytes, or for a signed schema 1 manifest, of its payload without the signatures
        try {
            return Map.of("digest", dev.ferry.signature.ManifestDigests.digest(manifest).toString());
        } catch (dev.ferry.oci.OciFormatException e) {
            throw new FerryException(ProblemType.INVALID_MANIFEST, e.getMessage());
        }
    }
}
