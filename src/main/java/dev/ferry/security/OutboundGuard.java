package dev.ferry.security;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Outbound safety in secured mode (SSRF): a registry must match {@code ferry.security.allowed-registries}, and every
 * connection (registry, token realm, redirect) goes to an address that Ferry resolved and checked itself, so a name
 * that resolves to loopback, a private network or the cloud metadata service is refused, also after a DNS change.
 * Such addresses are allowed only for a host listed exactly (no wildcard). In local mode nothing is checked.
 */
@ApplicationScoped
public class OutboundGuard {
    private final SecurityMode mode;
    private final Vertx vertx;
    private final List<Pattern> allowed;
    private final List<String> exact;

    public OutboundGuard(SecurityMode mode, Vertx vertx, FerryConfig config) {
        this.mode = mode;
        this.vertx = vertx;
        List<String> entries = config.security().allowedRegistries().stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        this.allowed = entries.stream().map(Globs::compile).toList();
        this.exact = entries.stream().filter(e -> !Globs.isGlob(e)).map(e -> e.toLowerCase(Locale.ROOT)).toList();
    }

    public boolean active() {
        return mode.secured();
    }

    /** Throws registry-not-allowed unless {@code registry} (host[:port]) matches an allowed pattern. */
    public void checkRegistry(String registry) {
        if (!active()) {
            return;
        }
        String r = registry.toLowerCase(Locale.ROOT);
        if (allowed.stream().noneMatch(p -> p.matcher(r).matches())) {
            throw new FerryException(ProblemType.REGISTRY_NOT_ALLOWED,
                    "registry " + registry + " is not in ferry.security.allowed-registries; no connection made");
        }
    }

    /**
     * Where to connect for {@code target}: null in local mode (let the client resolve), otherwise a checked IP address.
     * Fails with registry-not-allowed (no connection made) when any address of the host is refused.
     */
    public Future<SocketAddress> connectAddress(URI target, String action) {
        if (!active()) {
            return Future.succeededFuture(null);
        }
        String host = target.getHost();
        if (host == null) {
            return Future.failedFuture(new FerryException(ProblemType.REGISTRY_INVALID_RESPONSE, action + ": a URL without a host"));
        }
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        int port = target.getPort() != -1 ? target.getPort() : "https".equalsIgnoreCase(target.getScheme()) ? 443 : 80;
        boolean listed = isListedExactly(bare, target.getPort() == -1 ? null : target.getPort());
        return vertx.<InetAddress[]>executeBlocking(() -> InetAddress.getAllByName(bare), false).transform(ar -> {
            if (ar.failed()) {
                Throwable t = ar.cause();
                return Future.failedFuture(t instanceof UnknownHostException ? t : new UnknownHostException(bare));
            }
            InetAddress[] addresses = ar.result();
            if (!listed) {
                for (InetAddress a : addresses) {
                    String why = refusal(a);
                    if (why != null) {
                        return Future.failedFuture(new FerryException(ProblemType.REGISTRY_NOT_ALLOWED, action + ": " + host
                                + " resolves to " + why + " address " + a.getHostAddress()
                                + ", which is refused unless the host is listed exactly in ferry.security.allowed-registries; "
                                + "no connection made"));
                    }
                }
            }
            return Future.succeededFuture(SocketAddress.inetSocketAddress(port, addresses[0].getHostAddress()));
        });
    }

    /**
     * Secured mode, for a URL whose host is an IP literal: why that address is refused (e.g. "a loopback"), or null
     * when it is allowed (a public address, a name, listed exactly, or local mode). Lets a URL that can never be
     * connected to be refused when it is configured rather than when it is used.
     */
    public String refusedLiteral(URI target) {
        String host = target.getHost();
        if (!active() || host == null) {
            return null;
        }
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!bare.matches("[0-9.]+") && !bare.contains(":")) {
            return null;
        }
        if (isListedExactly(bare, target.getPort() == -1 ? null : target.getPort())) {
            return null;
        }
        try {
            return refusal(InetAddress.getByName(bare));
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** A token realm must be https, or on the registry's own host name. */
    public boolean realmAllowed(URI realm, String registryHostPort) {
        if (!active() || "https".equalsIgnoreCase(realm.getScheme())) {
            return true;
        }
        String registryHost = URI.create("http://" + registryHostPort).getHost();
        return realm.getHost() != null && realm.getHost().equalsIgnoreCase(registryHost);
    }

    private boolean isListedExactly(String host, Integer port) {
        String h = host.toLowerCase(Locale.ROOT);
        String withPort = port == null ? h : (h.contains(":") ? "[" + h + "]" : h) + ":" + port;
        return exact.contains(h) || exact.contains(withPort);
    }

    /** Why an address is refused (a word for the message), or null when it is a public address. */
    static String refusal(InetAddress a) {
        if (a.isAnyLocalAddress()) {
            return "an unspecified";
        }
        if (a.isLoopbackAddress()) {
            return "a loopback";
        }
        if (a.isLinkLocalAddress()) {
            return "a link-local";
        }
        if (a.isSiteLocalAddress()) {
            return "a private";
        }
        if (a.isMulticastAddress()) {
            return "a multicast";
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            if (first == 0) {
                return "an unspecified";
            }
            if (first == 100 && second >= 64 && second < 128) {
                return "a shared (CGNAT)";
            }
            if (first == 255 && second == 255) {
                return "a broadcast";
            }
        }
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return "a private (unique local)";
            }
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return refusal(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException impossible) {
                    return "an IPv4-mapped";
                }
            }
        }
        return null;
    }
}
