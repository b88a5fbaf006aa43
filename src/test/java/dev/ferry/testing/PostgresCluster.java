package dev.ferry.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, started on a free loopback port as the
 * {@code postgres} user (PostgreSQL refuses to run as root), trust authentication on loopback only. No Docker.
 * {@link #close()} stops it and deletes the folder.
 */
public final class PostgresCluster implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final String bin;

    private PostgresCluster(Path dir, int port, String bin) {
        this.dir = dir;
        this.port = port;
        this.bin = bin;
    }

    public static PostgresCluster start() throws IOException, InterruptedException {
        String bin = findBin();
        Path dir = Files.createTempDirectory("ferry-pg");
        Path data = dir.resolve("data");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            run(List.of("chown", "-R", "postgres", dir.toString()), root);
        }
        run(List.of(bin + "/initdb", "-D", data.toString(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"), root);
        run(List.of(bin + "/pg_ctl", "-D", data.toString(), "-l", dir.resolve("log").toString(), "-w", "-t", "60",
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                "start"), root);
        PostgresCluster c = new PostgresCluster(dir, port, bin);
        c.sql("CREATE DATABASE ferry");
        return c;
    }

    private static String findBin() throws IOException {
        for (String candidate : new String[] {"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin",
                "/usr/lib/postgresql/14/bin", "/usr/lib/postgresql/13/bin", "/usr/local/bin", "/usr/bin"}) {
            if (Files.isExecutable(Path.of(candidate, "initdb")) && Files.isExecutable(Path.of(candidate, "pg_ctl"))) {
                return candidate;
            }
        }
        throw new IOException("PostgreSQL (initdb, pg_ctl) is not installed; deploy/test.sh installs it");
    }

    private static void run(List<String> cmd, boolean asPostgres) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgres && !cmd.get(0).equals("chown")) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(cmd);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", full) + " failed: " + out);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/ferry";
    }

    public String username() {
        return "postgres";
    }

    public int port() {
        return port;
    }

    public void sql(String statement) throws IOException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute(statement);
        } catch (SQLException e) {
            throw new IOException(statement + ": " + e.getMessage(), e);
        }
    }

    /** Drops and re-creates the {@code ferry} database (a clean store per test class). */
    public void reset() throws IOException {
        sql("DROP DATABASE IF EXISTS ferry WITH (FORCE)");
        sql("CREATE DATABASE ferry");
    }

    /** Stops the server now (immediate mode), keeping its files; {@link #close()} still cleans up. */
    public void stopServer() throws IOException, InterruptedException {
        boolean root = "root".equals(System.getProperty("user.name"));
        run(List.of(bin + "/pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"), root);
        stopped = true;
    }

    private boolean stopped;

    @Override
    public void close() throws IOException, InterruptedException {
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            if (!stopped) {
                run(List.of(bin + "/pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"), root);
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
