package dev.ferry.job;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.job.JobContext;
import dev.ferry.oci.Descriptor;
import dev.ferry.oci.Digest;
import dev.ferry.transfer.CopyListener;

/** Reports a copy as job events (blob, manifest) and progress counters. */
public final class JobCopyListener implements CopyListener {
    private final JobContext ctx;

    private final boolean addPlans;

    public JobCopyListener(JobContext ctx) {
        this(ctx, false);
    }

    /** @param addPlans whether each copy's plan adds to the job's totals (several copies in one job) */
    public JobCopyListener(JobContext ctx, boolean addPlans) {
        this.ctx = ctx;
        this.addPlans = addPlans;
    }

    private ObjectNode blob(String status, Descriptor d) {
        ObjectNode data = ctx.newData();
        data.put("status", status);
        data.put("digest", d.digest().toString());
        data.put("size", d.size());
        data.put("mediaType", d.mediaType().value());
        return data;
    }

    @Override
    public void planned(int blobs, long bytes) {
        if (addPlans) {
            ctx.progress().plannedMore(blobs, bytes);
        } else {
            ctx.progress().planned(blobs, bytes);
        }
    }

    @Override
    public void blobStarted(Descriptor d) {
        ctx.event("blob", blob("started", d));
    }

    @Override
    public void blobSkipped(Descriptor d, String reason) {
        ctx.progress().blobSkipped(d.size(), "mounted".equals(reason));
        ctx.event("blob", blob("skipped", d).put("reason", reason));
    }

    @Override
    public void blobRetrying(Descriptor d, int attempt, String why) {
        ctx.progress().retried();
        ctx.event("blob", blob("retrying", d).put("attempt", attempt).put("reason", why));
    }

    @Override
    public void bytes(Descriptor d, long n) {
        ctx.progress().bytes(n);
        ctx.progress().blobBytes(d.digest().toString(), n);
    }

    @Override
    public void blobUploadResumed(Descriptor d, long kept, long recorded, boolean sessionLost) {
        ctx.event("blob", blob("resumed", d).put("bytesKept", kept).put("bytesToSend", d.size() - kept)
                .put("recordedOffset", recorded).put("sessionLost", sessionLost));
    }

    @Override
    public dev.ferry.registry.UploadSessions uploadSessions() {
        return ctx.uploads();
    }

    @Override
    public void blobDone(Descriptor d) {
        ctx.progress().blobDone();
        ctx.progress().blobEnded(d.digest().toString());
        ctx.event("blob", blob("done", d));
    }

    @Override
    public void blobFailed(Descriptor d, String why) {
        ctx.progress().blobEnded(d.digest().toString());
        ctx.event("blob", blob("failed", d).put("reason", why));
    }

    @Override
    public void manifestPushed(Digest digest, String mediaType, String reference) {
        ObjectNode data = ctx.newData();
        data.put("digest", digest.toString());
        data.put("mediaType", mediaType);
        data.put("reference", reference);
        ctx.event("manifest", data);
    }

    @Override
    public void attachment(dev.ferry.transfer.Attachment a) {
        ObjectNode data = ctx.newData();
        data.put("subject", a.subject().toString());
        if (a.digest() != null) {
            data.put("digest", a.digest().toString());
        }
        putIfSet(data, "mediaType", a.mediaType());
        putIfSet(data, "artifactType", a.artifactType());
        putIfSet(data, "via", a.via());
        putIfSet(data, "tag", a.tag());
        data.put("status", a.status());
        putIfSet(data, "detail", a.detail());
        ctx.event("referrer", data);
    }

    private static void putIfSet(ObjectNode data, String field, String value) {
        if (value != null) {
            data.put(field, value);
        }
    }

    @Override
    public void signature(String status, java.util.Map<String, String> details) {
        ObjectNode data = ctx.newData();
        data.put("status", status);
        details.forEach(data::put);
        ctx.event("signature", data);
    }
}
