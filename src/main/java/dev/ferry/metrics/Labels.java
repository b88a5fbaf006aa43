package dev.ferry.metrics;

import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounded label values. A registry is labelled by its host[:port] as image names write it (never a repository, tag
 * or digest), and at most {@link #MAX_REGISTRIES} distinct ones are kept: past that, {@code other}, so that callers
 * naming ever new hosts cannot grow the metrics without bound.
 */
final class Labels {
    static final int MAX_REGISTRIES = 256;
    static final String OTHER = "other";

    private final Set<String> registries = ConcurrentHashMap.newKeySet();

    String registry(URI target) {
        String host = target.getHost();
        if (host == null) {
            return OTHER;
        }
        int port = target.getPort();
        boolean defaultPort = port < 0 || ("https".equals(target.getScheme()) && port == 443)
                || ("http".equals(target.getScheme()) && port == 80);
        return bounded(defaultPort ? host : host + ":" + port);
    }

    String bounded(String registry) {
        if (registries.contains(registry)) {
            return registry;
        }
        if (registries.size() >= MAX_REGISTRIES) {
            return OTHER;
        }
        registries.add(registry);
        return registry;
    }
}
