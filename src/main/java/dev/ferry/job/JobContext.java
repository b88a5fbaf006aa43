package dev.ferry.job;

import dev.ferry.transfer.Cancellation;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What running work gets: its id, a place to report events and progress, and its cancel signal. */
public final class JobContext {
    private final String jobId;
    private final JobEvents events;
    private final ProgressTracker progress;
    private final Cancellation cancellation;

    JobContext(String jobId, JobEvents events, ProgressTracker progress, Cancellation cancellation) {
        this.jobId = jobId;
        this.events = events;
        this.progress = progress;
        this.cancellation = cancellation;
    }

    public String jobId() {
        return jobId;
    }

    public ProgressTracker progress() {
        return progress;
    }

    public Cancellation cancellation() {
        return cancellation;
    }

    /** Records and publishes an event of {@code kind} (blob, manifest, ...). Never blocks. */
    public void event(String kind, ObjectNode data) {
        events.append(jobId, kind, data);
    }

    public ObjectNode newData() {
        return events.newData();
    }
}
