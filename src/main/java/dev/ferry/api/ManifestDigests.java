package dev.ferry.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import java.io.IOException;

/** Checks for {@code manifest-digest}: the body must be one JSON object. */
final class ManifestDigests {
    private static final JsonFactory FACTORY = new JsonFactory();

    private ManifestDigests() {
    }

    static void requireJsonObject(byte[] manifest) {
        try (JsonParser p = FACTORY.createParser(manifest)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new FerryException(ProblemType.INVALID_MANIFEST, "the manifest is not a JSON object");
            }
            int depth = 1;
            while (depth > 0) {
                JsonToken t = p.nextToken();
                if (t == null) {
                    throw new FerryException(ProblemType.INVALID_MANIFEST, "the manifest is truncated JSON");
                }
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    depth++;
                } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    depth--;
                }
            }
            if (p.nextToken() != null) {
                throw new FerryException(ProblemType.INVALID_MANIFEST, "the manifest has content after its JSON object");
            }
        } catch (IOException e) {
            throw new FerryException(ProblemType.INVALID_MANIFEST, "the manifest is not valid JSON");
        }
    }
}
