package dev.ferry.webhook;

/**
 * One tag pushed to a registry, as a webhook event reported it.
 *
 * @param eventKey   what makes a redelivery recognisable: {@code id:<event id>}, or for events without an id
 *                   {@code sha256:<hex>} of repository, digest and tag
 * @param registry   host[:port] the event names, or null when it names none
 * @param repository repository path within the registry, e.g. {@code team/app}
 * @param tag        the pushed tag
 * @param digest     the digest of the pushed manifest, e.g. {@code sha256:…}
 * @param pushedAt   when the push happened, as the event says (distribution's {@code timestamp}, Harbor's
 *                   {@code occur_at}, a plain event's {@code pushedAt}), or null when it does not say
 */
public record PushedTag(String eventKey, String registry, String repository, String tag, String digest,
                        java.time.Instant pushedAt) {

    public PushedTag(String eventKey, String registry, String repository, String tag, String digest) {
        this(eventKey, registry, repository, tag, digest, null);
    }
}
