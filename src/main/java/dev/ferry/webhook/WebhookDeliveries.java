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
}
