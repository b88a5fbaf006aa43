package dev.ferry.job;

/** Counts a job exposes while it runs and keeps when it ends. */
public record Progress(long bytesDone, long bytesTotal, long bytesSkipped, int blobsDone, int blobsSkipped,
                       int blobsMounted, int blobsTotal, int retries) {
    public static final Progress ZERO = new Progress(0, 0, 0, 0, 0, 0, 0, 0);
}
