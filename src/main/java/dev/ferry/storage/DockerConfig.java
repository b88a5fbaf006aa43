package dev.ferry.storage;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/** {@code docker-daemon:}: the Docker Engine API Ferry talks to (docker's, or podman's {@code system service}). */
@ConfigMapping(prefix = "ferry.docker")
public interface DockerConfig {

    /**
     * The daemon's socket as {@code DOCKER_HOST} names it: {@code unix:///run/podman/podman.sock} (environment
     * {@code FERRY_DOCKER_HOST}). None (the default): {@code docker-daemon:} is refused with 400
     * {@code unsupported-transport}. Whoever may copy may then read and write that daemon's images.
     */
    Optional<String> host();
}
