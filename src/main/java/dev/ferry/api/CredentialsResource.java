package dev.ferry.api;

import dev.ferry.credentials.CredentialsRequest;
import dev.ferry.credentials.Logins;
import dev.ferry.credentials.StoredCredential;
import dev.ferry.security.Callers;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;

/**
 * Registry credentials as a managed resource (skopeo's login / logout): write-only, listed without secrets. Admins
 * only in secured mode (ApiGuard's default for paths it does not name).
 */
@Path("/api/v1/credentials")
@Blocking
public class CredentialsResource {
    private final Logins logins;

    public CredentialsResource(Logins logins) {
        this.logins = logins;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, List<StoredCredential>> list() {
        return Map.of("credentials", logins.list());
    }

    @PUT
    @Path("/{host}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response login(@PathParam("host") String host, CredentialsRequest body) {
        Logins.LoggedIn in = logins.login(host, body, Callers.current());
        return Response.status(in.created() ? 201 : 200).entity(in.credential()).build();
    }

    @DELETE
    @Path("/{host}")
    public Response logout(@PathParam("host") String host) {
        logins.logout(host);
        return Response.noContent().build();
    }
}
