package dev.ferry.security;

import io.quarkus.oidc.OidcRequestContext;
import io.quarkus.oidc.OidcTenantConfig;
import io.quarkus.oidc.TenantConfigResolver;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Always "use the configured tenant". Its presence is what lets quarkus-oidc start without
 * {@code quarkus.oidc.auth-server-url} (it then disables the default tenant instead of failing), so that Ferry starts
 * in local mode with no identity provider configured.
 */
@ApplicationScoped
public class NoExtraTenants implements TenantConfigResolver {
    @Override
    public Uni<OidcTenantConfig> resolve(RoutingContext routingContext, OidcRequestContext<OidcTenantConfig> requestContext) {
        return Uni.createFrom().nullItem();
    }
}
