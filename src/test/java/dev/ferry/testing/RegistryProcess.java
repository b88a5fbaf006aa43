package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real CNCF distribution 2.8 registry ({@code /usr/bin/docker-registry}) on a free 127.0.0.1 port,
 * plain http, filesystem storage in a temp dir. Close (or {@link #stop()}) kills it and deletes the dir.
 */
public final class RegistryProcess implements AutoCloseable {

    public static final String REGISTRY_BINARY =
            System.getProperty("ferry.registry.binary", "/usr/bin/docker-registry");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path tempDir;
    private final Path logFile;
    private final int port;
    private final Process process;
    private final boolean tls;
    private volatile boolean stopped;

    /** Every registry this class loader started and nobody stopped yet: the JVM's exit stops them. */
    private static final java.util.Set<RegistryProcess> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        // A test class may keep its registries in static fields and never stop them (Quarkus even loads such a class
        // in two class loaders, so each starts its own pair): whatever is left when the JVM exits is stopped here.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(RUNNING).forEach(RegistryProcess::stop),
                "ferry-test-registries-stop"));
    }

    private RegistryProcess(Path tempDir, Path logFile, int port, Process process, boolean tls) {
        this.tls = tls;
        this.tempDir = tempDir;
        this.logFile = logFile;
        this.port = port;
        this.process = process;
        RUNNING.add(this);
    }

    // ------------------------------------------------------------------ factories

    public static RegistryProcess anonymous() {
        return anonymous(true);
    }

    public static RegistryProcess anonymous(boolean deleteEnabled) {
        return start(deleteEnabled, dir -> "");
    }

    /**
     * Anonymous registry serving https with a self-signed certificate for 127.0.0.1 (made with openssl);
     * {@link #certificate()} is the PEM a client must trust.
     */
    public static RegistryProcess tls() {
        return start(true, TLS, dir -> "");
    }

    private static final boolean TLS = true;

    public static RegistryProcess htpasswd(String user, String password) {
        return start(true, dir -> {
            Path htpasswd = dir.resolve("htpasswd");
            // jbcrypt yields "$2a$"; golang.org/x/crypto/bcrypt (used by distribution) accepts $2a$ and $2y$.
            String hash = org.mindrot.jbcrypt.BCrypt.hashpw(password, org.mindrot.jbcrypt.BCrypt.gensalt(5));
            Files.writeString(htpasswd, user + ":" + hash + "\n", StandardCharsets.UTF_8);
            return "auth:\n"
                    + "  htpasswd:\n"
                    + "    realm: ferry-test-realm\n"
                    + "    path: " + q(htpasswd.toString()) + "\n";
        });
    }

    public static RegistryProcess tokenAuth(TokenServer server) {
        return start(true, dir -> "auth:\n"
                + "  token:\n"
                + "    realm: " + q(server.realm()) + "\n"
                + "    service: " + q(server.service()) + "\n"
                + "    issuer: " + q(server.issuer()) + "\n"
                + "    rootcertbundle: " + q(server.certBundlePath().toString()) + "\n");
    }

    /**
     * Anonymous registry with extra top-level YAML sections appended to the generated config (e.g. {@code proxy:}
     * for a pull-through cache, {@code notifications:}); must not repeat sections already generated
     * (version, log, storage, http, health).
     */
    public static RegistryProcess custom(boolean deleteEnabled, String extraTopLevelYaml) {
        String extra = extraTopLevelYaml.endsWith("\n") ? extraTopLevelYaml : extraTopLevelYaml + "\n";
        return start(deleteEnabled, dir -> extra);
    }

    /**
     * Anonymous registry that writes its access log (one line per request) to {@link #logFile()}, for tests that count
     * the requests Ferry makes ({@link #requests()}).
     */
    public static RegistryProcess withAccessLog() {
        return start(true, false, true, dir -> "");
    }

    // ------------------------------------------------------------------ accessors

    /**
     * The requests logged so far by a {@link #withAccessLog()} registry, each as {@code "METHOD /path STATUS"}
     * (the query string left off), in order; the registry's own readiness probes included.
     */
    public List<String> requests() {
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("\"([A-Z]+) ([^ ?\"]+)[^ \"]* HTTP/[0-9.]+\" ([0-9]{3}) ");
        List<String> out = new java.util.ArrayList<>();
        try {
            for (String l : Files.readAllLines(logFile, StandardCharsets.UTF_8)) {
                java.util.regex.Matcher m = line.matcher(l);
                if (m.find()) {
                    out.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public String baseUrl() {
        return (tls ? "https://" : "http://") + hostPort();
    }

    /** The self-signed certificate of a {@link #tls()} registry. */
    public Path certificate() {
        return tempDir.resolve("cert.pem");
    }

    private static String tlsSection(Path dir) throws IOException {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!openssl.waitFor(30, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
                throw new IOException("openssl could not make a test certificate");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return "  tls:\n"
                + "    certificate: " + q(cert.toString()) + "\n"
                + "    key: " + q(key.toString()) + "\n";
    }

    private static javax.net.ssl.SSLContext trustAll() {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return logFile;
    }

    public Path storageDir() {
        return tempDir.resolve("storage");
    }

    public boolean isRunning() {
        return !stopped && process.isAlive();
    }

    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        RUNNING.remove(this);
        killQuietly(process);
        deleteRecursively(tempDir);
    }

    @Override
    public void close() {
        stop();
    }

    /** Last {@code maxLines} lines of the registry's log (for error messages). */
    public String logTail(int maxLines) {
        return tail(logFile, maxLines);
    }

    @Override
    public String toString() {
        return "RegistryProcess[" + baseUrl() + "]";
    }

    // ------------------------------------------------------------------ internals

    @FunctionalInterface
    private interface AuthSection {
        String yaml(Path dir) throws IOException;
    }

    private static RegistryProcess start(boolean deleteEnabled, AuthSection auth) {
        return start(deleteEnabled, false, auth);
    }

    private static RegistryProcess start(boolean deleteEnabled, boolean tls, AuthSection auth) {
        return start(deleteEnabled, tls, false, auth);
    }

    private static RegistryProcess start(boolean deleteEnabled, boolean tls, boolean accessLog, AuthSection auth) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Path dir;
            try {
                dir = Files.createTempDirectory("ferry-registry-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                return startOnce(dir, deleteEnabled, tls, accessLog, auth);
            } catch (PortRaceException e) {
                // someone grabbed the port between probe and bind: retry with a new port
                last = e;
                deleteRecursively(dir);
            } catch (RuntimeException e) {
                deleteRecursively(dir);
                throw e;
            }
        }
        throw last;
    }

    private static final class PortRaceException extends IllegalStateException {
        PortRaceException(String m) {
            super(m);
        }
    }

    private static RegistryProcess startOnce(Path dir, boolean deleteEnabled, boolean tls, boolean accessLog, AuthSection auth) {
        Process p = null;
        try {
            Path storage = Files.createDirectories(dir.resolve("storage"));
            Path log = dir.resolve("registry.log");
            int port = freePort();
            String config = "version: 0.1\n"
                    + "log:\n"
                    + "  level: warn\n"
                    + "  accesslog:\n"
                    + "    disabled: " + !accessLog + "\n"
                    + "storage:\n"
                    + "  filesystem:\n"
                    + "    rootdirectory: " + q(storage.toString()) + "\n"
                    + "  delete:\n"
                    + "    enabled: " + deleteEnabled + "\n"
                    + "  maintenance:\n"
                    + "    uploadpurging:\n"
                    + "      enabled: false\n"
                    + "http:\n"
                    + "  addr: 127.0.0.1:" + port + "\n"
                    + "  secret: ferry-test-http-secret\n"
                    + (tls ? tlsSection(dir) : "")
                    + "health:\n"
                    + "  storagedriver:\n"
                    + "    enabled: false\n"
                    + auth.yaml(dir);
            Path configFile = dir.resolve("config.yml");
            Files.writeString(configFile, config, StandardCharsets.UTF_8);

            ProcessBuilder pb = new ProcessBuilder(REGISTRY_BINARY, "serve", configFile.toString())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            // keep the registry from picking up REGISTRY_* overrides of the developer's environment
            pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
            p = pb.start();
            RegistryProcess rp = new RegistryProcess(dir, log, port, p, tls);
            rp.awaitReady();
            return rp;
        } catch (IOException e) {
            killQuietly(p);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            killQuietly(p);
            throw e;
        }
    }

    private void awaitReady() {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
        if (tls) {
            builder.sslContext(trustAll()); // only to see that it answers; tests check verification themselves
        }
        HttpClient client = builder.build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String lastProblem = "no attempt";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String tail = logTail(40);
                String msg = "docker-registry exited with code " + process.exitValue()
                        + " before answering on " + baseUrl() + "/v2/; log tail (" + logFile + "):\n" + tail;
                if (tail.contains("address already in use")) {
                    throw new PortRaceException(msg);
                }
                throw new IllegalStateException(msg);
            }
            try {
                HttpResponse<Void> r = client.send(
                        HttpRequest.newBuilder(URI.create(baseUrl() + "/v2/"))
                                .timeout(Duration.ofSeconds(2)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200 || r.statusCode() == 401) {
                    return;
                }
                lastProblem = "HTTP " + r.statusCode();
            } catch (IOException e) {
                lastProblem = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for registry", e);
            }
            sleep(50);
        }
        throw new IllegalStateException("docker-registry did not answer GET " + baseUrl() + "/v2/ with 200/401 within "
                + START_TIMEOUT.toSeconds() + " s (last: " + lastProblem + "); log tail (" + logFile + "):\n"
                + logTail(40));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static void killQuietly(Process p) {
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    static String tail(Path file, int maxLines) {
        try {
            if (!Files.exists(file)) {
                return "(no log file)";
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
