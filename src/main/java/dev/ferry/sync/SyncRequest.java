package dev.ferry.sync;

import dev.ferry.registry.AccessOptions;

/**
 * {@code skopeo sync --src docker --dest docker} as JSON: each field mirrors a skopeo flag (or a key of its
 * YAML source file) in camelCase.
 *
 * @param source         {@code docker://HOST/REPO} (every tag the filters select) or one image {@code HOST/REPO:TAG|@DIGEST}
 * @param destination    {@code docker://HOST[:PORT][/NAMESPACE]}: images land in DESTINATION/LAST-PATH-ELEMENT:TAG
 * @param scoped         --scoped: DESTINATION/SOURCE-HOST/SOURCE-PATH:TAG
 * @param appendSuffix   --append-suffix: appended to every destination tag
 * @param tagRegex       images-by-tag-regex: tags matching this regular expression (unanchored, as in Go)
 * @param semver         images-by-semver: tags that are versions satisfying this constraint, e.g. {@code >= 1.2.0, < 2}
 * @param all            --all: every platform of multi-platform images, and the index
 * @param keepGoing      --keep-going: go on after an image failed (the job still fails at the end)
 * @param dryRun         --dry-run: the plan as the result, nothing written
 * @param parallelImages images copied at once (default 4, 1 to 16)
 * @param referrers      whether the artifacts attached to each image (referrers, cosign tags) travel too (default true)
 * @param referrerArtifactTypes only attached artifacts of these artifact types travel (default: all)
 * @param signBy         --sign-by: sign each image at the destination with this GPG key of Ferry's keyring
 * @param signBySigstorePrivateKey --sign-by-sigstore-private-key, by NAME of a sigstore key configured in Ferry
 * @param signIdentity   --sign-identity (default: each image's destination reference)
 * @param removeSignatures --remove-signatures: the source's lookaside signatures are not carried over
 * @param excludeRegex   tags matching this regular expression (unanchored) are not selected, whatever else selects them
 * @param latest         of the tags selected, only the newest N (by {@code latestBy})
 * @param latestBy       {@code semver} (default: highest versions; tags that are no version are not selected) or
 *                       {@code created} (the image config's {@code created} time; one config read per tag)
 * @param maxAge         only images created within this long ({@code 30d}, {@code 12h}, ISO-8601 {@code P30D}); reads configs
 * @param immutableTags  regular expressions (whole tag): a tag that matches and is present at the destination is not
 *                       read again at the source (one tag list of the destination instead of two HEADs per tag)
 * @param prune          delete at the destination the tags the source no longer has, within this sync's scope
 * @param pruneMax       most tags pruned in one run (default 10); the rest are listed as over the cap
 * @param onlyImages     only these source images ({@code docker://HOST/REPO:TAG}) of those selected (what a retry sets)
 * @param platforms      of multi-platform images, only these platforms ({@code os/arch[/variant]}, 1 to 16); not with {@code all}
 * @param platformsIndex with {@code platforms}: {@code keep} (default) pushes the source's index unchanged (digest kept; a
 *                       registry that checks an index's children refuses it) or {@code rewrite} pushes a new index of
 *                       the chosen platforms only (a new digest, reported with the source's)
 * @param format         --format: {@code oci} or {@code v2s2}, each image converted as by copy's {@code format}
 * @param preserveDigests --preserve-digests: an image whose digest would change fails with digests-would-change
 * @param destCompressFormat layers recompressed ({@code gzip} | {@code zstd}) as by copy's field (digests change)
 * @param destCompressLevel  the level for {@code destCompressFormat}
 */
public record SyncRequest(String source, String destination, Boolean scoped, String appendSuffix,
                          String tagRegex, String semver, Boolean all, Boolean keepGoing, Boolean dryRun,
                          Boolean srcTlsVerify, Boolean destTlsVerify,
                          String srcCreds, String destCreds,
                          String srcRegistryToken, String destRegistryToken,
                          Boolean srcNoCreds, Boolean destNoCreds,
                          Integer retryTimes, String retryDelay, Integer imageParallelCopies, Integer parallelImages,
                          Boolean referrers, java.util.List<String> referrerArtifactTypes,
                          String signBy, String signBySigstorePrivateKey, String signIdentity, Boolean removeSignatures,
                          String excludeRegex, Integer latest, String latestBy, String maxAge,
                          java.util.List<String> immutableTags, Boolean prune, Integer pruneMax,
                          java.util.List<String> onlyImages, java.util.List<String> platforms, String platformsIndex,
                          String format, Boolean preserveDigests, String destCompressFormat, Integer destCompressLevel) {

    public AccessOptions sourceAccess() {
        return new AccessOptions(srcCreds, srcRegistryToken, srcNoCreds, srcTlsVerify, retryTimes, retryDelay);
    }

    public AccessOptions destinationAccess() {
        return new AccessOptions(destCreds, destRegistryToken, destNoCreds, destTlsVerify, retryTimes, retryDelay);
    }

    @Override
    public String toString() {
        return "SyncRequest[source=" + source + ", destination=" + destination + "]";
    }
}
