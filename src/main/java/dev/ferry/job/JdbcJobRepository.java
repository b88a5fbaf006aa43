package dev.ferry.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.ProblemType;
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
 * {@link JobRepository} on JDBC: the same portable SQL on embedded H2 and on PostgreSQL (both support
 * {@code FOR UPDATE SKIP LOCKED}). Each method is one transaction; fencing is a locking read of the job row
 * matching {@code (id, owner, version)}, which holds the row until commit, so a claim cannot interleave.
 */
public class JdbcJobRepository implements JobRepository {
    private static final String ACTIVE = "('queued','running')";

    private final DataSource db;
    private final ObjectMapper json;

    public JdbcJobRepository(DataSource db, ObjectMapper json) {
        this.db = db;
        this.json = json;
    }

    @FunctionalInterface
    private interface Tx<T> {
        T run(Connection c) throws SQLException, JsonProcessingException;
    }

    private <T> T tx(String action, Tx<T> work) {
        try (Connection c = db.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T out = work.run(c);
                c.commit();
                return out;
            } catch (SQLException | JsonProcessingException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState()) && action.startsWith("storing job")) {
                throw new DuplicateKeyException(e);
            }
            throw new StoreException(action, e);
        } catch (JsonProcessingException e) {
            throw new StoreException(action, e);
        }
    }

    @Override
    public void insert(Job job, String caller, String idempotencyKey, JobEvent first, String secrets,
                       java.util.Set<String> registries) {
        String hosts = registries.isEmpty() ? null : " " + String.join(" ", new java.util.TreeSet<>(registries)) + " ";
        tx("storing job " + job.id(), c -> {
            update(c, "INSERT INTO jobs (id, type, state, caller, idempotency_key, request, progress, created_at, secrets, registries) "
                            + "VALUES (?,?,?,?,?,?,?,?,?,?)",
                    job.id(), job.type(), job.state().wire(), caller, idempotencyKey, write(job.request()),
                    write(job.progress()), ts(job.createdAt()), secrets, hosts);
            insertEvents(c, List.of(first));
            return null;
        });
    }

    @Override
    public boolean insertLinked(Job job, String caller, JobEvent first, String secrets, java.util.Set<String> registries,
                                Link link, Admission admission) {
        String hosts = registries.isEmpty() ? null : " " + String.join(" ", new java.util.TreeSet<>(registries)) + " ";
        return tx("storing job " + job.id(), c -> {
            update(c, "INSERT INTO jobs (id, type, state, caller, request, progress, created_at, secrets, registries, policy, due_at, retry_of) "
                            + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    job.id(), job.type(), job.state().wire(), caller, write(job.request()), write(job.progress()),
                    ts(job.createdAt()), secrets, hosts, link.policy(), link.dueAt() == null ? NULL_TIMESTAMP : ts(link.dueAt()), link.retryOf());
            insertEvents(c, List.of(first));
            if (!admission.admit(c, job.id())) {
                c.rollback();
                return false;
            }
            return true;
        });
    }

    @Override
    public Optional<Link> link(String jobId) {
        return tx("reading job " + jobId, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT policy, due_at, retry_of FROM jobs WHERE id = ?")) {
                ps.setString(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Link>empty();
                    }
                    return Optional.of(new Link(rs.getString(1), instant(rs, "due_at"), rs.getString(3)));
                }
            }
        });
    }

    @Override
    public Page listByPolicy(String policy, int offset, int limit) {
        return tx("listing jobs of policy " + policy, c -> new Page(
                query(c, "SELECT * FROM jobs WHERE policy = ? ORDER BY created_at DESC, id DESC OFFSET ? ROWS FETCH NEXT ? ROWS ONLY",
                        policy, offset, limit),
                count(c, "SELECT COUNT(*) FROM jobs WHERE policy = ?", policy)));
    }

    @Override
    public Optional<Stored> find(String id) {
        return tx("reading job " + id, c -> query(c, "SELECT * FROM jobs WHERE id = ?", id).stream().findFirst());
    }

    @Override
    public Optional<Stored> findByIdempotencyKey(String caller, String key) {
        return tx("reading jobs", c -> query(c, "SELECT * FROM jobs WHERE caller = ? AND idempotency_key = ?", caller, key)
                .stream().findFirst());
    }

    @Override
    public Page list(Filter f, int offset, int limit) {
        StringBuilder where = new StringBuilder(" WHERE 1=1");
        List<Object> args = new ArrayList<>();
        if (f.state() != null) {
            where.append(" AND state = ?");
            args.add(f.state().wire());
        }
        if (f.type() != null) {
            where.append(" AND type = ?");
            args.add(f.type());
        }
        if (f.caller() != null) {
            where.append(" AND caller = ?");
            args.add(f.caller());
        }
        return tx("listing jobs", c -> {
            long total = count(c, "SELECT COUNT(*) FROM jobs" + where, args.toArray());
            List<Object> paged = new ArrayList<>(args);
            paged.add(offset);
            paged.add(limit);
            List<Stored> items = query(c, "SELECT * FROM jobs" + where + " ORDER BY created_at DESC, id DESC OFFSET ? ROWS FETCH NEXT ? ROWS ONLY",
                    paged.toArray());
            return new Page(items, total);
        });
    }

    @Override
    public int countActive(String caller) {
        return (int) (long) tx("counting jobs", c -> count(c, "SELECT COUNT(*) FROM jobs WHERE caller = ? AND state IN " + ACTIVE, caller));
    }

    @Override
    public List<Claimed> claim(String owner, Instant now, Instant leaseUntil, int max, int maxAttempts) {
        return claim(owner, now, leaseUntil, max, maxAttempts, java.util.Map.of());
    }

    @Override
    public List<Claimed> claim(String owner, Instant now, Instant leaseUntil, int max, int maxAttempts,
                               java.util.Map<String, Integer> caps) {
        if (max <= 0) {
            return List.of();
        }
        return tx("claiming jobs", c -> {
            // capped registries: lock their rows (created once), then count what runs on them now
            java.util.Map<String, Integer> running = new java.util.HashMap<>();
            for (String host : new java.util.TreeSet<>(caps.keySet())) {
                if (count(c, "SELECT COUNT(*) FROM registry_slots WHERE host = ?", host) == 0) {
                    try {
                        update(c, "INSERT INTO registry_slots (host) VALUES (?)", host);
                    } catch (SQLException raced) {
                        throw new StoreException("claiming jobs (a registry slot was created meanwhile; retried at the next claim)", raced);
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT host FROM registry_slots WHERE host = ? FOR UPDATE")) {
                    ps.setString(1, host);
                    ps.executeQuery().close();
                }
                running.put(host, (int) count(c, "SELECT COUNT(*) FROM jobs WHERE state = 'running' AND lease_until >= ? AND registries LIKE ?",
                        ts(now), "% " + host + " %"));
            }
            List<String[]> candidates = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, state, runs, registries FROM jobs WHERE state = 'queued' "
                    + "OR (state = 'running' AND (lease_until IS NULL OR lease_until < ?)) ORDER BY created_at, id "
                    + "FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED")) {
                ps.setTimestamp(1, ts(now));
                ps.setInt(2, caps.isEmpty() ? max : max * 8);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        candidates.add(new String[] {rs.getString(1), rs.getString(2), Integer.toString(rs.getInt(3)), rs.getString(4)});
                    }
                }
            }
            List<Claimed> out = new ArrayList<>();
            for (String[] cand : candidates) {
                if (out.size() >= max) {
                    break;
                }
                String id = cand[0];
                List<String> capped = new ArrayList<>();
                boolean full = false;
                for (java.util.Map.Entry<String, Integer> cap : caps.entrySet()) {
                    if (cand[3] != null && cand[3].contains(" " + cap.getKey() + " ")) {
                        capped.add(cap.getKey());
                        full |= running.get(cap.getKey()) >= cap.getValue();
                    }
                }
                if (full) {
                    continue;
                }
                boolean takeover = "running".equals(cand[1]);
                if (takeover) {
                    update(c, "UPDATE job_attempts SET ended_at = ?, outcome = 'lease-expired' WHERE job_id = ? AND ended_at IS NULL",
                            ts(now), id);
                }
                if (takeover && Integer.parseInt(cand[2]) >= maxAttempts) {
                    giveUp(c, id, now, Integer.parseInt(cand[2]));
                    continue;
                }
                capped.forEach(h -> running.merge(h, 1, Integer::sum));
                update(c, "UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, version = version + 1, runs = runs + 1, "
                        + "started_at = COALESCE(started_at, ?) WHERE id = ?", owner, ts(leaseUntil), ts(now), id);
                long attempt = count(c, "SELECT COALESCE(MAX(attempt), 0) + 1 FROM job_attempts WHERE job_id = ?", id);
                update(c, "INSERT INTO job_attempts (job_id, attempt, owner, claimed_at) VALUES (?,?,?,?)", id, attempt, owner, ts(now));
                Stored s = query(c, "SELECT * FROM jobs WHERE id = ?", id).get(0);
                out.add(new Claimed(s, new Lease(id, owner, s.version()), lastSeq(c, id)));
            }
            return out;
        });
    }

    private void giveUp(Connection c, String id, Instant now, int runs) throws SQLException, JsonProcessingException {
        ProblemType t = ProblemType.JOB_ABANDONED;
        JobError error = new JobError(t.uri(), t.title(), t.status(), "the job was started " + runs + " times and each time its "
                + "replica stopped before it ended (killed, out of memory, or lost its store); it is not tried again");
        update(c, "UPDATE jobs SET state = 'failed', error = ?, finished_at = ?, lease_until = NULL, version = version + 1 WHERE id = ?",
                write(error), ts(now), id);
        Stored s = query(c, "SELECT * FROM jobs WHERE id = ?", id).get(0);
        insertEvents(c, List.of(new JobEvent(id, lastSeq(c, id) + 1, "job", json.valueToTree(s.job()))));
    }

    @Override
    public Renewal renew(Lease lease, Instant leaseUntil) {
        return tx("renewing a lease", c -> {
            int n = update(c, "UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND version = ? AND state = 'running'",
                    ts(leaseUntil), lease.jobId(), lease.owner(), lease.version());
            if (n == 0) {
                return Renewal.LOST;
            }
            return count(c, "SELECT COUNT(*) FROM jobs WHERE id = ? AND cancel_requested = TRUE", lease.jobId()) > 0
                    ? Renewal.CANCEL_REQUESTED : Renewal.HELD;
        });
    }

    @Override
    public List<String> cancelRequested(String owner) {
        return tx("reading cancel requests", c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM jobs WHERE owner = ? AND state = 'running' AND cancel_requested = TRUE")) {
                ps.setString(1, owner);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            return ids;
        });
    }

    /**
     * Whether the lease still holds, locking the job row until commit (a claim, which locks it too, waits or skips
     * it). A locking read, not a no-op update: an update would write a new version of the whole row (request
     * included) for every batch of events.
     */
    private static boolean fence(Connection c, Lease lease) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id FROM jobs WHERE id = ? AND owner = ? AND version = ? AND state = 'running' FOR UPDATE")) {
            bind(ps, lease.jobId(), lease.owner(), lease.version());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public boolean saveProgress(Lease lease, Progress progress) {
        return tx("saving progress", c -> update(c, "UPDATE jobs SET progress = ? WHERE id = ? AND owner = ? AND version = ? AND state = 'running'",
                write(progress), lease.jobId(), lease.owner(), lease.version()) == 1);
    }

    @Override
    public boolean appendEvents(Lease lease, List<JobEvent> events) {
        if (events.isEmpty()) {
            return true;
        }
        return tx("recording events of job " + lease.jobId(), c -> {
            if (!fence(c, lease)) {
                return false;
            }
            insertEvents(c, events);
            return true;
        });
    }

    @Override
    public boolean saveUpload(Lease lease, UploadSession u) {
        return tx("recording an upload session of job " + lease.jobId(), c -> {
            if (!fence(c, lease)) {
                return false;
            }
            int n = update(c, "UPDATE upload_sessions SET location = ?, upload_offset = ?, updated_at = ? "
                            + "WHERE job_id = ? AND destination = ? AND digest = ?",
                    u.location(), u.offset(), ts(u.updatedAt()), lease.jobId(), u.destination(), u.digest());
            if (n == 0) {
                update(c, "INSERT INTO upload_sessions (job_id, destination, digest, location, upload_offset, updated_at) "
                                + "VALUES (?, ?, ?, ?, ?, ?)",
                        lease.jobId(), u.destination(), u.digest(), u.location(), u.offset(), ts(u.updatedAt()));
            }
            return true;
        });
    }

    @Override
    public Optional<UploadSession> findUpload(String jobId, String destination, String digest) {
        return tx("reading an upload session of job " + jobId, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT location, upload_offset, updated_at FROM upload_sessions "
                    + "WHERE job_id = ? AND destination = ? AND digest = ?")) {
                bind(ps, jobId, destination, digest);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new UploadSession(jobId, destination, digest, rs.getString(1), rs.getLong(2),
                            instant(rs, "updated_at"))) : Optional.<UploadSession>empty();
                }
            }
        });
    }

    @Override
    public boolean dropUpload(Lease lease, String destination, String digest) {
        return tx("forgetting an upload session of job " + lease.jobId(), c -> {
            if (!fence(c, lease)) {
                return false;
            }
            update(c, "DELETE FROM upload_sessions WHERE job_id = ? AND destination = ? AND digest = ?",
                    lease.jobId(), destination, digest);
            return true;
        });
    }

    @Override
    public List<String> heartbeatReplica(String id, Instant now, Instant liveSince, Instant forgetBefore) {
        return tx("recording replica " + id + " as alive", c -> {
            if (update(c, "UPDATE replicas SET seen_at = ? WHERE id = ?", ts(now), id) == 0) {
                update(c, "INSERT INTO replicas (id, seen_at) VALUES (?, ?)", id, ts(now));
            }
            update(c, "DELETE FROM replicas WHERE seen_at < ?", ts(forgetBefore));
            List<String> live = new java.util.ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM replicas WHERE seen_at >= ? ORDER BY id")) {
                bind(ps, ts(liveSince));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        live.add(rs.getString(1));
                    }
                }
            }
            return live;
        });
    }

    @Override
    public void leaveReplicas(String id) {
        tx("removing replica " + id, c -> update(c, "DELETE FROM replicas WHERE id = ?", id));
    }

    @Override
    public boolean finish(Lease lease, JobState state, Progress progress, JsonNode result, JobError error, Instant at,
                          List<JobEvent> last) {
        return tx("ending job " + lease.jobId(), c -> {
            if (!fence(c, lease)) {
                return false;
            }
            update(c, "UPDATE jobs SET state = ?, progress = ?, result = ?, error = ?, finished_at = ?, lease_until = NULL, "
                            + "version = version + 1, secrets = NULL WHERE id = ?",
                    state.wire(), write(progress), result == null ? null : write(result), error == null ? null : write(error),
                    ts(at), lease.jobId());
            update(c, "UPDATE job_attempts SET ended_at = ?, outcome = ? WHERE job_id = ? AND owner = ? AND ended_at IS NULL",
                    ts(at), state.wire(), lease.jobId(), lease.owner());
            update(c, "DELETE FROM upload_sessions WHERE job_id = ?", lease.jobId());
            insertEvents(c, last);
            return true;
        });
    }

    @Override
    public boolean release(Lease lease, JobEvent event) {
        return tx("handing back job " + lease.jobId(), c -> {
            if (!fence(c, lease)) {
                return false;
            }
            update(c, "UPDATE jobs SET state = 'queued', owner = NULL, lease_until = NULL, version = version + 1, "
                    + "runs = CASE WHEN runs > 0 THEN runs - 1 ELSE 0 END WHERE id = ?", lease.jobId());
            update(c, "UPDATE job_attempts SET ended_at = ?, outcome = 'handed-back' WHERE job_id = ? AND owner = ? AND ended_at IS NULL",
                    ts(Instant.now()), lease.jobId(), lease.owner());
            if (event != null) {
                insertEvents(c, List.of(event));
            }
            return true;
        });
    }

    @Override
    public Optional<Stored> cancelQueued(String id, Instant at) {
        return tx("cancelling job " + id, c -> {
            List<Stored> queued = query(c, "SELECT * FROM jobs WHERE id = ? AND state = 'queued' FOR UPDATE", id);
            if (!queued.isEmpty()) {
                update(c, "UPDATE jobs SET state = 'cancelled', finished_at = ?, version = version + 1, secrets = NULL WHERE id = ?",
                        ts(at), id);
                Stored s = query(c, "SELECT * FROM jobs WHERE id = ?", id).get(0);
                insertEvents(c, List.of(new JobEvent(id, lastSeq(c, id) + 1, "job", json.valueToTree(s.job()))));
            }
            return query(c, "SELECT * FROM jobs WHERE id = ?", id).stream().findFirst();
        });
    }

    @Override
    public boolean requestCancel(String id) {
        return tx("cancelling job " + id, c -> update(c, "UPDATE jobs SET cancel_requested = TRUE WHERE id = ? AND state = 'running'", id) == 1);
    }

    @Override
    public int expireLeases(Instant now) {
        return tx("expiring leases", c -> update(c, "UPDATE jobs SET lease_until = ? WHERE state = 'running'", ts(now.minusSeconds(1))));
    }

    @Override
    public List<JobEvent> events(String jobId, long afterSeq) {
        return tx("reading events of job " + jobId, c -> {
            List<JobEvent> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT seq, kind, data FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq")) {
                ps.setString(1, jobId);
                ps.setLong(2, afterSeq);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new JobEvent(jobId, rs.getLong(1), rs.getString(2), json.readTree(rs.getString(3))));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public long lastEventSeq(String jobId) {
        return tx("reading events of job " + jobId, c -> lastSeq(c, jobId));
    }

    @Override
    public int purgeEndedBefore(Instant cutoff) {
        return tx("purging old jobs", c -> {
            String ended = "SELECT id FROM jobs WHERE state IN ('succeeded','failed','cancelled') AND finished_at < ?";
            update(c, "DELETE FROM job_events WHERE job_id IN (" + ended + ")", ts(cutoff));
            update(c, "DELETE FROM job_attempts WHERE job_id IN (" + ended + ")", ts(cutoff));
            update(c, "DELETE FROM upload_sessions WHERE job_id IN (" + ended + ")", ts(cutoff));
            update(c, "DELETE FROM webhook_deliveries WHERE job_id IN (" + ended + ")", ts(cutoff));
            return update(c, "DELETE FROM jobs WHERE state IN ('succeeded','failed','cancelled') AND finished_at < ?", ts(cutoff));
        });
    }

    @Override
    public List<Attempt> attempts(String jobId) {
        return tx("reading attempts of job " + jobId, c -> {
            List<Attempt> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT attempt, owner, claimed_at, ended_at, outcome FROM job_attempts WHERE job_id = ? ORDER BY attempt")) {
                ps.setString(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Attempt(rs.getInt(1), rs.getString(2), instant(rs, "claimed_at"), instant(rs, "ended_at"), rs.getString(5)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public boolean reachable() {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1")) {
            ps.setQueryTimeout(2);
            ps.executeQuery().close();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private void insertEvents(Connection c, List<JobEvent> events) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO job_events (job_id, seq, kind, data) VALUES (?,?,?,?)")) {
            for (JobEvent e : events) {
                ps.setString(1, e.jobId());
                ps.setLong(2, e.seq());
                ps.setString(3, e.kind());
                ps.setString(4, write(e.data()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static long lastSeq(Connection c, String id) throws SQLException {
        return count(c, "SELECT COALESCE(MAX(seq), 0) FROM job_events WHERE job_id = ?", id);
    }

    private static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    private static long count(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private List<Stored> query(Connection c, String sql, Object... args) throws SQLException, JsonProcessingException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            List<Stored> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(read(rs));
                }
            }
            return out;
        }
    }

    /** A null bound as a timestamp (PostgreSQL refuses a VARCHAR null for a timestamp column). */
    private static final Object NULL_TIMESTAMP = new Object();

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == NULL_TIMESTAMP) {
                ps.setNull(i + 1, java.sql.Types.TIMESTAMP);
            } else if (a == null) {
                ps.setNull(i + 1, java.sql.Types.VARCHAR);
            } else if (a instanceof Timestamp t) {
                ps.setTimestamp(i + 1, t);
            } else {
                ps.setObject(i + 1, a);
            }
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
                error == null ? null : json.readValue(error, JobError.class))
                .withLease(rs.getString("owner"), instant(rs, "lease_until"), rs.getBoolean("cancel_requested"));
        return new Stored(job, rs.getString("caller"), rs.getString("idempotency_key"), rs.getInt("runs"),
                rs.getString("owner"), instant(rs, "lease_until"), rs.getLong("version"), rs.getBoolean("cancel_requested"),
                rs.getString("secrets"));
    }

    private static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
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
}
