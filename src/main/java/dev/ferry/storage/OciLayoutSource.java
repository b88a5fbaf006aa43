package dev.ferry.storage;

import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageIndex;
import dev.ferry.oci.Manifest;
import dev.ferry.oci.MediaType;
import dev.ferry.oci.OciFormatException;
import dev.ferry.registry.BlobStream;
import dev.ferry.registry.ManifestResult;
import dev.ferry.transfer.ImageSource;
import io.vertx.core.Future;
import java.util.List;

/**
 * An OCI image layout as a source: a directory ({@code oci:PATH[:REF]}) or a tar read in place
 * ({@code oci-archive:PATH[:REF]}): {@code index.json} names the image by its
 * {@code org.opencontainers.image.ref.name} annotation (or is the only entry when no REF is given, as in
 * containers/image); manifests and blobs are files under {@code blobs/ALG/HEX}, manifests verified when read.
 */
final class OciLayoutSource implements ImageSource {
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    private final Entries files;
    private final String ref;
    private final String describe;
    private final int manifestLimit;

    OciLayoutSource(Entries files, String ref, String describe, int manifestLimit) {
        this.files = files;
        this.ref = ref;
        this.describe = describe;
        this.manifestLimit = manifestLimit;
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public Future<ManifestResult> topManifest() {
        return files.read("index.json", manifestLimit, "index.json of " + describe).compose(raw -> {
            ImageIndex index;
            try {
                Manifest m = Manifest.parse(raw, MediaType.OCI_INDEX.value());
                if (!(m instanceof ImageIndex i)) {
                    throw new OciFormatException("it is not an image index");
                }
                index = i;
            } catch (OciFormatException e) {
                return Future.failedFuture(new FerryException(ProblemType.INVALID_ARCHIVE,
                        "reading index.json of " + describe + ": " + e.getMessage()));
            }
            Descriptor chosen = choose(index.manifests(), ref, describe);
            return manifestFile(chosen.digest(), chosen.mediaType().value());
        });
    }

    /** The index.json entry for {@code ref}; without one, the only entry. */
    static Descriptor choose(List<Descriptor> entries, String ref, String describe) {
        if (ref == null) {
            if (entries.size() == 1) {
                return entries.get(0);
            }
            throw new FerryException(ProblemType.IMAGE_NOT_FOUND, describe + ": the layout holds " + entries.size()
                    + " images; name one as PATH:REF");
        }
        for (Descriptor d : entries) {
            if (ref.equals(d.annotations().get(REF_NAME))) {
                return d;
            }
        }
        throw new FerryException(ProblemType.IMAGE_NOT_FOUND, describe + ": no image named " + ref + " in index.json");
    }

    @Override
    public Future<ManifestResult> manifest(Digest digest) {
        return manifestFile(digest, null);
    }

    private Future<ManifestResult> manifestFile(Digest digest, String mediaType) {
        return files.read(blobPath(digest), manifestLimit, "manifest " + digest + " of " + describe).compose(raw -> {
            if (!digest.matches(raw)) {
                return Future.failedFuture(new FerryException(ProblemType.DIGEST_MISMATCH,
                        "reading manifest " + digest + " of " + describe + ": the file does not match its digest"));
            }
            return Future.succeededFuture(new ManifestResult(raw, mediaType, digest));
        });
    }

    @Override
    public Future<BlobStream> openBlob(Descriptor blob) {
        return files.open(blobPath(blob.digest()), "blob " + blob.digest() + " of " + describe);
    }

    static String blobPath(Digest digest) {
        return "blobs/" + digest.algorithm() + "/" + digest.hex();
    }
}
