package dev.ferry.sync;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.ImageReference;
import dev.ferry.oci.OciFormatException;

/**
 * skopeo sync's destination names: {@code DESTINATION/} + the last path element of the source (with its tag or
 * digest), or with {@code scoped} the whole source name ({@code host[:port]/path:tag}), then the suffix appended
 * (skopeo's {@code path.Join(destination, suffix) + appendSuffix}, parsed as a docker reference). A source with a
 * port gives a scoped name that is no valid reference, and skopeo fails on it too.
 */
public final class SyncNaming {
    private SyncNaming() {
    }

    /** The destination of {@code source} (which has a tag or a digest). */
    public static ImageReference destination(String destination, ImageReference source, boolean scoped, String appendSuffix) {
        String full = source.toString();
        String suffix = scoped ? full : full.substring(full.lastIndexOf('/') + 1);
        String name = destination + "/" + suffix + (appendSuffix == null ? "" : appendSuffix);
        try {
            return ImageReference.parse(name);
        } catch (OciFormatException e) {
            throw new FerryException(ProblemType.INVALID_REFERENCE, "the destination name " + name + " (skopeo's naming"
                    + (scoped ? " with scoped" : "") + ") is not a valid image reference: " + e.getMessage(), e);
        }
    }

    /** {@code docker://host[:port][/namespace]} without its transport and trailing slashes. */
    public static String destinationPrefix(String destination) {
        String d = destination.startsWith("docker://") ? destination.substring("docker://".length()) : destination;
        while (d.endsWith("/")) {
            d = d.substring(0, d.length() - 1);
        }
        return d;
    }
}
