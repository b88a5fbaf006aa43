package dev.ferry.policy;

import dev.ferry.job.StoreException;
import dev.ferry.job.Stores;
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

/**
 * Where policies, their schedules and their skipped due times live: the job store's database (H2 or PostgreSQL),
 * shared by every replica. Each method is one transaction, except the two statements meant to run inside the
 * transaction that records a run job ({@link #fire}, {@link #lockAndCountActive}), which take its connection.
 *
 * <p>The once-per-due-time guarantee rests on {@link #fire}: {@code UPDATE policies SET next_due = NEXT WHERE name = ?
 * AND next_due = DUE}. Of several replicas firing the same due time, the first to update holds the row lock until its
 * run job is committed with it; the others' updates then find {@code next_due} moved on and change nothing (0 rows),
 * and their transactions, run job included, roll back. A unique index on {@code jobs (policy, due_at)} backs it up.
 */
@ApplicationScoped
public class PolicyStore {
    private final Stores stores;

    public PolicyStore(Stores stores) {
        this.stores = stores;
    }

    /** A stored policy: its spec as shown (JSON, no secrets), its sealed secrets, and its schedule's next due time. */
    public record Row(String name, String caller, String spec, String secrets, Instant nextDue, Instant createdAt,
                      Instant updatedAt, long revision) {
    }

    /** A due time that was not run, and why. */
    public record Skip(String policy, Instant dueAt, String reason, String runningJob, Instant recordedAt) {
    }

    /** The policy's name is taken. */
    public static final class NameTakenException extends StoreException {
        NameTakenException(Throwable cause) {
            super("storing a policy whose name is taken", cause);
        }
    }

    @FunctionalInterface
    private interface Tx<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T tx(String action, Tx<T> work) {
        try (Connection c = stores.dataSource().getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T out = work.run(c);
                c.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState()) && action.startsWith("creating policy")) {
                throw new NameTakenException(e);
            }
            throw new StoreException(action, e);
        }
    }

    public void create(Row r) {
        tx("creating policy " + r.name(), c -> update(c, "INSERT INTO policies (name, caller, spec, secrets, next_due, created_at, "
                + "updated_at, revision) VALUES (?,?,?,?,?,?,?,1)", r.name(), r.caller(), r.spec(), r.secrets(), ts(r.nextDue()),
                ts(r.createdAt()), ts(r.updatedAt())));
    }

    /** Replaces a policy's spec, secrets and schedule; false when there is no such policy. */
    public boolean replace(String name, String spec, String secrets, Instant nextDue, Instant at) {
        return tx("updating policy " + name, c -> update(c, "UPDATE policies SET spec = ?, secrets = ?, next_due = ?, updated_at = ?, "
                + "revision = revision + 1 WHERE name = ?", spec, secrets, ts(nextDue), ts(at), name) == 1);
    }

    /** Deletes a policy and its skipped due times; its runs stay (as jobs) until the job retention purges them. */
    public boolean delete(String name) {
        return tx("deleting policy " + name, c -> {
            update(c, "DELETE FROM policy_skips WHERE policy = ?", name);
            return update(c, "DELETE FROM policies WHERE name = ?", name) == 1;
        });
    }

    public Optional<Row> find(String name) {
        return tx("reading policy " + name, c -> query(c, "SELECT * FROM policies WHERE name = ?", name).stream().findFirst());
    }

    public List<Row> list() {
        return tx("listing policies", c -> query(c, "SELECT * FROM policies ORDER BY name"));
    }

    /** Policies whose schedule is due at {@code now}, earliest first. */
    public List<Row> due(Instant now, int max) {
        return tx("reading due policies", c -> query(c, "SELECT * FROM policies WHERE next_due IS NOT NULL AND next_due <= ? "
                + "ORDER BY next_due, name FETCH FIRST " + max + " ROWS ONLY", ts(now)));
    }

    /**
     * Fences a due time, inside the transaction that records its run: moves {@code next_due} from {@code due} to
     * {@code next}. False (nothing changed) when another replica fired {@code due} already, or the policy was
     * changed or deleted meanwhile; the caller must then roll back.
     */
    public static boolean fire(Connection c, String name, Instant due, Instant next) throws SQLException {
        return update(c, "UPDATE policies SET next_due = ? WHERE name = ? AND next_due = ?", ts(next), name, ts(due)) == 1;
    }

    /**
     * Locks the policy's row (serialising every run start of this policy across replicas) and returns an active
     * (queued or running) run other than {@code exceptJob}, if any. Empty Optional also when the row is gone: check
     * with {@code exists}.
     */
    public static Optional<String> lockAndFindActive(Connection c, String name, String exceptJob) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT name FROM policies WHERE name = ? FOR UPDATE")) {
            ps.setString(1, name);
            ps.executeQuery().close();
        }
        return activeRun(c, name, exceptJob);
    }

    static Optional<String> activeRun(Connection c, String name, String exceptJob) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM jobs WHERE policy = ? AND id <> ? AND state IN ('queued','running') "
                + "ORDER BY created_at FETCH FIRST 1 ROWS ONLY")) {
            ps.setString(1, name);
            ps.setString(2, exceptJob == null ? "" : exceptJob);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** Outcome of {@link #skipIfBusy}. */
    public enum Busy {
        /** No run is active: go ahead and fire. */
        FREE,
        /** A run is active: the due time was recorded as skipped and next_due moved on. */
        SKIPPED,
        /** Another replica fired or skipped this due time already (or the policy changed). */
        GONE
    }

    /**
     * When a run of the policy is still active, records {@code due} as skipped and moves {@code next_due} on to
     * {@code next} (fenced like {@link #fire}), in one transaction.
     */
    public Busy skipIfBusy(String name, Instant due, Instant next, Instant now) {
        return tx("checking policy " + name, c -> {
            List<Row> locked = query(c, "SELECT * FROM policies WHERE name = ? AND next_due = ? FOR UPDATE", name, ts(due));
            if (locked.isEmpty()) {
                return Busy.GONE;
            }
            Optional<String> running = activeRun(c, name, null);
            if (running.isEmpty()) {
                return Busy.FREE;
            }
            fire(c, name, due, next);
            update(c, "INSERT INTO policy_skips (policy, due_at, reason, running_job, recorded_at) VALUES (?,?,?,?,?)", name, ts(due),
                    "run " + running.get() + " was still active", running.get(), ts(now));
            return Busy.SKIPPED;
        });
    }

    /**
     * Moves {@code next_due} from {@code due} to {@code next} (null: no schedule) without a run, recording {@code reason}
     * as a skipped due time when given; fenced like {@link #fire}.
     */
    public boolean advance(String name, Instant due, Instant next, Instant now, String reason) {
        return tx("advancing the schedule of " + name, c -> {
            if (!fire(c, name, due, next)) {
                return false;
            }
            if (reason != null) {
                update(c, "INSERT INTO policy_skips (policy, due_at, reason, running_job, recorded_at) VALUES (?,?,?,?,?)", name, ts(due),
                        reason.length() > 500 ? reason.substring(0, 500) : reason, null, ts(now));
            }
            return true;
        });
    }

    /** Whether the policy still exists (inside a run's transaction). */
    public static boolean exists(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM policies WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Records a run that was not started (a webhook trigger while a run was active), outside any schedule. */
    public void recordSkip(String name, Instant at, String reason, String runningJob) {
        tx("recording a skipped run of " + name, c -> {
            try {
                return update(c, "INSERT INTO policy_skips (policy, due_at, reason, running_job, recorded_at) VALUES (?,?,?,?,?)",
                        name, ts(at), reason, runningJob, ts(at));
            } catch (SQLException sameInstant) {
                return 0;
            }
        });
    }

    /** The skipped due times of a policy, newest first. */
    public List<Skip> skips(String name, int limit) {
        return tx("reading skipped runs of " + name, c -> {
            List<Skip> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT policy, due_at, reason, running_job, recorded_at FROM policy_skips "
                    + "WHERE policy = ? ORDER BY due_at DESC FETCH FIRST " + limit + " ROWS ONLY")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Skip(rs.getString(1), instant(rs, "due_at"), rs.getString(3), rs.getString(4), instant(rs, "recorded_at")));
                    }
                }
            }
            return out;
        });
    }

    /** Forgets skipped due times recorded before {@code cutoff} (the job retention). */
    public int purgeSkipsBefore(Instant cutoff) {
        return tx("purging skipped runs", c -> update(c, "DELETE FROM policy_skips WHERE recorded_at < ?", ts(cutoff)));
    }

    // ---- helpers ----

    private static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    private static List<Row> query(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            List<Row> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(rs.getString("name"), rs.getString("caller"), rs.getString("spec"), rs.getString("secrets"),
                            instant(rs, "next_due"), instant(rs, "created_at"), instant(rs, "updated_at"), rs.getLong("revision")));
                }
            }
            return out;
        }
    }

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

    /** A null bound as a timestamp (PostgreSQL refuses a VARCHAR null for a timestamp column). */
    private static final Object NULL_TIMESTAMP = new Object();

    private static Object ts(Instant i) {
        return i == null ? NULL_TIMESTAMP : Timestamp.from(i);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
