package dev.ferry.security;

import dev.ferry.config.FerryConfig;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Local mode (no identity provider: loopback only, everything allowed) or secured mode (quarkus-oidc configured with
 * {@code quarkus.oidc.auth-server-url}: bearer tokens, roles, repository policy, outbound checks, limits).
 */
@ApplicationScoped
public class SecurityMode {
    private final boolean secured;
    private final FerryConfig config;
    private final String host;

    public SecurityMode(@ConfigProperty(name = "quarkus.oidc.auth-server-url") Optional<String> authServerUrl,
                        @ConfigProperty(name = "quarkus.oidc.tenant-enabled", defaultValue = "true") boolean tenantEnabled,
                        @ConfigProperty(name = "quarkus.http.host", defaultValue = "127.0.0.1") String host,
                        FerryConfig config) {
        this.secured = tenantEnabled && authServerUrl.filter(s -> !s.isBlank()).isPresent();
        this.config = config;
        this.host = host;
    }

    /** True when an identity provider is configured: every /api call needs a valid token. */
    public boolean secured() {
        return secured;
    }

    void announce(@Observes StartupEvent event) {
        if (secured) {
            FerryConfig.Security s = config.security();
            Log.infof("Secured mode: bearer tokens required under /api (roles %s, %s, %s); registries allowed: %s; %s",
                    s.roles().viewer(), s.roles().operator(), s.roles().admin(), s.allowedRegistries(),
                    s.rules().isEmpty() ? "no repository rules (the role alone decides)" : s.rules().size() + " repository rule(s)");
        } else {
            Log.warnf("LOCAL MODE: no identity provider is configured (quarkus.oidc.auth-server-url), so every caller may do "
                    + "everything and any registry address may be contacted. Listening on %s; expose Ferry beyond this host "
                    + "only in secured mode.", host);
        }
    }
}
