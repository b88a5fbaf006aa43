package dev.ferry.policy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Stored policies and their schedules ({@code ferry.policies.*}). */
@ConfigMapping(prefix = "ferry.policies")
public interface PolicyConfig {
    /** How often each replica looks for due schedules (every replica looks; one fires each due time). */
    @WithDefault("1s")
    Duration tick();

    /** Whether this replica fires schedules at all (manual and webhook runs work either way). */
    @WithDefault("true")
    boolean scheduler();

    /** The shortest {@code triggers.interval} a policy may have. */
    @WithDefault("1s")
    Duration minInterval();

    /** Most policies stored (all replicas together). */
    @WithDefault("500")
    int max();
}
