package dev.ferry.credentials;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Managed registry credentials and auth-file credential helpers ({@code ferry.credentials.*}). */
@ConfigMapping(prefix = "ferry.credentials")
public interface CredentialsConfig {

    /**
     * How often each replica re-reads the stored credentials, so a login or logout on another replica applies here
     * within this time (on the replica that took it: at once). Default 5s.
     */
    @WithDefault("5s")
    Duration refreshInterval();

    /**
     * Where {@code docker-credential-<name>} helpers named by an auth file's {@code credHelpers} / {@code credsStore}
     * are looked for; unset: the directories of {@code PATH}, as docker does.
     */
    Optional<String> helperDir();

    /** How long a credential helper may take before its answer is given up (a failed lookup). Default 5s. */
    @WithDefault("5s")
    Duration helperTimeout();

    /** How long a helper's answer for a host is reused before the helper is asked again. Default 5m. */
    @WithDefault("5m")
    Duration helperCacheTtl();
}
