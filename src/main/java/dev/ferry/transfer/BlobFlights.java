package dev.ferry.transfer;

import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Blobs being streamed into a registry right now, across all jobs, so a blob that several concurrent
 * copies need is moved once: the others wait for it, then find it present (same repository) or mount
 * it from where it landed (another repository of that registry).
 */
@ApplicationScoped
public class BlobFlights {

    /** A stream in progress: when it ends (never fails; waiters re-check). */
    public record Flight(Future<Void> landed) {
    }

    private static final int REMEMBERED = 50_000;

    private final Map<String, Flight> flights = new ConcurrentHashMap<>();
    /** Where recent blobs landed, per registry: a mount source for the next copy that needs them. */
    private final Map<String, ImageReference> landedAt = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(1024, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, ImageReference> eldest) {
                    return size() > REMEMBERED;
                }
            });

    private static String key(String registry, Digest digest) {
        return registry + '|' + digest;
    }

    /** Registers a stream; returns null if registered, or the flight already under way. */
    public Flight claim(String registry, Digest digest, Flight mine) {
        return flights.putIfAbsent(key(registry, digest), mine);
    }

    public void land(String registry, Digest digest, Flight mine) {
        flights.remove(key(registry, digest), mine);
    }

    /** Remembers that {@code repository} of {@code registry} holds the blob. */
    public void remember(String registry, Digest digest, ImageReference repository) {
        landedAt.put(key(registry, digest), repository);
    }

    /** A repository of {@code registry} that recently received the blob, or null. */
    public ImageReference knownRepository(String registry, Digest digest) {
        return landedAt.get(key(registry, digest));
    }
}
