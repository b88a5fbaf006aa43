package dev.ferry.transfer;

import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.registry.RegistryClient;
import io.vertx.core.Future;
import java.util.List;

/** A repository of a registry as an image source (the first implementation of the seam). */
public record RegistrySource(RegistryClient registry, RegistryAccess access, ImageReference reference) implements ImageSource {

    @Override
    public String describe() {
        return reference.transportName();
    }

    @Override
    public Future<ManifestResult> topManifest() {
        return registry.manifestGet(access, reference);
    }

    @Override
    public Future<ManifestResult> manifest(Digest digest) {
        return registry.manifestGet(access, reference.withTag(null).withDigest(digest));
    }

    @Override
    public Future<BlobStream> openBlob(Descriptor blob) {
        return registry.blobOpen(access, reference, blob);
    }

    @Override
    public Future<List<String>> tags() {
        return registry.tagList(access, reference);
    }

    @Override
    public String inspectName() {
        return reference.name();
    }
}
