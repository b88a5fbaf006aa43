package dev.ferry.oci;

/**
 * Thrown when an image reference, digest, media type or manifest does not follow the OCI / Docker
 * formats. The message is a complete human sentence naming the offending input.
 */
public class OciFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public OciFormatException(String message) {
        super(message);
    }

    public OciFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
