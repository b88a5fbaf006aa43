package dev.ferry.sync;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a prune did (or, in a dry run, would do) with one destination tag the source no longer has.
 *
 * @param image  the destination tag, {@code docker://HOST/REPO:TAG}
 * @param digest the manifest it pointed to
 * @param state  {@code pruned} (deleted), {@code planned} (dry run: would be deleted), {@code kept} (see reason), or
 *               {@code failed}
 * @param reason why it was kept or failed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PruneOutcome(String image, String digest, String state, String reason) {
}
