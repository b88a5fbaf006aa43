package dev.ferry.sync;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What happened to one image of a sync.
 *
 * @param state  {@code copied}, {@code skipped} (the destination already had that digest), {@code failed}, or
 *               {@code planned} (dry run)
 * @param action in a dry run: {@code copy} or {@code skip}
 * @param bytes  bytes moved (in a dry run: bytes that would move, the blobs the destination lacks)
 * @param sourceDigest  with {@code platformsIndex: rewrite}, when the index was rewritten: the source index's digest
 *                      ({@code digest} is then the new index's); else absent
 * @param digestChanged true when {@code digest} is not the source's (a rewritten index); else absent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageOutcome(String source, String destination, String state, String action, String digest, Long bytes,
                           String reason, String sourceDigest, Boolean digestChanged) {

    public ImageOutcome(String source, String destination, String state, String action, String digest, Long bytes,
                        String reason) {
        this(source, destination, state, action, digest, bytes, reason, null, null);
    }

    /** This outcome naming {@code from} as the source's digest when the destination's differs (a rewritten index). */
    ImageOutcome rewrittenFrom(dev.ferry.oci.Digest from) {
        return from == null || from.toString().equals(digest) ? this
                : new ImageOutcome(source, destination, state, action, digest, bytes, reason, from.toString(), true);
    }
}
