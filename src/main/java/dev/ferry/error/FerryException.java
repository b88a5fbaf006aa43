package dev.ferry.error;

import java.util.List;

/**
 * A failure that Ferry reports to its caller as one problem+json document. The detail is written
 * for the caller: it names the action that failed, never a secret and never a raw upstream body.
 */
public class FerryException extends RuntimeException {
    private final ProblemType type;
    private final List<FieldError> errors;

    public FerryException(ProblemType type, String detail) {
        this(type, detail, List.of(), null);
    }

    public FerryException(ProblemType type, String detail, Throwable cause) {
        this(type, detail, List.of(), cause);
    }

    public FerryException(ProblemType type, String detail, List<FieldError> errors, Throwable cause) {
        super(detail, cause, false, false);
        this.type = type;
        this.errors = List.copyOf(errors);
    }

    public ProblemType type() {
        return type;
    }

    public List<FieldError> errors() {
        return errors;
    }

    /** One invalid field of a request body. */
    public record FieldError(String field, String message) {
    }

    public static FerryException invalidField(String field, String message) {
        return new FerryException(ProblemType.INVALID_REQUEST, field + ": " + message,
                List.of(new FieldError(field, message)), null);
    }
}
