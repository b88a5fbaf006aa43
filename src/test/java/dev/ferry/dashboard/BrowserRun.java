package dev.ferry.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs deploy/browser-test/dashboard.test.mjs (playwright-core driving Debian's chromium headless) with node, and fails
 * unless every browser test passed. Installs the test's npm packages first when they are missing (npm ci, from the
 * committed package-lock.json). Output and screenshots go to target/browser-test/.
 */
final class BrowserRun {
    static final Path DIR = Path.of("deploy", "browser-test").toAbsolutePath();
    static final Path OUT = Path.of("target", "browser-test").toAbsolutePath();

    private BrowserRun() {
    }

    static void run(String scenario, Map<String, String> env) throws IOException, InterruptedException {
        Files.createDirectories(OUT);
        if (!Files.isDirectory(DIR.resolve("node_modules").resolve("playwright-core"))) {
            exec(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), OUT.resolve("npm-ci.log"), 300);
        }
        Path log = OUT.resolve(scenario + ".log");
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("SCENARIO", scenario);
        all.put("OUT", OUT.toString());
        int code = exec(List.of("node", DIR.resolve("dashboard.test.mjs").toString()), all, log, 600);
        String out = Files.readString(log);
        System.out.println(out);
        assertTrue(out.lines().anyMatch(l -> l.matches("\\d+ passed, 0 failed")), "browser tests:\n" + out);
        assertEquals(0, code, "browser tests:\n" + out);
    }

    private static int exec(List<String> command, Map<String, String> env, Path log, int timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s:\n" + Files.readString(log));
        }
        if (p.exitValue() != 0 && command.get(0).equals("npm")) {
            throw new AssertionError("npm ci failed:\n" + Files.readString(log));
        }
        return p.exitValue();
    }
}
