package dev.ferry.notify;

import dev.ferry.job.StoreException;
import dev.ferry.job.Stores;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The delivery log (tables {@code notification_deliveries} and {@code notification_attempts}), shared by every
 * replica on the store. A delivery is recorded once per (job, target URL) before anything is sent; a replica claims
 * a due delivery with a lease, sends it, and records the attempt. Blocking JDBC: call from worker threads.
 */
@ApplicationScoped
public class NotificationDeliveries {
    static final String PENDING = "pending";
    static final String DELIVERED = "delivered";
    static final String FAILED = "failed";

    private final DataSource db;

    public NotificationDeliveries(Stores stores) {
        this.db = stores.dataSource();
    }

    /** A recorded delivery, as sent and as shown. */
    public record Delivery(String id, String jobId, String targetKey, String url, String targetName, String policy,
                           String eventType, String payload, String secretMode, String secretSealed, String state,
                           int attempts, Integer lastStatus, String lastError, String recordedBy, Instant createdAt,
                           Instant nextAttemptAt, Instant endedAt) {
    }

    /** One attempt of a delivery. */
    public record Attempt(int attempt, String owner, Instant at, Integer status, String error, long durationMs) {
    }

    /** Records a delivery; false when this job already has one for the same target (a second call for the same end). */
    public boolean record(Delivery d) {
        String sql = "INSERT INTO notification_deliveries (id, job_id, target_key, url, target_name, policy, event_type, payload, "
                + "secret_mode, secret_sealed, state, attempts, recorded_by, created_at, next_attempt_at) "
                + "VALUES (?,?,?,?,?,?,?,?,?,?,?,0,?,?,?)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, d.id());
            ps.setString(2, d.jobId());
            ps.setString(3, d.targetKey());
            ps.setString(4, d.url());
            ps.setString(5, d.targetName());
            ps.setString(6, d.policy());
            ps.setString(7, d.eventType());
            ps.setString(8, d.payload());
            ps.setString(9, d.secretMode());
            ps.setString(10, d.secretSealed());
            ps.setString(11, PENDING);
            ps.setString(12, d.recordedBy());
            ps.setTimestamp(13, Timestamp.from(d.createdAt()));
            ps.setTimestamp(14, Timestamp.from(d.nextAttemptAt()));
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                return false;
            }
            throw new StoreException("recording a notification", e);
        }
    }

    /**
     * Claims up to {@code max} deliveries due at {@code now} for {@code replica} until {@code leaseUntil}. A delivery
     * whose secret only its recording replica holds ({@code memory}) is left to that replica while it is young.
     */
    public List<Delivery> claimDue(String replica, Instant now, Instant leaseUntil, Instant memoryCutoff, int max) {
        String select = "SELECT id FROM notification_deliveries WHERE state = ? AND next_attempt_at <= ? "
                + "AND (lease_until IS NULL OR lease_until < ?) "
                + "AND (secret_mode <> 'memory' OR recorded_by = ? OR created_at < ?) ORDER BY next_attempt_at";
        String claim = "UPDATE notification_deliveries SET owner = ?, lease_until = ? WHERE id = ? AND state = ? "
                + "AND (lease_until IS NULL OR lease_until < ?)";
        List<String> ids = new ArrayList<>();
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement(select)) {
                ps.setMaxRows(max);
                ps.setString(1, PENDING);
                ps.setTimestamp(2, Timestamp.from(now));
                ps.setTimestamp(3, Timestamp.from(now));
                ps.setString(4, replica);
                ps.setTimestamp(5, Timestamp.from(memoryCutoff));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            List<Delivery> claimed = new ArrayList<>();
            for (String id : ids) {
                try (PreparedStatement ps = c.prepareStatement(claim)) {
                    ps.setString(1, replica);
                    ps.setTimestamp(2, Timestamp.from(leaseUntil));
                    ps.setString(3, id);
                    ps.setString(4, PENDING);
                    ps.setTimestamp(5, Timestamp.from(now));
                    if (ps.executeUpdate() == 1) {
                        find(c, id).ifPresent(claimed::add);
                    }
                }
            }
            return claimed;
        } catch (SQLException e) {
            throw new StoreException("claiming notifications", e);
        }
    }

    /**
     * Records attempt number {@code attempt} and the delivery's new state: {@code delivered}, {@code failed} (given
     * up) or {@code pending} again at {@code nextAttemptAt}. Fenced by the claim: false when another replica holds it.
     */
    public boolean recordAttempt(String id, String replica, Attempt a, String state, Instant nextAttemptAt) {
        String insert = "INSERT INTO notification_attempts (delivery_id, attempt, owner, attempted_at, status, error, duration_ms) "
                + "VALUES (?,?,?,?,?,?,?)";
        String update = "UPDATE notification_deliveries SET attempts = ?, last_status = ?, last_error = ?, state = ?, "
                + "next_attempt_at = ?, ended_at = ?, owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?";
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(update)) {
                    ps.setInt(1, a.attempt());
                    setInt(ps, 2, a.status());
                    ps.setString(3, a.error());
                    ps.setString(4, state);
                    ps.setTimestamp(5, Timestamp.from(nextAttemptAt));
                    ps.setTimestamp(6, PENDING.equals(state) ? null : Timestamp.from(a.at()));
                    ps.setString(7, id);
                    ps.setString(8, replica);
                    if (ps.executeUpdate() != 1) {
                        c.rollback();
                        return false;
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(insert)) {
                    ps.setString(1, id);
                    ps.setInt(2, a.attempt());
                    ps.setString(3, a.owner());
                    ps.setTimestamp(4, Timestamp.from(a.at()));
                    setInt(ps, 5, a.status());
                    ps.setString(6, a.error());
                    ps.setLong(7, a.durationMs());
                    ps.executeUpdate();
                }
                c.commit();
                return true;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException("recording a notification attempt", e);
        }
    }

    private static void setInt(PreparedStatement ps, int i, Integer v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.INTEGER);
        } else {
            ps.setInt(i, v);
        }
    }

    /** Deliveries newest first, optionally of one job and/or in one state. */
    public List<Delivery> list(String jobId, String state, int offset, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM notification_deliveries WHERE 1=1");
        List<String> args = new ArrayList<>();
        if (jobId != null) {
            sql.append(" AND job_id = ?");
            args.add(jobId);
        }
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state);
        }
        sql.append(" ORDER BY created_at DESC, id LIMIT ? OFFSET ?");
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            for (String a : args) {
                ps.setString(i++, a);
            }
            ps.setInt(i++, limit);
            ps.setInt(i, offset);
            List<Delivery> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(delivery(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading notifications", e);
        }
    }

    public long count(String jobId, String state) {
        StringBuilder sql = new StringBuilder("SELECT COUNT(*) FROM notification_deliveries WHERE 1=1");
        List<String> args = new ArrayList<>();
        if (jobId != null) {
            sql.append(" AND job_id = ?");
            args.add(jobId);
        }
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state);
        }
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setString(i + 1, args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new StoreException("counting notifications", e);
        }
    }

    public List<Attempt> attempts(String deliveryId) {
        String sql = "SELECT attempt, owner, attempted_at, status, error, duration_ms FROM notification_attempts "
                + "WHERE delivery_id = ? ORDER BY attempt";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, deliveryId);
            List<Attempt> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int status = rs.getInt(4);
                    Integer s = rs.wasNull() ? null : status;
                    out.add(new Attempt(rs.getInt(1), rs.getString(2), rs.getTimestamp(3).toInstant(), s, rs.getString(5),
                            rs.getLong(6)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading notification attempts", e);
        }
    }

    private static Optional<Delivery> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM notification_deliveries WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(delivery(rs)) : Optional.empty();
            }
        }
    }

    private static Delivery delivery(ResultSet rs) throws SQLException {
        int status = rs.getInt("last_status");
        Integer lastStatus = rs.wasNull() ? null : status;
        Timestamp ended = rs.getTimestamp("ended_at");
        return new Delivery(rs.getString("id"), rs.getString("job_id"), rs.getString("target_key"), rs.getString("url"),
                rs.getString("target_name"), rs.getString("policy"), rs.getString("event_type"), rs.getString("payload"),
                rs.getString("secret_mode"), rs.getString("secret_sealed"), rs.getString("state"), rs.getInt("attempts"),
                lastStatus, rs.getString("last_error"), rs.getString("recorded_by"), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("next_attempt_at").toInstant(), ended == null ? null : ended.toInstant());
    }
}
