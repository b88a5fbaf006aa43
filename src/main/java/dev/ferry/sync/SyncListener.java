package dev.ferry.sync;

import dev.ferry.transfer.CopyListener;

/** What a sync reports: each image as it starts and ends, and the blobs of its copy. Must not block. */
public interface SyncListener {
    /** An image is about to be copied (not called for images skipped as unchanged, nor in a dry run). */
    default void imageStarted(String source, String destination) {
    }

    default void imageEnded(ImageOutcome outcome) {
    }

    /** Receives the blob and manifest events of every image's copy. */
    default CopyListener copies() {
        return CopyListener.NONE;
    }

    SyncListener NONE = new SyncListener() {
    };
}
