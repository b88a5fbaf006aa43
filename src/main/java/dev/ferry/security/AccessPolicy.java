package dev.ferry.security;

import dev.ferry.config.FerryConfig;
import dev.ferry.error.FerryException;
import dev.ferry.error.ProblemType;
import dev.ferry.oci.ImageReference;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Secured mode: may the current caller do {@link Action} on this repository? The caller's role must permit the action,
 * and, when {@code ferry.security.rules} are configured, a rule for one of the caller's roles or groups must grant it
 * on a matching registry/repository pattern (deny by default). The registry must also be in
 * {@code ferry.security.allowed-registries}. Checked for every side of every operation, before any connection.
 */
@ApplicationScoped
public class AccessPolicy {
    private final SecurityMode mode;
    private final OutboundGuard outbound;
    private final List<CompiledRule> rules;

    record CompiledRule(Set<String> subjects, List<Pattern> repositories, Set<Action> actions) {
        boolean grants(Caller caller, String repository, Action action) {
            return actions.contains(action)
                    && caller.roles().stream().anyMatch(subjects::contains)
                    && repositories.stream().anyMatch(p -> p.matcher(repository).matches());
        }
    }

    public AccessPolicy(SecurityMode mode, OutboundGuard outbound, FerryConfig config) {
        this.mode = mode;
        this.outbound = outbound;
        this.rules = config.security().rules().entrySet().stream().map(e -> {
            FerryConfig.Security.Rule r = e.getValue();
            Set<Action> actions = EnumSet.noneOf(Action.class);
            for (String a : r.actions()) {
                try {
                    actions.add(Action.fromWire(a));
                } catch (IllegalArgumentException bad) {
                    throw new IllegalArgumentException("ferry.security.rules." + e.getKey() + ".actions: " + a
                            + " is not one of read, write, delete, sign");
                }
            }
            return new CompiledRule(Set.copyOf(r.subjects()), r.repositories().stream().map(Globs::compile).toList(), actions);
        }).toList();
    }

    /** Throws registry-not-allowed or access-denied unless the current caller may do {@code action} on {@code ref}. */
    public void check(ImageReference ref, Action action) {
        if (!mode.secured()) {
            return;
        }
        outbound.checkRegistry(ref.registry());
        CurrentCaller.get().ifPresent(caller -> {
            String repository = ref.registry() + "/" + ref.repository();
            if (!allows(caller, repository, action)) {
                throw new FerryException(ProblemType.ACCESS_DENIED, "access denied: you may not " + action.wire() + " " + repository);
            }
        });
    }

    boolean allows(Caller caller, String repository, Action action) {
        if (!caller.level().permits(action)) {
            return false;
        }
        String repo = repository.toLowerCase(java.util.Locale.ROOT);
        return rules.isEmpty() || rules.stream().anyMatch(r -> r.grants(caller, repo, action));
    }
}
