package dev.ferry.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;

/**
 * A job failure that still has a result to show (a sync lists every image even when some failed): the job
 * ends {@code failed} with this error and this result.
 */
public class FailureWithResult extends FerryException {
    private final transient JsonNode result;

    public FailureWithResult(ProblemType type, String detail, JsonNode result) {
        super(type, detail);
        this.result = result;
    }

    public JsonNode result() {
        return result;
    }
}
