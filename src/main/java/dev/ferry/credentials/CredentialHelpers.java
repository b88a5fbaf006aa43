package dev.ferry.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.registry.Credentials;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Docker credential helpers, as an auth file's {@code credHelpers} (per host) and {@code credsStore} (every other host)
 * name them: {@code docker-credential-<name> get} with the host on stdin, answering
 * {@code {"ServerURL", "Username", "Secret"}} on stdout, as docker runs them. "credentials not found" (exit 1, as
 * helpers say it) means anonymous. Anything else that goes wrong — no such helper, another failure, a timeout, an
 * answer that is not that JSON, an identity token (user name {@code <token>}: an OAuth refresh token Ferry does not
 * exchange) — is a {@code credential-helper-failed} problem, never a silent anonymous fallback. The helper's output
 * is never logged or echoed. Answers are reused for {@code ferry.credentials.helper-cache-ttl}.
 * <p>
 * The helper runs synchronously in the caller's thread (bounded by {@code ferry.credentials.helper-timeout}), once per
 * host and cache period.
 */
@ApplicationScoped
public class CredentialHelpers {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final int MAX_OUTPUT = 64 * 1024;
    private final CredentialsConfig config;
    private final ObjectMapper json;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Instant until, Credentials credentials) {
    }

    public CredentialHelpers(CredentialsConfig config, ObjectMapper json, Clock clock) {
        this.config = config;
        this.json = json;
        this.clock = clock;
    }

    /** What helper {@code name} has for {@code host}: credentials, or anonymous when it has none. */
    public Credentials get(String name, String host) {
        String key = name + "\u0000" + host;
        Cached c = cache.get(key);
        Instant now = clock.instant();
        if (c != null && now.isBefore(c.until())) {
            return c.credentials();
        }
        Credentials found = run(name, host);
        cache.put(key, new Cached(now.plus(config.helperCacheTtl()), found));
        return found;
    }

    private Credentials run(String name, String host) {
        String what = "the credential helper docker-credential-" + name + " for " + host;
        if (!NAME.matcher(name).matches()) {
            throw new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED, "the auth file names a credential helper \""
                    + name.replaceAll("[^A-Za-z0-9._/-]", "?") + "\" that is not a plain name");
        }
        Path helper = locate("docker-credential-" + name).orElseThrow(() -> new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED,
                what + " is not installed (looked in " + (config.helperDir().isPresent() ? "ferry.credentials.helper-dir" : "PATH")
                        + "); install it or remove it from the auth file"));
        Process p;
        try {
            p = new ProcessBuilder(helper.toString(), "get").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED, what + " could not be started");
        }
        byte[] out;
        try (OutputStream in = p.getOutputStream()) {
            in.write(host.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // a helper that does not read stdin: its answer says what it thinks
        }
        try {
            if (!p.waitFor(config.helperTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED, what + " did not answer within "
                        + config.helperTimeout().toMillis() + " ms");
            }
            try (InputStream s = p.getInputStream()) {
                out = s.readNBytes(MAX_OUTPUT);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED, what + " was interrupted");
        } catch (IOException e) {
            throw new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED, what + " could not be read");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            if (text.toLowerCase(java.util.Locale.ROOT).contains("credentials not found")) {
                return Credentials.ANONYMOUS;
            }
            throw new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED, what + " failed (exit " + p.exitValue() + ")");
        }
        JsonNode answer;
        try {
            answer = json.readTree(text);
        } catch (IOException e) {
            answer = null;
        }
        if (answer == null || !answer.path("Username").isTextual() || !answer.path("Secret").isTextual()) {
            throw new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED, what + " answered something other than "
                    + "{\"ServerURL\", \"Username\", \"Secret\"}");
        }
        String user = answer.get("Username").asText();
        if ("<token>".equals(user)) {
            throw new FerryException(ProblemType.CREDENTIAL_HELPER_FAILED, what + " holds an identity token (an OAuth "
                    + "refresh token), which Ferry does not exchange; store a user name and password or a registry token");
        }
        return new Credentials.Basic(user, answer.get("Secret").asText());
    }

    private Optional<Path> locate(String file) {
        String dirs = config.helperDir().orElse(System.getenv().getOrDefault("PATH", ""));
        for (String dir : dirs.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Path.of(dir, file);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
