package dev.ferry.testing;

import java.util.Map;

/**
 * JVM-wide, lazily started set of registries shared by all tests: one anonymous (delete enabled), one htpasswd, one
 * token-auth (with its {@link TokenServer}). Stopped by a shutdown hook. Tests sharing them should use unique
 * repository names (e.g. per test class/method) since the storage is shared.
 */
public final class SharedRegistries {

    public static final String USER = "ferry";
    public static final String PASSWORD = "ferry-secret-pw";

    private static volatile SharedRegistries instance;

    private final Object lock = new Object();
    private volatile RegistryProcess anonymous;
    private volatile RegistryProcess htpasswd;
    private volatile RegistryProcess token;
    private volatile TokenServer tokenServer;

    private SharedRegistries() {
    }

    public static SharedRegistries get() {
        SharedRegistries s = instance;
        if (s == null) {
            synchronized (SharedRegistries.class) {
                s = instance;
                if (s == null) {
                    s = new SharedRegistries();
                    Runtime.getRuntime().addShutdownHook(new Thread(s::stopAll, "ferry-shared-registries-stop"));
                    instance = s;
                }
            }
        }
        return s;
    }

    /** Anonymous registry with {@code storage.delete.enabled: true} (started on first use). */
    public RegistryProcess anonymous() {
        synchronized (lock) {
            if (anonymous == null || !anonymous.isRunning()) {
                anonymous = RegistryProcess.anonymous(true);
            }
            return anonymous;
        }
    }

    /** htpasswd registry, user {@link #USER} / {@link #PASSWORD} (started on first use). */
    public RegistryProcess htpasswd() {
        synchronized (lock) {
            if (htpasswd == null || !htpasswd.isRunning()) {
                htpasswd = RegistryProcess.htpasswd(USER, PASSWORD);
            }
            return htpasswd;
        }
    }

    /** Token-auth registry backed by {@link #tokenServer()} (both started on first use). */
    public RegistryProcess token() {
        synchronized (lock) {
            TokenServer ts = tokenServer();
            if (token == null || !token.isRunning()) {
                token = RegistryProcess.tokenAuth(ts);
            }
            return token;
        }
    }

    /** The token server of {@link #token()}; user {@link #USER} / {@link #PASSWORD}, anonymous pull off by default. */
    public TokenServer tokenServer() {
        synchronized (lock) {
            if (tokenServer == null) {
                tokenServer = TokenServer.start(Map.of(USER, PASSWORD));
            }
            return tokenServer;
        }
    }

    public String user() {
        return USER;
    }

    public String password() {
        return PASSWORD;
    }

    /** "user:password", handy for {@code skopeo --creds}. */
    public String creds() {
        return USER + ":" + PASSWORD;
    }

    private void stopAll() {
        synchronized (lock) {
            for (RegistryProcess r : new RegistryProcess[] {anonymous, htpasswd, token}) {
                if (r != null) {
                    try {
                        r.stop();
                    } catch (RuntimeException ignored) {
                        // shutting down
                    }
                }
            }
            if (tokenServer != null) {
                tokenServer.close();
            }
        }
    }
}
