package dev.ferry.webhook;

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
import javax.sql.DataSource;

/**
 * Hooks created through the API (table {@code hooks}), read by every replica at each delivery, so a change made on
 * one replica holds on all at once. Rows carry the secret sealed, never in the clear. Blocking JDBC.
 */
@ApplicationScoped
public class StoredHooks {
    private final DataSource db;

    /** One stored hook: its definition (JSON, no secret) and its sealed secret. */
    public record Row(String name, String verification, String secretSealed, String definition, long version,
                      Instant createdAt, Instant updatedAt) {
    }

    public StoredHooks(Stores stores) {
        this.db = stores.dataSource();
    }

    public Optional<Row> find(String name) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT * FROM hooks WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading a hook", e);
        }
    }

    public List<Row> all() {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT * FROM hooks ORDER BY name")) {
            List<Row> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading hooks", e);
        }
    }

    /** Inserts a new hook; false when one of that name exists already. */
    public boolean insert(Row r) {
        String sql = "INSERT INTO hooks (name, verification, secret_sealed, definition, version, created_at, updated_at) "
                + "VALUES (?,?,?,?,?,?,?)";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, r.name());
            ps.setString(2, r.verification());
            ps.setString(3, r.secretSealed());
            ps.setString(4, r.definition());
            ps.setLong(5, r.version());
            ps.setTimestamp(6, Timestamp.from(r.createdAt()));
            ps.setTimestamp(7, Timestamp.from(r.updatedAt()));
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                return false;
            }
            throw new StoreException("storing a hook", e);
        }
    }

    /** Replaces a hook if it is still at {@code expectedVersion}; false when it changed or went meanwhile. */
    public boolean update(Row r, long expectedVersion) {
        String sql = "UPDATE hooks SET verification = ?, secret_sealed = ?, definition = ?, version = ?, updated_at = ? "
                + "WHERE name = ? AND version = ?";
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, r.verification());
            ps.setString(2, r.secretSealed());
            ps.setString(3, r.definition());
            ps.setLong(4, r.version());
            ps.setTimestamp(5, Timestamp.from(r.updatedAt()));
            ps.setString(6, r.name());
            ps.setLong(7, expectedVersion);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("updating a hook", e);
        }
    }

    public boolean delete(String name) {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM hooks WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("deleting a hook", e);
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(rs.getString("name"), rs.getString("verification"), rs.getString("secret_sealed"),
                rs.getString("definition"), rs.getLong("version"), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }
}
