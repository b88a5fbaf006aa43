package dev.ferry.inspect;

import dev.ferry.oci.Digest;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Image configs by digest (content-addressed, so never stale), least recently used first out,
 * bounded by total bytes.
 */
final class ConfigCache {
    private final long maxBytes;
    private final LinkedHashMap<Digest, byte[]> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    ConfigCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    synchronized byte[] get(Digest digest) {
        return entries.get(digest);
    }

    synchronized void put(Digest digest, byte[] content) {
        if (content.length > maxBytes / 4 || entries.containsKey(digest)) {
            return;
        }
        entries.put(digest, content);
        bytes += content.length;
        Iterator<Map.Entry<Digest, byte[]>> it = entries.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            bytes -= it.next().getValue().length;
            it.remove();
        }
    }
}
