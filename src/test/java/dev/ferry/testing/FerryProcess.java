package dev.ferry.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Ferry's packaged fast-jar run as a real process, for tests that kill and restart it. */
public final class FerryProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private FerryProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the jar on a free loopback port with {@code dataDir} as its store, and waits until it is ready. */
    public static FerryProcess start(Path dataDir, Path log) throws IOException, InterruptedException {
        return start(dataDir, null, log);
    }

    /**
     * @param dataDir    the store directory, or null for Ferry's embedded default
     * @param workingDir the process's working directory, or null for this one
     */
    public static FerryProcess start(Path dataDir, Path workingDir, Path log) throws IOException, InterruptedException {
        return start(dataDir, workingDir, log, java.util.Map.of());
    }

    /** As {@link #start(Path, Path, Path)}, with more environment (e.g. FERRY_STORE=postgresql). */
    public static FerryProcess start(Path dataDir, Path workingDir, Path log, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        String jar = Path.of(System.getProperty("ferry.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath().toString();
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar));
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        if (dataDir != null) {
            pb.environment().put("FERRY_DATA_DIR", dataDir.toString());
        }
        if (workingDir != null) {
            pb.directory(workingDir.toFile());
        }
        pb.environment().put("FERRY_HTTP_TLS_HANDSHAKE_TIMEOUT", "500ms");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        FerryProcess f = new FerryProcess(pb.start(), port, log);
        f.awaitReady(Duration.ofSeconds(60));
        return f;
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Ferry exited: " + tail());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(baseUrl() + "/q/health/ready").toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("Ferry not ready in time: " + tail());
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    /** SIGTERM, and wait for the process to exit (graceful shutdown). */
    public void terminate(Duration max) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(max.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            kill();
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hooks, nothing flushed. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            kill();
        }
    }
}
