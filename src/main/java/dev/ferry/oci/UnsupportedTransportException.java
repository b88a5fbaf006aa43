package dev.ferry.oci;

/**
 * Thrown when an image reference names a containers/image transport other than {@code docker://}
 * (for example {@code oci:/tmp/x} or {@code dir:/tmp/x}).
 */
public final class UnsupportedTransportException extends OciFormatException {

    private static final long serialVersionUID = 1L;

    private final String transport;

    public UnsupportedTransportException(String transport, String input) {
        super("unsupported transport \"" + transport + "\" in \"" + input
                + "\": only the docker:// transport is supported");
        this.transport = transport;
    }

    /** With a message of its own ({@code withMessage} only tells this constructor apart). */
    public UnsupportedTransportException(String transport, String message, boolean withMessage) {
        super(message);
        this.transport = transport;
    }

    /** The transport name as written, without the trailing colon (e.g. {@code oci-archive}). */
    public String transport() {
        return transport;
    }
}
