package dev.ferry.job;

import dev.ferry.transfer.Cancellation;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What running work gets: its id, a place to report events and progress, and its cancel signal. */
public final class JobContext {
    private final String jobId;
    private final JobEvents events;
    private final ProgressTracker progress;
    private final Cancellation cancellation;
    private final dev.ferry.registry.UploadSessions uploads;

    JobContext(String jobId, JobEvents events, ProgressTracker progress, Cancellation cancellation) {
        this(jobId, events, progress, cancellation, dev.ferry.registry.UploadSessions.NONE);
    }

    JobContext(String jobId, JobEvents events, ProgressTracker progress, Cancellation cancellation,
               dev.ferry.registry.UploadSessions uploads) {
        this.uploads = uploads;
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

    /** Where this run's chunked uploads record their sessions, so a later run of the job can continue them. */
    public dev.ferry.registry.UploadSessions uploads() {
        return uploads;
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
