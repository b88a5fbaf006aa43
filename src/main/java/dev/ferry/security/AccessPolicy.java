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
 * <p>
 * Server-side locations (the path transports and {@code docker-daemon:}) are checked the same way by
 * {@link #checkLocal}: the role must permit the action, and when rules are configured a rule's {@code paths} must
 * grant it (a rule's {@code repositories} never grant a path, and its {@code paths} never grant a repository).
 */
@ApplicationScoped
public class AccessPolicy {
    private final SecurityMode mode;
    private final OutboundGuard outbound;
    private final List<CompiledRule> rules;

    record CompiledRule(Set<String> subjects, List<Pattern> repositories, List<Pattern> paths, Set<Action> actions) {
        boolean grants(Caller caller, String repository, Action action) {
            return actions.contains(action)
                    && caller.roles().stream().anyMatch(subjects::contains)
                    && repositories.stream().anyMatch(p -> p.matcher(repository).matches());
        }

        boolean grantsLocal(Caller caller, String location, Action action) {
            return actions.contains(action)
                    && caller.roles().stream().anyMatch(subjects::contains)
                    && paths.stream().anyMatch(p -> p.matcher(location).matches());
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
            List<String> repositories = r.repositories().orElse(List.of());
            List<String> paths = r.paths().orElse(List.of());
            if (repositories.isEmpty() && paths.isEmpty()) {
                throw new IllegalArgumentException("ferry.security.rules." + e.getKey()
                        + ": give repositories, paths or both (a rule that names nothing grants nothing)");
            }
            return new CompiledRule(Set.copyOf(r.subjects()), repositories.stream().map(Globs::compile).toList(),
                    paths.stream().map(Globs::compileExact).toList(), actions);
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

    /**
     * Throws access-denied unless the current caller may do {@code action} on the server-side location
     * {@code location}: a resolved absolute path (already confined to the storage roots) or
     * {@code docker-daemon:NAME}. {@code given} is what the caller wrote, the only thing the refusal repeats.
     */
    public void checkLocal(String field, String given, String location, Action action) {
        if (!mode.secured()) {
            return;
        }
        CurrentCaller.get().ifPresent(caller -> {
            if (!allowsLocal(caller, location, action)) {
                throw new FerryException(ProblemType.ACCESS_DENIED, "access denied: you may not " + action.wire() + " "
                        + given + " (" + field + "): no rule's paths grant it");
            }
        });
    }

    boolean allowsLocal(Caller caller, String location, Action action) {
        if (!caller.level().permits(action)) {
            return false;
        }
        return rules.isEmpty() || rules.stream().anyMatch(r -> r.grantsLocal(caller, location, action));
    }

    boolean allows(Caller caller, String repository, Action action) {
        if (!caller.level().permits(action)) {
            return false;
        }
        String repo = repository.toLowerCase(java.util.Locale.ROOT);
        return rules.isEmpty() || rules.stream().anyMatch(r -> r.grants(caller, repo, action));
    }
}
