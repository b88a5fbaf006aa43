package dev.ferry.transfer;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import io.vertx.core.Future;

/**
 * Where a copy, an inspect or an export reads one image from: a registry repository, an OCI layout, an archive,
 * a daemon. Modelled on containers/image's {@code types.ImageSource}.
 * <p>
 * Call order: {@link #topManifest()} first (it resolves the location once; everything after goes by digest), then
 * any {@link #manifest(Digest)} and {@link #openBlob(Descriptor)} calls, in any order and concurrently, then
 * {@link #close()} exactly once, whether the rest succeeded or not.
 * <p>
 * Manifests come back as the exact bytes stored (never re-serialised) and MUST already be verified against the digest
 * asked for; blobs come back unverified (the reader verifies them while they stream, against their descriptor).
 * Methods are called on an event loop and MUST NOT block.
 */
public interface ImageSource {

    /** The location as the user wrote it, for messages (e.g. {@code oci:/srv/images/app:1}). */
    String describe();

    /** The manifest the location names (for a tag: what it points at now). */
    Future<ManifestResult> topManifest();

    /** A manifest by digest (a child of the top index), verified against {@code digest}. */
    Future<ManifestResult> manifest(Digest digest);

    /**
     * Opens a blob for reading, paused. The caller MUST read it to the end or abort it. A source that can resume
     * a dropped read offers {@link BlobStream#reopen}.
     */
    Future<BlobStream> openBlob(Descriptor blob);

    /** Releases whatever the source holds (files, temp directories). Safe to call more than once. */
    default Future<Void> close() {
        return Future.succeededFuture();
    }

    /** The tags of this image's repository, for inspect's RepoTags; empty where the transport has none. */
    default Future<java.util.List<String>> tags() {
        return Future.succeededFuture(java.util.List.of());
    }

    /** The repository name inspect prints as {@code Name}, or null where the transport has none (as skopeo). */
    default String inspectName() {
        return null;
    }
}
