package dev.ferry.security;

import dev.ferry.security.Caller;
import dev.ferry.security.CurrentCaller;
import dev.ferry.security.Role;

/**
 * Who is calling. In local mode (no identity provider) every caller is {@code local}; in secured mode it is the
 * token's subject ({@code oidc:SUBJECT}).
 */
public final class Callers {
    public static final String LOCAL = "local";

    private Callers() {
    }

    /** Who owns what the current request creates. */
    public static String current() {
        return CurrentCaller.get().map(Caller::id).orElse(LOCAL);
    }

    /** Whose jobs the current request may see, stream and cancel: its own, or everyone's (null) for an admin. */
    public static String jobsVisible() {
        java.util.Optional<Caller> caller = CurrentCaller.get();
        if (caller.isEmpty()) {
            return LOCAL;
        }
        return caller.get().level().atLeast(Role.ADMIN) ? null : caller.get().id();
    }

    /** Whether the current caller sees every job and who runs it: an admin, or anyone in local mode. */
    public static boolean isAdmin() {
        java.util.Optional<Caller> caller = CurrentCaller.get();
        return caller.isEmpty() || caller.get().level().atLeast(Role.ADMIN);
    }
}
