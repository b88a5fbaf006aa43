package dev.ferry.transfer;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.ImageManifest;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.Platform;
import dev.ferry.oci.PlatformSelector;
import dev.ferry.oci.PlatformSubset;
import dev.ferry.registry.ManifestResult;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place an image is resolved into what to move: copy, sync (and its dry run), inspect's platform pick and
 * export all plan through here. Reads the top manifest once; for an index either every child ({@code all}) or
 * the child for the platform, as skopeo's {@code --all} / {@code --override-*} do.
 */
public final class CopyPlanner {
    private CopyPlanner() {
    }

    /**
     * The plan for {@code source}. Without {@code all}, an index gives the image of {@code platform} (required
     * then); with it, every child and the index itself.
     */
    public static Future<CopyPlan> plan(ImageSource source, boolean all, Platform platform) {
        return plan(source, all, platform, null);
    }

    /** The plan for {@code o}'s choice: every platform, some ({@link CopyOptions#platforms()}), or one. */
    public static Future<CopyPlan> plan(ImageSource source, CopyOptions o, Platform platform) {
        return plan(source, o.all(), platform, o.platforms());
    }

    /**
     * As above; with {@code subset}, an index gives the images of those platforms, and the index as it is
     * ({@link CopyPlan#sparse()} unless they are all of it) or rewritten to list just them ({@link CopyPlan#rewrittenFrom()}).
     * An image that is no index is the plan as it is (a subset picks among an index's images only).
     */
    public static Future<CopyPlan> plan(ImageSource source, boolean all, Platform platform, PlatformChoice subset) {
        return source.topManifest().compose(top -> {
            Manifest parsed = top.parse(source.describe());
            if (parsed instanceof ImageManifest image) {
                return Future.succeededFuture(of(top, null, List.of(image)));
            }
            ImageIndex index = (ImageIndex) parsed;
            if (subset != null) {
                PlatformSubset chosen = subset(index, subset, source.describe());
                List<Future<ImageManifest>> reads = new ArrayList<>();
                for (Descriptor d : chosen.kept()) {
                    reads.add(child(source, d.digest()));
                }
                return Future.all(reads).map(v -> {
                    List<ImageManifest> images = reads.stream().map(Future::result).toList();
                    if (!subset.rewrite() || chosen.whole()) {
                        return new CopyPlan(top, index, images, blobsOf(images), null, !chosen.whole());
                    }
                    ImageIndex rewritten = chosen.rewrite();
                    return new CopyPlan(new ManifestResult(rewritten.raw(), rewritten.mediaType().value(), rewritten.digest()),
                            rewritten, images, blobsOf(images), index.digest(), false);
                });
            }
            if (!all) {
                Descriptor chosen = pick(index, platform, source.describe());
                return child(source, chosen.digest()).map(image -> of(top, null, List.of(image)));
            }
            List<Future<ImageManifest>> reads = new ArrayList<>();
            for (Descriptor d : index.manifests()) {
                reads.add(child(source, d.digest()));
            }
            return Future.all(reads).map(v -> of(top, index, reads.stream().map(Future::result).toList()));
        });
    }

    /** The image for {@code wanted} in {@code index}, or platform-not-found naming what the index has. */
    public static Descriptor pick(ImageIndex index, Platform wanted, String where) {
        return PlatformSelector.select(index, wanted).orElseThrow(() -> new FerryException(ProblemType.PLATFORM_NOT_FOUND,
                "no image for platform " + wanted + " in " + where + "@" + index.digest() + "; it has " + platforms(index)));
    }

    /** The images of {@code index} for {@code choice}; platform-not-found when it has none of them. */
    public static PlatformSubset subset(ImageIndex index, PlatformChoice choice, String where) {
        PlatformSubset chosen = PlatformSubset.of(index, choice.platforms());
        if (chosen.kept().isEmpty()) {
            throw new FerryException(ProblemType.PLATFORM_NOT_FOUND, "none of the platforms "
                    + String.join(", ", choice.platforms().stream().map(Platform::toString).toList()) + " in " + where + "@"
                    + index.digest() + "; it has " + platforms(index));
        }
        return chosen;
    }

    /** A child manifest by digest; it must be an image (nested indexes are refused). */
    public static Future<ImageManifest> child(ImageSource source, Digest digest) {
        return source.manifest(digest).map(m -> image(m, source.describe() + "@" + digest));
    }

    static ImageManifest image(ManifestResult m, String where) {
        if (m.parse(where) instanceof ImageManifest image) {
            return image;
        }
        throw new FerryException(ProblemType.UNSUPPORTED_MANIFEST,
                "reading manifest " + where + ": nested indexes are not supported");
    }

    private static CopyPlan of(ManifestResult top, ImageIndex index, List<ImageManifest> images) {
        return new CopyPlan(top, index, images, blobsOf(images));
    }

    /** Config and layers of every image, each distinct digest once, in manifest order. */
    static List<Descriptor> blobsOf(List<ImageManifest> images) {
        Map<Digest, Descriptor> distinct = new LinkedHashMap<>();
        for (ImageManifest image : images) {
            distinct.putIfAbsent(image.config().digest(), image.config());
            for (Descriptor layer : image.layers()) {
                distinct.putIfAbsent(layer.digest(), layer);
            }
        }
        return List.copyOf(distinct.values());
    }

    private static String platforms(ImageIndex index) {
        List<String> all = index.manifests().stream()
                .map(d -> d.platform() == null ? "unknown" : d.platform().toString()).toList();
        return all.isEmpty() ? "no platforms" : String.join(", ", all);
    }
}
