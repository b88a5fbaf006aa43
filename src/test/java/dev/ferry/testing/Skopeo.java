package dev.ferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code /usr/bin/skopeo} (1.9) as an oracle, isolated from the developer's credentials:
 * {@code REGISTRY_AUTH_FILE} points at an empty auth.json, {@code HOME} and {@code XDG_RUNTIME_DIR} at a temp dir.
 *
 * <p>Global options ({@code --override-arch/-os/-variant}, {@code --insecure-policy}, {@code --debug}) passed in the
 * {@code extraArgs} of {@link #inspect}/{@link #inspectRaw}/{@link #listTags} are moved before the sub-command, as
 * skopeo requires.
 */
public final class Skopeo {

    public static final String BINARY = System.getProperty("ferry.skopeo.binary", "/usr/bin/skopeo");
    public static final long TIMEOUT_SECONDS = 60;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> GLOBAL_WITH_VALUE =
            Set.of("--override-arch", "--override-os", "--override-variant", "--registries-conf", "--tmpdir",
                    "--command-timeout", "--policy");
    private static final Set<String> GLOBAL_FLAGS = Set.of("--insecure-policy", "--debug");

    private static volatile Path sandbox;

    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private record RawResult(int exitCode, byte[] stdout, String stderr) {
    }

    private Skopeo() {
    }

    /** Runs {@code skopeo ARGS...} verbatim (no arguments added). */
    public static Result run(String... args) {
        return runWithEnv(Map.of(), args);
    }

    /**
     * Runs {@code skopeo ARGS...} verbatim with extra environment variables (e.g. {@code GNUPGHOME} for a test
     * keyring: skopeo signs and verifies GPG signatures through gpgme, which reads it).
     */
    public static Result runWithEnv(Map<String, String> env, String... args) {
        RawResult r = runRaw(List.of(args), env);
        return new Result(r.exitCode, new String(r.stdout, StandardCharsets.UTF_8), r.stderr);
    }

    /** {@code skopeo [global] inspect --tls-verify=false [extra] REF}; REF without transport gets {@code docker://}. */
    public static JsonNode inspect(String imageRef, String... extraArgs) {
        byte[] out = ok("inspect", imageRef, subcommand("inspect", imageRef, extraArgs));
        return parse(out, "inspect " + imageRef);
    }

    /** {@code skopeo inspect --raw}: the manifest bytes exactly as served. */
    public static byte[] inspectRaw(String imageRef, String... extra) {
        String[] args = concat(new String[] {"--raw"}, extra);
        return ok("inspect --raw", imageRef, subcommand("inspect", imageRef, args));
    }

    /** {@code skopeo inspect --config} (parsed OCI config as skopeo converts it). */
    public static JsonNode inspectConfig(String imageRef, String... extra) {
        String[] args = concat(new String[] {"--config"}, extra);
        return parse(ok("inspect --config", imageRef, subcommand("inspect", imageRef, args)), "inspect --config");
    }

    /** {@code skopeo list-tags --tls-verify=false [extra] docker://REPO}. */
    public static JsonNode listTags(String repoRef, String... extra) {
        return parse(ok("list-tags", repoRef, subcommand("list-tags", repoRef, extra)), "list-tags " + repoRef);
    }

    /** {@code skopeo copy --src-tls-verify=false --dest-tls-verify=false [extra] SRC DST}; returns the Result. */
    public static Result copy(String src, String dst, String... extra) {
        List<String> global = new ArrayList<>();
        List<String> local = new ArrayList<>();
        splitGlobal(extra, global, local);
        List<String> cmd = new ArrayList<>(global);
        cmd.add("copy");
        cmd.add("--src-tls-verify=false");
        cmd.add("--dest-tls-verify=false");
        cmd.addAll(local);
        cmd.add(withTransport(src));
        cmd.add(withTransport(dst));
        return run(cmd.toArray(String[]::new));
    }

    /** Prefixes {@code docker://} unless the reference already names a transport. */
    public static String withTransport(String ref) {
        for (String t : List.of("docker://", "oci:", "oci-archive:", "dir:", "docker-archive:", "docker-daemon:",
                "containers-storage:")) {
            if (ref.startsWith(t)) {
                return ref;
            }
        }
        return "docker://" + ref;
    }

    // ------------------------------------------------------------------ internals

    private static List<String> subcommand(String sub, String ref, String[] extra) {
        List<String> global = new ArrayList<>();
        List<String> local = new ArrayList<>();
        splitGlobal(extra, global, local);
        List<String> cmd = new ArrayList<>(global);
        cmd.add(sub);
        cmd.add("--tls-verify=false");
        cmd.addAll(local);
        cmd.add(withTransport(ref));
        return cmd;
    }

    private static void splitGlobal(String[] extra, List<String> global, List<String> local) {
        for (int i = 0; i < extra.length; i++) {
            String a = extra[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (GLOBAL_WITH_VALUE.contains(name)) {
                global.add(a);
                if (!a.contains("=") && i + 1 < extra.length) {
                    global.add(extra[++i]);
                }
            } else if (GLOBAL_FLAGS.contains(name)) {
                global.add(a);
            } else {
                local.add(a);
            }
        }
    }

    private static byte[] ok(String what, String ref, List<String> cmd) {
        RawResult r = runRaw(cmd);
        if (r.exitCode != 0) {
            throw new AssertionError("skopeo " + what + " " + ref + " failed with exit " + r.exitCode
                    + "\ncommand: skopeo " + String.join(" ", cmd) + "\nstderr: " + r.stderr);
        }
        return r.stdout;
    }

    private static JsonNode parse(byte[] out, String what) {
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new AssertionError("skopeo " + what + " printed non-JSON: "
                    + new String(out, StandardCharsets.UTF_8), e);
        }
    }

    private static RawResult runRaw(List<String> args) {
        return runRaw(args, Map.of());
    }

    private static RawResult runRaw(List<String> args, Map<String, String> extraEnv) {
        Path box = sandbox();
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile(box, "out-", ".txt");
            err = Files.createTempFile(box, "err-", ".txt");
            List<String> cmd = new ArrayList<>();
            cmd.add(BINARY);
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("REGISTRY_AUTH") || k.startsWith("DOCKER_")
                    || k.startsWith("CONTAINERS_") || k.startsWith("XDG_"));
            env.put("HOME", box.resolve("home").toString());
            env.put("XDG_RUNTIME_DIR", box.resolve("run").toString());
            env.put("XDG_CONFIG_HOME", box.resolve("home/.config").toString());
            env.put("REGISTRY_AUTH_FILE", box.resolve("auth.json").toString());
            env.putAll(extraEnv);
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                RegistryProcess.killQuietly(p);
                throw new AssertionError("skopeo " + String.join(" ", args) + " timed out after "
                        + TIMEOUT_SECONDS + " s; stderr: " + Files.readString(err));
            }
            return new RawResult(p.exitValue(), Files.readAllBytes(out),
                    new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static Path sandbox() {
        Path s = sandbox;
        if (s != null) {
            return s;
        }
        synchronized (Skopeo.class) {
            if (sandbox == null) {
                try {
                    Path dir = Files.createTempDirectory("ferry-skopeo-");
                    Files.createDirectories(dir.resolve("home/.config"));
                    Files.createDirectories(dir.resolve("run"));
                    Files.writeString(dir.resolve("auth.json"), "{\"auths\":{}}\n");
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> RegistryProcess.deleteRecursively(dir)));
                    sandbox = dir;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return sandbox;
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
