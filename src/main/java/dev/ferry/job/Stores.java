package dev.ferry.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.FerryConfig;
import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.credentials.CredentialsProvider;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * Picks the store at run time ({@code ferry.store.kind}, environment {@code FERRY_STORE}): the embedded H2 default
 * datasource or the PostgreSQL one. Both are built in; only the chosen one is active (pool, migrations, health).
 */
@Singleton
public class Stores {
    private final FerryConfig config;
    private final InjectableInstance<AgroalDataSource> h2;
    private final InjectableInstance<AgroalDataSource> postgresql;

    public Stores(FerryConfig config, @Default InjectableInstance<AgroalDataSource> h2,
                  @DataSource("postgresql") InjectableInstance<AgroalDataSource> postgresql) {
        this.config = config;
        this.h2 = h2;
        this.postgresql = postgresql;
    }

    /** Whether the store is the embedded file, which one process holds (no other replica can share it). */
    public boolean embedded() {
        return !"postgresql".equals(kind());
    }

    private String kind() {
        String k = config.store().kind().trim().toLowerCase(java.util.Locale.ROOT);
        if (!k.equals("h2") && !k.equals("postgresql")) {
            throw new IllegalStateException("ferry.store.kind (FERRY_STORE) must be h2 or postgresql, not " + k);
        }
        return k;
    }

    /** The active datasource: every table of Ferry's lives there. */
    public javax.sql.DataSource dataSource() {
        if (embedded()) {
            return h2.get();
        }
        if (config.store().jdbcUrl().isEmpty()) {
            throw new IllegalStateException("FERRY_STORE=postgresql needs FERRY_STORE_JDBC_URL (ferry.store.jdbc-url)");
        }
        return postgresql.get();
    }

    @Produces
    @Singleton
    public JobRepository repository(ObjectMapper json) {
        return new JdbcJobRepository(dataSource(), json);
    }

    /** The clock of leases, retention and timestamps; tests replace it. */
    @Produces
    @Singleton
    @io.quarkus.arc.DefaultBean
    public Clock clock() {
        return Clock.systemUTC();
    }

    /** PostgreSQL user and password from ferry.store.username / password / password-file. */
    @ApplicationScoped
    @Named("ferry-store")
    public static class Credentials implements CredentialsProvider {
        private final FerryConfig config;

        public Credentials(FerryConfig config) {
            this.config = config;
        }

        @Override
        public Map<String, String> getCredentials(String name) {
            FerryConfig.Store s = config.store();
            java.util.HashMap<String, String> out = new java.util.HashMap<>();
            s.username().ifPresent(u -> out.put(USER_PROPERTY_NAME, u));
            String password = s.password().orElse(null);
            if (s.passwordFile().isPresent()) {
                try {
                    password = Files.readAllLines(Path.of(s.passwordFile().get())).stream().findFirst().orElse("").strip();
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read ferry.store.password-file " + s.passwordFile().get()
                            + ": " + e.getClass().getSimpleName());
                }
            }
            if (password != null) {
                out.put(PASSWORD_PROPERTY_NAME, password);
            }
            return out;
        }
    }
}
