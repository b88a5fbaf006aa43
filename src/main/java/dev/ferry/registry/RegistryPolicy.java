package dev.ferry.registry;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which registries may be contacted: host[:port] glob patterns from {@code ferry.registry-policy};
 * deny wins over allow. Checked before anything is sent.
 */
@ApplicationScoped
public class RegistryPolicy {
    private final List<Pattern> allow;
    private final List<Pattern> deny;

    public RegistryPolicy(FerryConfig config) {
        this.allow = config.registryPolicy().allow().stream().map(RegistryPolicy::glob).toList();
        this.deny = config.registryPolicy().deny().orElse(List.of()).stream().map(RegistryPolicy::glob).toList();
    }

    static Pattern glob(String pattern) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.trim().toLowerCase(Locale.ROOT).toCharArray()) {
            if (c == '*') {
                re.append(".*");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    public boolean isAllowed(String registry) {
        String host = registry.toLowerCase(Locale.ROOT);
        return deny.stream().noneMatch(p -> p.matcher(host).matches())
                && allow.stream().anyMatch(p -> p.matcher(host).matches());
    }

    /** Throws registry-not-allowed unless {@code registry} may be contacted. */
    public void check(String registry) {
        if (!isAllowed(registry)) {
            throw new FerryException(ProblemType.REGISTRY_NOT_ALLOWED,
                    "registry " + registry + " is not allowed by this Ferry's registry policy");
        }
    }
}
