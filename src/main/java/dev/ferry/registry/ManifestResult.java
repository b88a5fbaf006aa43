package dev.ferry.registry;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.OciFormatException;

/**
 * A manifest exactly as the registry served it.
 *
 * @param raw         the bytes, never re-serialised
 * @param contentType the Content-Type the registry sent (may be null)
 * @param digest      the digest of {@code raw} (verified against the requested digest, if any)
 */
public record ManifestResult(byte[] raw, String contentType, Digest digest) {

    /** The parsed view; a manifest Ferry does not handle is an unsupported-manifest problem naming {@code where}. */
    public Manifest parse(String where) {
        try {
            return Manifest.parse(raw, contentType);
        } catch (OciFormatException e) {
            throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST, "reading manifest " + where + ": " + e.getMessage(), e);
        }
    }

    /** The parsed view; a manifest Ferry does not handle is an unsupported-manifest problem naming {@code ref}. */
    public Manifest parse(ImageReference ref) {
        try {
            return Manifest.parse(raw, contentType);
        } catch (OciFormatException e) {
            throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST,
                    "reading manifest " + ref.reference() + " in " + ref.name() + ": " + e.getMessage(), e);
        }
    }

    /** The parsed view of a manifest that must be an image (the child of an index): nested indexes are refused. */
    public ImageManifest image(ImageReference ref) {
        if (parse(ref) instanceof ImageManifest image) {
            return image;
        }
        throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST,
                "reading manifest " + ref.reference() + " in " + ref.name() + ": nested indexes are not supported");
    }
}
