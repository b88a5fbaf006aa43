package dev.ferry.inspect;

import com.fasterxml.jackson.databind.JsonNode;

/** What an inspect answers: a JSON document, or bytes exactly as the registry served them. */
public sealed interface InspectResult {
    record Json(JsonNode document) implements InspectResult {
    }

    record Raw(byte[] bytes, String contentType) implements InspectResult {
    }
}
