package dev.ferry.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.FerryConfig;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses the credentials for a registry, always by exact host. Precedence: credentials in the request (checked by
 * {@link RegistryAccessFactory}); then credentials stored with {@code PUT /api/v1/credentials/{host}} (skopeo's login,
 * {@link dev.ferry.credentials.CredentialStore}); then {@code ferry.registries."HOST".username/password}; then a
 * containers auth.json / docker config.json (skopeo's --authfile and REGISTRY_AUTH_FILE): its {@code credHelpers}
 * entry for the host, else its {@code auths} entry, else its {@code credsStore} helper (helpers:
 * {@link dev.ferry.credentials.CredentialHelpers}; a helper that fails is a {@code credential-helper-failed} problem,
 * never a silent anonymous attempt). Nothing found means anonymous.
 */
@ApplicationScoped
public class CredentialResolver {
    private static final List<String> DOCKER_HUB_KEYS = List.of("docker.io", "index.docker.io",
            "https://index.docker.io/v1/", "registry-1.docker.io");

    private final FerryConfig config;
    private final ObjectMapper json;
    private final Map<Path, CachedFile> files = new ConcurrentHashMap<>();
    private final dev.ferry.credentials.CredentialStore stored;
    private final dev.ferry.credentials.CredentialHelpers helpers;

    private record CachedFile(FileTime modified, JsonNode root) {
        JsonNode auths() {
            return root == null ? null : root.get("auths");
        }
    }

    public CredentialResolver(FerryConfig config, ObjectMapper json, dev.ferry.credentials.CredentialStore stored,
                              dev.ferry.credentials.CredentialHelpers helpers) {
        this.config = config;
        this.json = json;
        this.stored = stored;
        this.helpers = helpers;
    }

    /** Credentials configured for {@code registry} (not from the request). */
    public Credentials configured(String registry) {
        Optional<Credentials> login = stored.forHost(registry);
        if (login.isPresent()) {
            return login.get();
        }
        FerryConfig.RegistrySettings settings = config.registries().get(registry);
        if (settings != null && settings.username().isPresent()) {
            Optional<String> password = settings.password();
            if (password.isEmpty() && settings.passwordFile().isPresent()) {
                password = readFirstLine(Path.of(settings.passwordFile().get()));
            }
            return new Credentials.Basic(settings.username().get(), password.orElse(""));
        }
        Optional<Path> file = authFile();
        if (file.isPresent()) {
            Credentials fromFile = fromAuthFile(file.get(), registry);
            if (fromFile != null) {
                return fromFile;
            }
        }
        return Credentials.ANONYMOUS;
    }

    private Optional<Path> authFile() {
        if (config.authFile().isPresent()) {
            return Optional.of(Path.of(config.authFile().get()));
        }
        String env = System.getenv("REGISTRY_AUTH_FILE");
        if (env != null && !env.isBlank()) {
            return Optional.of(Path.of(env));
        }
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && Files.isRegularFile(Path.of(runtime, "containers", "auth.json"))) {
            return Optional.of(Path.of(runtime, "containers", "auth.json"));
        }
        Path docker = Path.of(System.getProperty("user.home"), ".docker", "config.json");
        return Files.isRegularFile(docker) ? Optional.of(docker) : Optional.empty();
    }

    private Credentials fromAuthFile(Path file, String registry) {
        JsonNode root = root(file);
        if (root == null) {
            return null;
        }
        List<String> keys = DOCKER_HUB_KEYS.contains(registry) ? DOCKER_HUB_KEYS : List.of(registry, "https://" + registry, "http://" + registry);
        JsonNode perHost = root.get("credHelpers");
        if (perHost != null && perHost.isObject()) {
            for (String key : keys) {
                if (perHost.path(key).isTextual()) {
                    return helpers.get(perHost.get(key).asText(), key);
                }
            }
        }
        Credentials inAuths = fromAuths(root.get("auths"), keys, file, registry);
        if (inAuths != null) {
            return inAuths;
        }
        JsonNode store = root.get("credsStore");
        if (store != null && store.isTextual() && !store.asText().isBlank()) {
            Credentials fromStore = helpers.get(store.asText(), keys.get(0));
            return fromStore instanceof Credentials.Anonymous ? null : fromStore;
        }
        return null;
    }

    private Credentials fromAuths(JsonNode auths, List<String> keys, Path file, String registry) {
        if (auths == null || !auths.isObject()) {
            return null;
        }
        for (String key : keys) {
            JsonNode entry = auths.get(key);
            if (entry != null && entry.path("auth").isTextual()) {
                try {
                    String decoded = new String(Base64.getDecoder().decode(entry.get("auth").asText()), StandardCharsets.UTF_8);
                    return Credentials.parseUserPassword(decoded);
                } catch (IllegalArgumentException e) {
                    Log.warnf("auth file %s: the entry for %s is not base64 of user:password; ignored", file, registry);
                }
            }
        }
        return null;
    }

    private JsonNode root(Path file) {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            CachedFile cached = files.get(file);
            if (cached != null && cached.modified().equals(modified)) {
                return cached.root();
            }
            JsonNode root = json.readTree(file.toFile());
            files.put(file, new CachedFile(modified, root));
            return root;
        } catch (IOException e) {
            Log.debugf("auth file %s not readable: %s", file, e.getClass().getSimpleName());
            return null;
        }
    }

    private static Optional<String> readFirstLine(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8).stream().findFirst().map(String::strip);
        } catch (IOException e) {
            Log.warnf("password file %s is not readable", p);
            return Optional.empty();
        }
    }
}
