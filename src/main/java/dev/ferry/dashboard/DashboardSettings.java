package dev.ferry.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.config.FerryConfig;
import dev.ferry.security.SecurityMode;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * What the dashboard's page needs before it can call the API: the mode, and in secured mode the identity provider
 * and public client to sign in with, and the role names. Served at {@code /dashboard/config.json}, open to anyone
 * (it holds no secret: the client is public, the provider's URL is in every token).
 */
@ApplicationScoped
public class DashboardSettings {
    static final String PATH = "/dashboard/config.json";

    private final String body;

    public DashboardSettings(SecurityMode mode, FerryConfig config, ObjectMapper json,
                             @ConfigProperty(name = "quarkus.oidc.auth-server-url") Optional<String> authServerUrl) {
        ObjectNode n = json.createObjectNode();
        n.put("mode", mode.secured() ? "secured" : "local");
        if (mode.secured()) {
            n.put("authServerUrl", authServerUrl.orElse(""));
            config.dashboard().oidcClientId().ifPresent(c -> n.put("clientId", c));
            n.put("scope", config.dashboard().oidcScope());
        }
        FerryConfig.Security.Roles roles = config.security().roles();
        n.putObject("roles").put("viewer", roles.viewer()).put("operator", roles.operator()).put("admin", roles.admin());
        this.body = n.toString();
    }

    void route(@Observes Router router) {
        router.get(PATH).handler(rc -> rc.response()
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(body));
    }

    /** The settings document, as served. */
    public String body() {
        return body;
    }
}
