package dev.ferry.sync;

import dev.ferry.registry.RegistryAccess;
import dev.ferry.transfer.CopyOptions;

/**
 * Where and how to sync.
 *
 * @param destination    {@code host[:port][/namespace]}, no transport
 * @param scoped         skopeo --scoped: keep the whole source name under the destination
 * @param appendSuffix   skopeo --append-suffix: appended to each destination tag (or null)
 * @param keepGoing      skopeo --keep-going: go on after an image failed (the sync still fails at the end)
 * @param dryRun         plan only: nothing is written
 * @param parallelImages images copied at once
 * @param filters        exclusions, latest-N, max age, immutable tags, prune, a retry's images ({@link TagFilters#NONE}: none)
 */
public record SyncOptions(String destination, RegistryAccess destinationAccess, boolean scoped, String appendSuffix,
                          boolean keepGoing, boolean dryRun, int parallelImages, CopyOptions copy,
                          TagFilters filters) {

    public SyncOptions(String destination, RegistryAccess destinationAccess, boolean scoped, String appendSuffix,
                       boolean keepGoing, boolean dryRun, int parallelImages, CopyOptions copy) {
        this(destination, destinationAccess, scoped, appendSuffix, keepGoing, dryRun, parallelImages, copy, TagFilters.NONE);
    }

    public SyncOptions withDestinationAccess(RegistryAccess access) {
        return new SyncOptions(destination, access, scoped, appendSuffix, keepGoing, dryRun, parallelImages, copy, filters);
    }
}
