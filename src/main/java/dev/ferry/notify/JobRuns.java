package dev.ferry.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.job.Job;

/** A job's end as a {@link RunEnded}: what the job runner hands to the notifier for every job that ends. */
public final class JobRuns {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JobRuns() {
    }

    public static RunEnded of(Job job) {
        ObjectNode summary = JSON.createObjectNode();
        if (job.result() != null) {
            summary.set("result", job.result());
        }
        if (job.error() != null) {
            summary.set("error", JSON.valueToTree(job.error()));
        }
        return new RunEnded(job.id(), job.type(), null, job.state().wire(), changed(job.type(), job.result()), summary,
                job.finishedAt());
    }

    /**
     * Whether a job changed its destination, read from its result: a copy that moved or mounted a blob, a sync that
     * copied an image, a delete that deleted something.
     */
    static boolean changed(String type, JsonNode result) {
        if (result == null) {
            return false;
        }
        return switch (type) {
            case "copy" -> result.path("blobsCopied").asInt() + result.path("blobsMounted").asInt() > 0;
            case "sync" -> result.path("copied").asInt() > 0;
            case "delete" -> result.hasNonNull("deleted") || result.path("tagsRemoved").size() > 0;
            default -> false;
        };
    }
}
