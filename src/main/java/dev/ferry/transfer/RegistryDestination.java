package dev.ferry.transfer;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import dev.ferry.registry.StreamWatch;
import io.vertx.core.Future;

/**
 * A repository of a registry as an image destination: blobs in parallel, HEAD to skip, cross-repository mounts
 * (from the source repository on the same registry, or wherever this Ferry recently put the blob), and a
 * registry-to-registry stream that resumes a dropped download with a Range request. Nothing to commit: the
 * registry shows the image once the top manifest is pushed, and it accepts that only when every blob is there.
 */
public final class RegistryDestination implements ImageDestination {
    private static final Capabilities CAPABILITIES = new Capabilities(true, true, true, true);

    private final RegistryClient registry;
    private final RegistryAccess access;
    private final ImageReference reference;
    private final BlobFlights flights;

    public RegistryDestination(RegistryClient registry, RegistryAccess access, ImageReference reference, BlobFlights flights) {
        if (reference.tag() == null && reference.digest() == null) {
            throw new FerryException(ProblemType.INVALID_REFERENCE, "the destination " + reference.name() + " needs a tag or a digest");
        }
        this.registry = registry;
        this.access = access;
        this.reference = reference;
        this.flights = flights;
    }

    /** The same destination with every registry request inside {@code calls} (aborted together on cancel). */
    public RegistryDestination within(dev.ferry.registry.http.CallScope calls) {
        return new RegistryDestination(registry, access.within(calls), reference, flights);
    }

    public ImageReference reference() {
        return reference;
    }

    public RegistryAccess access() {
        return access;
    }

    @Override
    public String describe() {
        return reference.transportName();
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Future<Digest> pointsAt() {
        return registry.manifestHead(access, reference).map(head -> head == null ? null : head.digest())
                .otherwise((Digest) null);
    }

    @Override
    public Future<Boolean> hasBlob(Descriptor blob) {
        return registry.blobHead(access, reference, blob.digest());
    }

    @Override
    public Future<Boolean> mountBlob(Descriptor blob, ImageSource source) {
        ImageReference from = mountSource(blob.digest(), source);
        if (from == null) {
            return Future.succeededFuture(false);
        }
        return registry.blobMount(access, reference, blob.digest(), from).recover(RegistryDestination::streamIfMountRefused)
                .onSuccess(mounted -> {
                    if (mounted) {
                        flights.remember(access.registry(), blob.digest(), reference);
                    }
                });
    }

    /** The source repository when both are on this registry, else one this Ferry recently copied the blob into. */
    private ImageReference mountSource(Digest digest, ImageSource source) {
        if (source instanceof ConvertedConfigs cc) {
            // a converted config exists nowhere yet; every other blob is the wrapped source's own
            source = cc.serves(digest) ? null : cc.delegate();
        }
        if (source instanceof RegistrySource rs && rs.access().registry().equals(access.registry())
                && !rs.reference().repository().equals(reference.repository())) {
            return rs.reference();
        }
        ImageReference known = flights.knownRepository(access.registry(), digest);
        return known != null && !known.repository().equals(reference.repository()) ? known : null;
    }

    /**
     * A mount needs pull access to the other repository with the destination's credentials; when the registry
     * refuses that, streaming with the source's own credentials still works.
     */
    private static Future<Boolean> streamIfMountRefused(Throwable t) {
        if (t instanceof FerryException fe && (fe.type() == ProblemType.REGISTRY_UNAUTHORIZED
                || fe.type() == ProblemType.REGISTRY_FORBIDDEN)) {
            return Future.succeededFuture(false);
        }
        return Future.failedFuture(t);
    }

    @Override
    public Future<Long> putBlob(Descriptor blob, ImageSource source, StreamWatch watch) {
        Future<Long> moved = source instanceof RegistrySource rs
                ? registry.blobCopyStream(rs.access(), rs.reference(), access, reference, blob, watch)
                : source.openBlob(blob).compose(stream -> registry.blobPut(access, reference, blob, stream, watch));
        return moved.onSuccess(n -> flights.remember(access.registry(), blob.digest(), reference));
    }

    @Override
    public Future<Digest> putManifest(ManifestResult manifest, boolean top) {
        ImageReference to = top ? reference : reference.withTag(null).withDigest(manifest.digest());
        String mediaType = manifest.parse(describe()).mediaType().value();
        return registry.manifestPut(access, to, mediaType, manifest.raw());
    }

    @Override
    public String reference(Digest digest) {
        return reference.tag() != null ? reference.tag() : digest.toString();
    }

    @Override
    public String sharedStore() {
        return access.registry();
    }
}
