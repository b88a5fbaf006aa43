package dev.ferry.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Jobs and their events in the database (embedded H2 by default; the SQL is portable so PostgreSQL can
 * follow). Blocking JDBC: call from worker threads, never from an event loop.
 */
@ApplicationScoped
public class JobStore {
    private final DataSource db;
    private final ObjectMapper json;

    /** A stored job plus what only Ferry sees. */
    public record Stored(Job job, String caller, String idempotencyKey, int runs) {
    }

    public JobStore(DataSource db, ObjectMapper json) {
        this.db = db;
        this.json = json;
    }

    public void insert(Job job, String caller, String idempotencyKey) {
        String sql = "INSERT INTO jobs (id, type, state, caller, idempotency_key, request, progress, created_at) VALUES (?,?,?,?,?,?,?,?)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, job.id());
            ps.setString(2, job.type());
            ps.setString(3, job.state().wire());
            ps.setString(4, caller);
            ps.setString(5, idempotencyKey);
            ps.setString(6, write(job.request()));
            ps.setString(7, write(job.progress()));
            ps.setTimestamp(8, Timestamp.from(job.createdAt()));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("storing job " + job.id(), e);
        }
    }

    public Optional<Stored> find(String id) {
        return query("SELECT * FROM jobs WHERE id = ?", List.of(id)).stream().findFirst();
    }

    public Optional<Stored> findByIdempotencyKey(String caller, String key) {
        return query("SELECT * FROM jobs WHERE caller = ? AND idempotency_key = ?", List.of(caller, key)).stream().findFirst();
    }

    /** Newest first; {@code state}/{@code type}/{@code caller} may be null (no filter). */
    public List<Stored> list(JobState state, String type, String caller, int offset, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM jobs WHERE 1=1");
        List<Object> args = new ArrayList<>();
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state.wire());
        }
        if (type != null) {
            sql.append(" AND type = ?");
            args.add(type);
        }
        if (caller != null) {
            sql.append(" AND caller = ?");
            args.add(caller);
        }
        sql.append(" ORDER BY created_at DESC, id DESC OFFSET ? ROWS FETCH NEXT ? ROWS ONLY");
        args.add(offset);
        args.add(limit);
        return query(sql.toString(), args);
    }

    /** Jobs that were queued or running when Ferry stopped, oldest first. */
    public List<Stored> unfinished() {
        return query("SELECT * FROM jobs WHERE state IN ('queued','running') ORDER BY created_at, id", List.of());
    }

    public void markRunning(String id, Instant startedAt) {
        update("UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, ?), runs = runs + 1 WHERE id = ?",
                Timestamp.from(startedAt), id);
    }

    public void saveProgress(String id, Progress progress) {
        update("UPDATE jobs SET progress = ? WHERE id = ?", write(progress), id);
    }

    /** Moves a job to a terminal state, unless it already is in one. Returns whether it changed. */
    public boolean finish(String id, JobState state, Progress progress, JsonNode result, JobError error, Instant at) {
        return update("UPDATE jobs SET state = ?, progress = ?, result = ?, error = ?, finished_at = ? "
                        + "WHERE id = ? AND state IN ('queued','running')",
                state.wire(), write(progress), result == null ? null : write(result), error == null ? null : write(error),
                Timestamp.from(at), id) > 0;
    }

    public void appendEvent(JobEvent event) {
        String sql = "INSERT INTO job_events (job_id, seq, kind, data) VALUES (?,?,?,?)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, event.jobId());
            ps.setLong(2, event.seq());
            ps.setString(3, event.kind());
            ps.setString(4, write(event.data()));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("recording an event of job " + event.jobId(), e);
        }
    }

    public List<JobEvent> events(String jobId, long afterSeq) {
        String sql = "SELECT seq, kind, data FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, jobId);
            ps.setLong(2, afterSeq);
            List<JobEvent> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new JobEvent(jobId, rs.getLong(1), rs.getString(2), json.readTree(rs.getString(3))));
                }
            }
            return out;
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("reading events of job " + jobId, e);
        }
    }

    public long lastEventSeq(String jobId) {
        String sql = "SELECT COALESCE(MAX(seq), 0) FROM job_events WHERE job_id = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new StoreException("reading events of job " + jobId, e);
        }
    }

    private int update(String sql, Object... args) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("updating a job", e);
        }
    }

    private List<Stored> query(String sql, List<?> args) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            List<Stored> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(read(rs));
                }
            }
            return out;
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("reading jobs", e);
        }
    }

    private Stored read(ResultSet rs) throws SQLException, JsonProcessingException {
        String progress = rs.getString("progress");
        String result = rs.getString("result");
        String error = rs.getString("error");
        Job job = new Job(rs.getString("id"), rs.getString("type"), JobState.fromWire(rs.getString("state")),
                instant(rs, "created_at"), instant(rs, "started_at"), instant(rs, "finished_at"),
                json.readTree(rs.getString("request")),
                progress == null ? Progress.ZERO : json.readValue(progress, Progress.class),
                result == null ? null : json.readTree(result),
                error == null ? null : json.readValue(error, JobError.class));
        return new Stored(job, rs.getString("caller"), rs.getString("idempotency_key"), rs.getInt("runs"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The store failed; callers answer 503 and nothing is half-accepted. */
    public static final class StoreException extends RuntimeException {
        public StoreException(String action, Throwable cause) {
            super(action + " failed: " + cause.getMessage(), cause);
        }
    }
}
