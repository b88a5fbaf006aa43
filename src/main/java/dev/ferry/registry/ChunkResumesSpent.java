package dev.ferry.registry;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;

/**
 * A chunked upload whose session was resumed {@code ferry.transfer.chunk-resume-attempts} times within one run and whose
 * chunks still fail (BAD-INPUT row 23). Final for the blob: streaming it again from zero would send the chunks the
 * registry acknowledged once more, to a registry that keeps failing the next one.
 */
public final class ChunkResumesSpent extends FerryException {
    ChunkResumesSpent(ProblemType type, String detail, Throwable cause) {
        super(type, detail, cause);
    }
}
