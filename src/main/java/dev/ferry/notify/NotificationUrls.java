package dev.ferry.notify;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.registry.RegistryPolicy;
import dev.ferry.security.OutboundGuard;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Which notification URLs Ferry may POST to: the same outbound rules as registries. The URL's host[:port] must be
 * allowed by {@code ferry.registry-policy} and, in secured mode, by {@code ferry.security.allowed-registries}; at
 * delivery time the host is resolved and checked again, and the connection goes to the checked address
 * ({@link OutboundGuard#connectAddress}), so loopback, private and metadata addresses are refused there too. Call
 * {@link #check} when a target is configured or created, so a refused URL is a clear problem then, not a failed
 * delivery later.
 */
@ApplicationScoped
public class NotificationUrls {
    private final RegistryPolicy policy;
    private final OutboundGuard guard;

    public NotificationUrls(RegistryPolicy policy, OutboundGuard guard) {
        this.policy = policy;
        this.guard = guard;
    }

    /**
     * The parsed URL, or a {@code 400 invalid-notification-url} (not an absolute http(s) URL without user info or
     * fragment) or {@code 403 notification-url-not-allowed} (the outbound rules refuse its host).
     */
    public URI check(String url) {
        URI uri = parse(url);
        String authority = hostPort(uri);
        if (!policy.isAllowed(authority)) {
            throw new FerryException(ProblemType.NOTIFICATION_URL_NOT_ALLOWED, "notification URL host " + authority
                    + " is not allowed by this Ferry's registry policy (ferry.registry-policy), which notification URLs share");
        }
        try {
            guard.checkRegistry(authority);
        } catch (FerryException e) {
            throw new FerryException(ProblemType.NOTIFICATION_URL_NOT_ALLOWED, "notification URL host " + authority
                    + " is not in ferry.security.allowed-registries, which notification URLs share; no connection made");
        }
        if (guard.active()) {
            String literal = guard.refusedLiteral(uri);
            if (literal != null) {
                throw new FerryException(ProblemType.NOTIFICATION_URL_NOT_ALLOWED, "notification URL host " + authority
                        + " is " + literal + " address, refused unless listed exactly in ferry.security.allowed-registries");
            }
        }
        return uri;
    }

    static URI parse(String url) {
        if (url == null || url.isBlank()) {
            throw invalid("a notification target needs a url");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw invalid("the notification URL is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw invalid("a notification URL must be http:// or https://");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw invalid("the notification URL has no host");
        }
        if (uri.getRawUserInfo() != null) {
            throw invalid("a notification URL must not carry user info (user:password@); sign with a secret instead");
        }
        if (uri.getRawFragment() != null) {
            throw invalid("a notification URL must not have a #fragment");
        }
        return uri;
    }

    static String hostPort(URI uri) {
        return uri.getPort() == -1 ? uri.getHost().toLowerCase(Locale.ROOT) : uri.getHost().toLowerCase(Locale.ROOT) + ":" + uri.getPort();
    }

    /** The URL as shown in the delivery log: scheme, host, port and path; a query (which may hold a token) elided. */
    public static String shown(String url) {
        try {
            URI u = new URI(url);
            String base = u.getScheme() + "://" + u.getRawAuthority() + (u.getRawPath() == null ? "" : u.getRawPath());
            return u.getRawQuery() == null ? base : base + "?…";
        } catch (URISyntaxException e) {
            return "(invalid URL)";
        }
    }

    private static FerryException invalid(String detail) {
        return new FerryException(ProblemType.INVALID_NOTIFICATION_URL, "url: " + detail,
                java.util.List.of(new FerryException.FieldError("url", detail)), null);
    }
}
