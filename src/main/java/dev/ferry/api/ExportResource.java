package dev.ferry.api;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.RequestFields;
import dev.ferry.registry.AccessOptions;
import dev.ferry.storage.Exports;
import dev.ferry.transfer.CopyOptions;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * An image as an archive in the response body, streamed ({@code skopeo copy docker://… oci-archive:/dev/stdout}, if
 * skopeo could): {@code format=oci-archive} (a multi-platform image keeps its index with {@code all=true}) or
 * {@code docker-archive} (for {@code docker load} / {@code podman load}). Registry credentials come from Ferry's
 * configuration: secrets do not belong in a URL.
 */
@Path("/api/v1/export")
public class ExportResource {
    private final Exports exports;
    private final FerryConfig config;

    public ExportResource(Exports exports, FerryConfig config) {
        this.exports = exports;
        this.config = config;
    }

    @GET
    @Produces("application/x-tar")
    public Uni<RestResponse<ExportBody>> export(@QueryParam("image") String image, @QueryParam("format") String format,
                                    @QueryParam("tlsVerify") Boolean tlsVerify, @QueryParam("all") Boolean all,
                                    @QueryParam("overrideOs") String overrideOs, @QueryParam("overrideArch") String overrideArch,
                                    @QueryParam("overrideVariant") String overrideVariant,
                                    @QueryParam("retryTimes") Integer retryTimes, @QueryParam("retryDelay") String retryDelay) {
        RequestFields.required("image", image);
        RequestFields.required("format", format);
        CopyOptions options = new CopyOptions(Boolean.TRUE.equals(all),
                RequestFields.platform(config.platform(), overrideOs, overrideArch, overrideVariant),
                CopyOptions.DEFAULT_PARALLEL_BLOBS);
        AccessOptions access = new AccessOptions(null, null, null, tlsVerify, retryTimes, retryDelay);
        Uni<Exports.Planned> planned = Uni.createFrom().completionStage(() ->
                exports.plan("image", image, format, access, options).toCompletionStage());
        return planned.map(p -> RestResponse.ResponseBuilder.ok(new ExportBody(exports, p))
                .header("Content-Disposition", "attachment; filename=\"" + p.fileName() + "\"").build());
    }
}
