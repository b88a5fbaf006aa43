package dev.ferry.api;

import java.util.List;

/**
 * The answer to a webhook delivery.
 *
 * @param jobs    ids of the copy jobs its pushes started, or that an earlier delivery of the same events started
 * @param ignored events (or Harbor resources) that were not a push of a tag, matched no rule, or could not be promoted
 * @param rejected malformed events, each with what is wrong with it; the delivery's other events were still handled
 */
public record WebhookAccepted(List<String> jobs, int ignored, List<dev.ferry.webhook.WebhookPayloads.Rejected> rejected) {
}
