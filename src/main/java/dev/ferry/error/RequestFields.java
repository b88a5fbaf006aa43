package dev.ferry.error;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.OciFormatException;
import dev.ferry.oci.UnsupportedTransportException;
import java.util.List;

/** Validation of request fields shared by the resources, with errors that name the field. */
public final class RequestFields {
    private RequestFields() {
    }

    public static <T> T body(T body) {
        if (body == null) {
            throw new FerryException(ProblemType.INVALID_REQUEST, "a JSON request body is required");
        }
        return body;
    }

    public static String required(String field, String value) {
        if (value == null || value.isBlank()) {
            throw FerryException.invalidField(field, "is required");
        }
        return value;
    }

    public static ImageReference image(String field, String value) {
        try {
            return ImageReference.parse(required(field, value));
        } catch (OciFormatException e) {
            throw referenceProblem(field, e);
        }
    }

    public static ImageReference repository(String field, String value) {
        try {
            return ImageReference.parseRepository(required(field, value));
        } catch (OciFormatException e) {
            throw referenceProblem(field, e);
        }
    }

    public static String optionalToken(String field, String value) {
        if (value != null && (value.isBlank() || value.length() > 64 || !value.matches("[A-Za-z0-9._-]+"))) {
            throw FerryException.invalidField(field, "must be a short word of letters, digits, '.', '_' or '-'");
        }
        return value;
    }

    /** skopeo's --override-os/arch/variant over the configured default (an arch override drops the default variant). */
    public static dev.ferry.oci.Platform platform(dev.ferry.config.FerryConfig.DefaultPlatform defaults, String overrideOs,
                                           String overrideArch, String overrideVariant) {
        String os = optionalToken("overrideOs", overrideOs);
        String arch = optionalToken("overrideArch", overrideArch);
        String variant = optionalToken("overrideVariant", overrideVariant);
        String v = variant != null ? variant : (arch == null ? defaults.variant().orElse(null) : null);
        return dev.ferry.oci.Platform.of(os != null ? os : defaults.os(), arch != null ? arch : defaults.arch(), v);
    }

    private static FerryException referenceProblem(String field, OciFormatException e) {
        ProblemType type = e instanceof UnsupportedTransportException ? ProblemType.UNSUPPORTED_TRANSPORT : ProblemType.INVALID_REFERENCE;
        return new FerryException(type, field + ": " + e.getMessage(), List.of(new FerryException.FieldError(field, e.getMessage())), e);
    }
}
