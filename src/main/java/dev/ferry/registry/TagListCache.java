package dev.ferry.registry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tag-list pages a registry answered with an {@code ETag}, so the next listing asks {@code If-None-Match} and a
 * {@code 304 Not Modified} reuses the page instead of a new body. Keyed by registry and request path (the page's URL),
 * not by caller: every listing still goes to the registry with the caller's own credentials, and only a registry that
 * accepted them answers 304, so a page is never shown to a caller the registry would refuse. Bounded (LRU); pages are
 * at most {@code ferry.limits.tag-page-size} tags. distribution 2.8 sends no ETag on {@code /tags/list}: against it
 * nothing is cached and nothing changes.
 */
final class TagListCache {
    /** Pages kept, across all registries and repositories. */
    static final int PAGES_KEPT = 512;

    /** One page as the registry sent it: its validator, its tags, and its {@code rel="next"} link (or null). */
    record Page(String etag, List<String> tags, String next) {
        Page {
            tags = List.copyOf(tags);
        }
    }

    private final Map<String, Page> pages = java.util.Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Page> eldest) {
            return size() > PAGES_KEPT;
        }
    });

    static String key(String registry, String path) {
        return registry + " " + path;
    }

    Page get(String key) {
        return pages.get(key);
    }

    void put(String key, Page page) {
        pages.put(key, page);
    }

    void remove(String key) {
        pages.remove(key);
    }
}
