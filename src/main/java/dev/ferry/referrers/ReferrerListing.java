package dev.ferry.referrers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.oci.Digest;
import dev.ferry.oci.ImageReference;
import dev.ferry.registry.RegistryAccess;
import dev.ferry.transfer.ReferrerOptions;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Inspect's opt-in {@code referrers: true}: the inspect document gains {@code Referrers}, what is attached to the
 * manifest its {@code Digest} names (the index, for a multi-platform image: inspect a platform image by digest to list
 * its own), each as {@code {Digest, MediaType, ArtifactType, Size, Via, Tag}} (Size -1 when the source did not say).
 */
@ApplicationScoped
public class ReferrerListing {
    private final ReferrerDiscovery discovery;
    private final ObjectMapper json;

    public ReferrerListing(ReferrerDiscovery discovery, ObjectMapper json) {
        this.discovery = discovery;
        this.json = json;
    }

    /** Checks the request fields; null when referrers are not asked for. */
    public static ReferrerOptions requested(Boolean referrers, java.util.List<String> artifactTypes, boolean rawOrConfig) {
        if (!Boolean.TRUE.equals(referrers)) {
            if (artifactTypes != null) {
                throw FerryException.invalidField("referrerArtifactTypes", "filters the Referrers listing: set referrers: true too");
            }
            return null;
        }
        if (rawOrConfig) {
            throw FerryException.invalidField("referrers", "lists referrers in the inspect document: not with raw or config");
        }
        return ReferrerRequests.options(true, artifactTypes);
    }

    /** {@code document} with {@code Referrers} added. */
    public Future<ObjectNode> addTo(ObjectNode document, RegistryAccess access, ImageReference image, ReferrerOptions options) {
        Digest subject = Digest.parse(document.path("Digest").asText());
        return discovery.attachedTo(access, image, subject, options).map(found -> {
            ArrayNode list = document.putArray("Referrers");
            for (Found f : found) {
                ObjectNode r = list.addObject();
                r.put("Digest", f.digest().toString());
                r.put("MediaType", f.mediaType());
                r.put("ArtifactType", f.artifactType());
                r.put("Size", f.size());
                r.put("Via", f.via());
                r.put("Tag", f.tag());
            }
            return document;
        });
    }
}
