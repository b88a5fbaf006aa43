package dev.ferry.sync;

import dev.ferry.oci.ImageReference;
import dev.ferry.registry.RegistryAccess;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One thing to sync from: a repository (all its tags, or those a regex or a semver constraint selects), or
 * named images of it (tags or digests, as skopeo's YAML {@code images: {repo: [tags]}} lists them).
 *
 * @param repository the repository, without tag or digest
 * @param references tags or digests to sync; empty means the tags the filters select
 * @param tagRegex   Go-style unanchored match on the tag (skopeo's images-by-tag-regex), or null
 * @param semver     skopeo's images-by-semver, or null
 */
public record SyncSource(ImageReference repository, RegistryAccess access, List<String> references, Pattern tagRegex,
                         SemverConstraint semver) {

    public SyncSource {
        references = List.copyOf(references);
    }

    boolean selects(String tag) {
        return (tagRegex == null || tagRegex.matcher(tag).find()) && (semver == null || semver.matches(tag));
    }
}
