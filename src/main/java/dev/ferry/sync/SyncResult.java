package dev.ferry.sync;

import java.util.List;

/**
 * Every image of a sync in the order they were listed, and the counts; with {@code prune}, what was pruned (or in a
 * dry run would be) and how many tags were deleted ({@code pruned}); both absent without {@code prune}.
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record SyncResult(List<ImageOutcome> images, int copied, int skipped, int failed, List<PruneOutcome> prune,
                         Integer pruned) {

    public SyncResult(List<ImageOutcome> images, int copied, int skipped, int failed) {
        this(images, copied, skipped, failed, null, null);
    }

    SyncResult withPrune(List<PruneOutcome> outcomes) {
        int n = (int) outcomes.stream().filter(o -> "pruned".equals(o.state())).count();
        return new SyncResult(images, copied, skipped, failed, List.copyOf(outcomes), n);
    }

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
