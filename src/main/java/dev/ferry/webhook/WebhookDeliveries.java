package dev.ferry.webhook;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Which webhook events already became jobs (table {@code webhook_deliveries}, key hook + event key), so that a
 * redelivered event starts no second job, across restarts. Blocking JDBC: call from worker threads.
 */
@ApplicationScoped
public class WebhookDeliveries {
    private final DataSource db;

    public WebhookDeliveries(dev.ferry.job.Stores stores) {
        this.db = stores.dataSource();
    }

    /** The job an earlier delivery of this event started, if any. */
    public Optional<String> jobOf(String hook, String eventKey) {
        String sql = "SELECT job_id FROM webhook_deliveries WHERE hook = ? AND event_key = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, hook);
            ps.setString(2, eventKey);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new dev.ferry.job.StoreException("reading webhook deliveries", e);
        }
    }

    /**
     * Records that this event started {@code jobId}. Returns false when another delivery of the same event was
     * recorded first (another Ferry on the same database won the race).
     */
    public boolean record(String hook, String eventKey, String jobId, Instant at) {
        String sql = "INSERT INTO webhook_deliveries (hook, event_key, job_id, received_at) VALUES (?,?,?,?)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, hook);
            ps.setString(2, eventKey);
            ps.setString(3, jobId);
            ps.setTimestamp(4, Timestamp.from(at));
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                return false;
            }
            throw new dev.ferry.job.StoreException("recording a webhook delivery", e);
        }
    }

    /** The newest push of a tag this hook promoted: when it was pushed, its digest, the job that promoted it. */
    public record Head(Instant pushedAt, String digest, String jobId) {
    }

    /** The newest push of {@code tagRef} (registry/repository:tag at the source) this hook has promoted, if any. */
    public Optional<Head> head(String hook, String tagRef) {
        String sql = "SELECT pushed_at, digest, job_id FROM webhook_tag_heads WHERE hook = ? AND tag_ref = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, hook);
            ps.setString(2, tagRef);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Head(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getString(3)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new dev.ferry.job.StoreException("reading webhook tag heads", e);
        }
    }

    /**
     * Records a promoted push of {@code tagRef} as the newest, unless a push at least as new is recorded already
     * (a conditional update, so two replicas cannot both move it backwards). Returns whether it was recorded.
     */
    public boolean advance(String hook, String tagRef, Instant pushedAt, String digest, String jobId) {
        String update = "UPDATE webhook_tag_heads SET pushed_at = ?, digest = ?, job_id = ? WHERE hook = ? AND tag_ref = ? AND pushed_at <= ?";
        String insert = "INSERT INTO webhook_tag_heads (hook, tag_ref, pushed_at, digest, job_id) VALUES (?,?,?,?,?)";
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement(update)) {
                ps.setTimestamp(1, Timestamp.from(pushedAt));
                ps.setString(2, digest);
                ps.setString(3, jobId);
                ps.setString(4, hook);
                ps.setString(5, tagRef);
                ps.setTimestamp(6, Timestamp.from(pushedAt));
                if (ps.executeUpdate() == 1) {
                    return true;
                }
            }
            try (PreparedStatement ps = c.prepareStatement(insert)) {
                ps.setString(1, hook);
                ps.setString(2, tagRef);
                ps.setTimestamp(3, Timestamp.from(pushedAt));
                ps.setString(4, digest);
                ps.setString(5, jobId);
                ps.executeUpdate();
                return true;
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    return false; // a newer push is recorded (or another replica recorded this tag first)
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new dev.ferry.job.StoreException("recording a webhook tag head", e);
        }
    }
}
