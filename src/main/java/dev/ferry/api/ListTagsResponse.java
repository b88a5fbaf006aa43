package dev.ferry.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** skopeo list-tags output: {@code {"Repository": "host/repo", "Tags": [...]}}. */
public record ListTagsResponse(@JsonProperty("Repository") String repository, @JsonProperty("Tags") List<String> tags) {
}
