package dev.ferry.sync;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What happened to one image of a sync.
 *
 * @param state  {@code copied}, {@code skipped} (the destination already had that digest), {@code failed}, or
 *               {@code planned} (dry run)
 * @param action in a dry run: {@code copy} or {@code skip}
 * @param bytes  bytes moved (in a dry run: bytes that would move, the blobs the destination lacks)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageOutcome(String source, String destination, String state, String action, String digest, Long bytes,
                           String reason) {
}
