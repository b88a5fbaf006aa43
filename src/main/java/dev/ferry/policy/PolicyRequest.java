package dev.ferry.policy;

import dev.ferry.sync.SyncRequest;
import java.util.List;

/**
 * A policy as created or replaced ({@code POST/PUT /api/v1/policies}): a named sync with its triggers.
 *
 * @param name          {@code [a-z0-9][a-z0-9._-]{0,62}}; the key of the policy (cannot be changed)
 * @param description   free text, at most 1,000 characters
 * @param sync          the same fields as {@code POST /api/v1/sync} (source, destination, filters, immutableTags, prune, ...)
 * @param yaml          skopeo's YAML source document ({@code skopeo sync --src yaml}) instead of {@code sync.source};
 *                      {@code sync} then gives the destination and options
 * @param triggers      when it runs besides manually ({@code POST /api/v1/policies/{name}/runs}) and by webhook
 * @param enabled       false: the schedule does not fire (manual runs still work); default true
 * @param notifications where to tell when a run ends
 */
public record PolicyRequest(String name, String description, SyncRequest sync, String yaml, Triggers triggers, Boolean enabled,
                            List<Notification> notifications) {

    /**
     * @param interval every this long, from the previous due time: {@code 30s}, {@code 5m}, {@code 1h}, {@code 1d}, or ISO-8601 {@code PT5M}
     * @param cron     a 5-field cron expression, UTC ({@code minute hour day-of-month month day-of-week})
     */
    public record Triggers(String interval, String cron) {
    }

    /**
     * @param url    where to POST a CloudEvents JSON when a run ends
     * @param on     {@code all}, {@code failures} (default) or {@code changes}
     * @param secret HMAC-SHA256 key for {@code X-Ferry-Signature-256}; write-only (never shown; kept on replace when omitted)
     */
    public record Notification(String url, String on, String secret) {
        @Override
        public String toString() {
            return "Notification[url=" + url + ", on=" + on + "]";
        }
    }
}
