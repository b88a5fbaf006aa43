package dev.ferry.transfer;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.ImageManifest;
import dev.ferry.registry.ManifestResult;
import java.util.List;

/**
 * What one image copy (or export, or dry run) moves, decided once from the source.
 *
 * @param top    the manifest the source location names, as stored
 * @param index  the top manifest as an index when it is one and every platform is copied ({@code all}); else null
 * @param images the images to copy: the top image, the selected platform's image, or every child of the index
 * @param blobs  the config and layers of all of them, each distinct digest once, in manifest order
 * @param rewrittenFrom a platform subset written as a new index ({@link PlatformChoice#rewrite()}): the source index's
 *               digest ({@code top} and {@code index} are the new index); else null
 * @param sparse a platform subset pushed with the source's index unchanged: the index names images not copied
 */
public record CopyPlan(ManifestResult top, ImageIndex index, List<ImageManifest> images, List<Descriptor> blobs,
                       Digest rewrittenFrom, boolean sparse) {

    public CopyPlan {
        images = List.copyOf(images);
        blobs = List.copyOf(blobs);
    }

    public CopyPlan(ManifestResult top, ImageIndex index, List<ImageManifest> images, List<Descriptor> blobs) {
        this(top, index, images, blobs, null, false);
    }

    /** The digest the destination reference ends up pointing at: the index's, or the single image's. */
    public Digest target() {
        return index != null ? index.digest() : images.get(0).digest();
    }

    /** The bytes of every blob (non-distributable layers included). */
    public long bytes() {
        return blobs.stream().mapToLong(Descriptor::size).sum();
    }
}
