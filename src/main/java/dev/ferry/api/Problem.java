package dev.ferry.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import java.util.List;

/** An RFC 9457 problem document, as every error leaves Ferry. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, List<FerryException.FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(ProblemType type, String detail, List<FerryException.FieldError> errors) {
        return new Problem(type.uri(), type.title(), type.status(), detail, errors);
    }
}
