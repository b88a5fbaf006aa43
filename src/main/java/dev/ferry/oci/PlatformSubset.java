package dev.ferry.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Some platforms of an index, in the spirit of containers/image's {@code CopySpecificImages} with
 * {@code SparseManifestListAction}: each wanted platform picks its best instance ({@link PlatformSelector}); the
 * instances kept are listed in index order, each once.
 *
 * <p>Two ways to write the result, because they differ in the digest the destination ends up with:
 * {@link #keep()} pushes the source's index bytes unchanged (the digest is kept; the index then names instances the
 * destination does not hold, a "sparse" index, which some registries refuse), and {@link #rewrite()} makes a new index
 * that lists only the kept instances (a new digest). The rewrite is deterministic: the same source bytes and the same
 * kept instances always give the same bytes, so a re-run can tell "already there" from the digest alone.
 *
 * @param index   the source index
 * @param kept    the instances kept, in index order
 * @param missing the wanted platforms the index has no instance for
 */
public record PlatformSubset(ImageIndex index, List<Descriptor> kept, List<Platform> missing) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public PlatformSubset {
        kept = List.copyOf(kept);
        missing = List.copyOf(missing);
    }

    /** The instances of {@code index} for {@code wanted} (at least one wanted platform). */
    public static PlatformSubset of(ImageIndex index, List<Platform> wanted) {
        if (wanted == null || wanted.isEmpty()) {
            throw new IllegalArgumentException("no platforms wanted");
        }
        Set<Digest> chosen = new LinkedHashSet<>();
        List<Platform> missing = new ArrayList<>();
        for (Platform p : wanted) {
            PlatformSelector.select(index, p).ifPresentOrElse(d -> chosen.add(d.digest()), () -> missing.add(p));
        }
        List<Descriptor> kept = new ArrayList<>();
        Set<Digest> seen = new LinkedHashSet<>();
        for (Descriptor d : index.manifests()) {
            if (chosen.contains(d.digest()) && seen.add(d.digest())) {
                kept.add(d);
            }
        }
        return new PlatformSubset(index, kept, missing);
    }

    /** Whether every instance of the index is kept (then keep and rewrite are the same: the index as it is). */
    public boolean whole() {
        return kept.size() == index.manifests().size();
    }

    /** The source index as it is: its digest is kept, and it names instances that are not copied unless {@link #whole()}. */
    public ImageIndex keep() {
        return index;
    }

    /**
     * A new index that lists only the kept instances: every other field of the source index (and of each kept
     * descriptor) as it was, written compactly by one serializer, so equal inputs give equal bytes.
     */
    public ImageIndex rewrite() {
        if (whole()) {
            return index;
        }
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(index.raw());
            ArrayNode manifests = JSON.createArrayNode();
            Set<String> keptDigests = new LinkedHashSet<>();
            kept.forEach(d -> keptDigests.add(d.digest().toString()));
            Set<String> added = new LinkedHashSet<>();
            for (JsonNode d : root.withArray("manifests")) {
                String digest = d.path("digest").asText();
                if (keptDigests.contains(digest) && added.add(digest)) {
                    manifests.add(d);
                }
            }
            root.set("manifests", manifests);
            byte[] raw = JSON.writeValueAsBytes(root);
            return ImageIndex.parse(raw, index.mediaType().value());
        } catch (JsonProcessingException e) {
            throw new OciFormatException("the index cannot be rewritten: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new OciFormatException("the index cannot be rewritten: " + e.getMessage());
        }
    }
}
