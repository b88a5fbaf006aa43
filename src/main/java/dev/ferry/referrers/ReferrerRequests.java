package dev.ferry.referrers;

import dev.ferry.error.FerryException;
import dev.ferry.transfer.ReferrerOptions;
import java.util.List;
import java.util.regex.Pattern;

/** The request fields {@code referrers} and {@code referrerArtifactTypes} (copy, sync, inspect), checked. */
public final class ReferrerRequests {
    /** RFC 6838 type/subtype (with +suffix and parameters refused): what an artifactType is. */
    private static final Pattern MEDIA_TYPE = Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");
    static final int MAX_TYPES = 32;

    private ReferrerRequests() {
    }

    /** The options for {@code referrers} (null: true) and {@code referrerArtifactTypes} (null: every type). */
    public static ReferrerOptions options(Boolean referrers, List<String> artifactTypes) {
        boolean enabled = referrers == null || referrers;
        if (artifactTypes == null) {
            return enabled ? ReferrerOptions.ALL : ReferrerOptions.NONE;
        }
        if (!enabled) {
            throw FerryException.invalidField("referrerArtifactTypes", "referrers is false: no attached artifact travels, "
                    + "so there is nothing to filter; leave one of them out");
        }
        if (artifactTypes.isEmpty() || artifactTypes.size() > MAX_TYPES) {
            throw FerryException.invalidField("referrerArtifactTypes", "must list 1 to " + MAX_TYPES + " artifact types");
        }
        for (String t : artifactTypes) {
            if (t == null || !MEDIA_TYPE.matcher(t).matches()) {
                throw FerryException.invalidField("referrerArtifactTypes",
                        "each entry must be a media type such as application/vnd.dev.cosign.simplesigning.v1+json");
            }
        }
        return new ReferrerOptions(true, artifactTypes);
    }
}
