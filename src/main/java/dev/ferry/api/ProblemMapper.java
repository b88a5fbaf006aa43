package dev.ferry.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.OciFormatException;
import dev.ferry.oci.UnsupportedTransportException;
import io.quarkus.logging.Log;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every failure leaves as one problem+json document: never a stack trace, never an upstream body,
 * never a secret. Unexpected failures are logged with an id that the answer quotes.
 */
public class ProblemMapper {

    public static Response response(ProblemType type, String detail, List<FerryException.FieldError> errors) {
        return Response.status(type.status())
                .type(Problem.MEDIA_TYPE)
                .entity(Problem.of(type, detail, errors))
                .build();
    }

    @ServerExceptionMapper
    public Response ferry(FerryException e) {
        if (e.type().status() >= 500) {
            Log.debugf("%s: %s", e.type().slug(), e.getMessage());
        }
        return response(e.type(), e.getMessage(), e.errors());
    }

    @ServerExceptionMapper
    public Response store(dev.ferry.job.StoreException e) {
        Log.errorf("job store: %s", e.getMessage());
        return response(ProblemType.STORE_UNAVAILABLE, "the job store is unavailable; try again", List.of());
    }

    @ServerExceptionMapper
    public Response ociFormat(OciFormatException e) {
        ProblemType type = e instanceof UnsupportedTransportException ? ProblemType.UNSUPPORTED_TRANSPORT : ProblemType.INVALID_REFERENCE;
        return response(type, e.getMessage(), List.of());
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e) {
        String field = path(e);
        return response(ProblemType.INVALID_REQUEST, "unknown field \"" + field + "\"",
                List.of(new FerryException.FieldError(field, "unknown field; known fields are " + e.getKnownPropertyIds())));
    }

    @ServerExceptionMapper
    public Response wrongType(MismatchedInputException e) {
        String field = path(e);
        if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Trailing token")) {
            return response(ProblemType.INVALID_REQUEST, "the request body has more after its JSON value; send exactly one JSON object",
                    List.of());
        }
        if (field.isEmpty()) {
            return response(ProblemType.INVALID_REQUEST, "the request body must be a JSON object", List.of());
        }
        String expected = e.getTargetType() == null ? "another type" : simpleType(e.getTargetType());
        String message = e instanceof InvalidFormatException ? "has the wrong format, expected " + expected : "must be " + expected;
        return response(ProblemType.INVALID_REQUEST, field + ": " + message, List.of(new FerryException.FieldError(field, message)));
    }

    @ServerExceptionMapper
    public Response malformedJson(JsonProcessingException e) {
        if (e instanceof JsonMappingException m && !path(m).isEmpty()) {
            String field = path(m);
            return response(ProblemType.INVALID_REQUEST, field + ": invalid value",
                    List.of(new FerryException.FieldError(field, "invalid value")));
        }
        String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
        if (e instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException) {
            return response(ProblemType.INVALID_REQUEST, "the request body is nested more than " + StrictJson.MAX_DEPTH
                    + " levels deep" + where, List.of());
        }
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        java.util.regex.Matcher duplicate = java.util.regex.Pattern.compile("Duplicate field '(.{1,64})'").matcher(original);
        if (duplicate.find()) {
            String field = duplicate.group(1);
            return response(ProblemType.INVALID_REQUEST, "duplicate field \"" + field + "\"" + where,
                    List.of(new FerryException.FieldError(field, "given more than once")));
        }
        if (original.contains("Invalid UTF-8")) {
            return response(ProblemType.INVALID_REQUEST, "the request body is not valid UTF-8" + where, List.of());
        }
        return response(ProblemType.INVALID_REQUEST, "the request body is not valid JSON" + where, List.of());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException json) {
            return json instanceof UnrecognizedPropertyException u ? unknownField(u)
                    : json instanceof MismatchedInputException m ? wrongType(m) : malformedJson(json);
        }
        ProblemType type = switchStatus(status);
        String detail = switch (status) {
            case 404 -> "no such resource";
            case 405 -> "method not allowed on this resource";
            case 406 -> "cannot produce a response in the requested media type";
            case 413 -> "the request body is larger than allowed";
            case 415 -> "unsupported Content-Type; send application/json";
            default -> type.title();
        };
        if (type == ProblemType.INTERNAL) {
            return unexpected(e);
        }
        return response(type, detail, List.of());
    }

    private static ProblemType switchStatus(int status) {
        return switch (status) {
            case 400 -> ProblemType.INVALID_REQUEST;
            case 404 -> ProblemType.NOT_FOUND;
            case 405 -> ProblemType.METHOD_NOT_ALLOWED;
            case 406 -> ProblemType.NOT_ACCEPTABLE;
            case 413 -> ProblemType.PAYLOAD_TOO_LARGE;
            case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
            default -> ProblemType.INTERNAL;
        };
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        String id = UUID.randomUUID().toString();
        Log.errorf(e, "unexpected failure %s", id);
        return response(ProblemType.INTERNAL, "unexpected failure; reference " + id, List.of());
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String simpleType(Class<?> type) {
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "an object";
    }
}
