package dev.ferry.sync;

import java.util.List;

/** Every image of a sync in the order they were listed, and the counts. */
public record SyncResult(List<ImageOutcome> images, int copied, int skipped, int failed) {

    static SyncResult of(List<ImageOutcome> images) {
        int copied = 0;
        int skipped = 0;
        int failed = 0;
        for (ImageOutcome o : images) {
            switch (o.state()) {
                case "copied" -> copied++;
                case "skipped" -> skipped++;
                case "failed" -> failed++;
                default -> {
                }
            }
        }
        return new SyncResult(List.copyOf(images), copied, skipped, failed);
    }
}
