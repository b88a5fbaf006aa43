package dev.ferry.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.job.SecretBox;
import dev.ferry.job.Stores;
import dev.ferry.registry.Credentials;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Registry credentials stored by admins (skopeo's {@code login}/{@code logout} as a resource), in the store's
 * {@code registry_credentials} table, shared by replicas. The secret is sealed with the store's key
 * ({@link SecretBox}, {@code ferry.store.secret-key}; associated data: the host, so a row cannot be moved to another
 * host); without a key nothing can be stored ({@code credentials-need-secret-key}). Lookups ({@link #forHost}) never
 * touch the database: they read a snapshot, replaced when this replica writes and re-read every
 * {@code ferry.credentials.refresh-interval} on a thread of its own (other replicas' writes). A row no configured key
 * opens (rotated away) is skipped with a warning naming the host, never the secret.
 */
@ApplicationScoped
public class CredentialStore {
    private static final String AAD = "registry-credentials:";
    private final Stores stores;
    private final SecretBox box;
    private final Clock clock;
    private final ObjectMapper json;
    private final CredentialsConfig config;
    private volatile Map<String, Credentials> snapshot = Map.of();
    private ScheduledExecutorService refresher;

    public CredentialStore(Stores stores, SecretBox box, Clock clock, ObjectMapper json, CredentialsConfig config) {
        this.stores = stores;
        this.box = box;
        this.clock = clock;
        this.json = json;
        this.config = config;
    }

    void start(@Observes StartupEvent start) {
        refreshQuietly();
        long every = Math.max(100, config.refreshInterval().toMillis());
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ferry-credentials-refresh");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refreshQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent stop) {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }

    /** The stored credentials of exactly {@code host}, if any. Never blocks. */
    public Optional<Credentials> forHost(String host) {
        return Optional.ofNullable(snapshot.get(host));
    }

    /** Stores (or replaces) the credentials of {@code host}; true when there were none before. Blocking (JDBC). */
    public boolean put(String host, Credentials credentials, String setBy) {
        if (!box.enabled()) {
            throw new FerryException(ProblemType.CREDENTIALS_NEED_SECRET_KEY, "credentials are stored only encrypted, with "
                    + "the store's key: set ferry.store.secret-key (FERRY_STORE_SECRET_KEY, e.g. openssl rand -base64 32) "
                    + "on every replica");
        }
        ObjectNode secret = json.createObjectNode();
        String kind;
        if (credentials instanceof Credentials.Basic b) {
            kind = "basic";
            secret.put("username", b.username()).put("password", b.password());
        } else if (credentials instanceof Credentials.RegistryToken t) {
            kind = "token";
            secret.put("token", t.token());
        } else {
            throw new IllegalArgumentException("nothing to store for anonymous access");
        }
        String sealed = box.seal(AAD + host, secret.toString());
        Timestamp now = Timestamp.from(clock.instant());
        boolean created;
        try (Connection c = stores.dataSource().getConnection()) {
            created = update(c, host, kind, sealed, setBy, now) == 0;
            if (created) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO registry_credentials (host, kind, sealed, set_by, set_at) VALUES (?, ?, ?, ?, ?)")) {
                    ps.setString(1, host);
                    ps.setString(2, kind);
                    ps.setString(3, sealed);
                    ps.setString(4, setBy);
                    ps.setTimestamp(5, now);
                    ps.executeUpdate();
                } catch (SQLException raced) {
                    // another replica inserted the same host meanwhile: the last write wins
                    if (update(c, host, kind, sealed, setBy, now) == 0) {
                        throw raced;
                    }
                    created = false;
                }
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
        Map<String, Credentials> next = new HashMap<>(snapshot);
        next.put(host, credentials);
        snapshot = Map.copyOf(next);
        return created;
    }

    private static int update(Connection c, String host, String kind, String sealed, String setBy, Timestamp now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE registry_credentials SET kind = ?, sealed = ?, set_by = ?, set_at = ? WHERE host = ?")) {
            ps.setString(1, kind);
            ps.setString(2, sealed);
            ps.setString(3, setBy);
            ps.setTimestamp(4, now);
            ps.setString(5, host);
            return ps.executeUpdate();
        }
    }

    /** Removes the credentials of {@code host} (logout); false when there were none. Blocking (JDBC). */
    public boolean delete(String host) {
        int n;
        try (Connection c = stores.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM registry_credentials WHERE host = ?")) {
            ps.setString(1, host);
            n = ps.executeUpdate();
        } catch (SQLException e) {
            throw unavailable(e);
        }
        Map<String, Credentials> next = new HashMap<>(snapshot);
        next.remove(host);
        snapshot = Map.copyOf(next);
        return n > 0;
    }

    /** Every host with stored credentials, by host; no secret. Blocking (JDBC). */
    public List<StoredCredential> list() {
        List<StoredCredential> out = new ArrayList<>();
        try (Connection c = stores.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT host, kind, set_by, set_at FROM registry_credentials ORDER BY host");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new StoredCredential(rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant()));
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
        return out;
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            Log.warnf("stored registry credentials could not be re-read (%s); the last ones read stay in use",
                    e.getClass().getSimpleName());
        }
    }

    private synchronized void refresh() {
        Map<String, Credentials> next = new HashMap<>();
        try (Connection c = stores.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT host, kind, sealed FROM registry_credentials");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String host = rs.getString(1);
                Optional<Credentials> opened = open(host, rs.getString(2), rs.getString(3));
                if (opened.isPresent()) {
                    next.put(host, opened.get());
                } else {
                    Log.warnf("stored credentials for %s cannot be opened with the configured ferry.store.secret-key "
                            + "(another or a rotated-away key): not used; store them again", host);
                }
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
        snapshot = Map.copyOf(next);
    }

    private Optional<Credentials> open(String host, String kind, String sealed) {
        if (!box.enabled()) {
            return Optional.empty();
        }
        return box.open(AAD + host, sealed).flatMap(plain -> {
            try {
                JsonNode n = json.readTree(plain);
                if ("basic".equals(kind)) {
                    return Optional.of(new Credentials.Basic(n.path("username").asText(), n.path("password").asText()));
                }
                if ("token".equals(kind)) {
                    return Optional.of(new Credentials.RegistryToken(n.path("token").asText()));
                }
                return Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        });
    }

    private static FerryException unavailable(SQLException e) {
        return new FerryException(ProblemType.STORE_UNAVAILABLE, "the store is unavailable (" + e.getClass().getSimpleName() + ")");
    }
}
