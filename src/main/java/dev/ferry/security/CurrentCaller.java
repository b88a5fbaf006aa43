package dev.ferry.security;

import io.quarkus.arc.Arc;
import io.quarkus.arc.ArcContainer;
import jakarta.enterprise.context.RequestScoped;
import java.util.Optional;

/**
 * The caller of the current request, set by {@link ApiGuard} once the token is verified. Empty in local mode, outside
 * a request (a job resumed at startup was authorised when it was submitted) and on paths with their own authentication.
 */
@RequestScoped
public class CurrentCaller {
    private Caller caller;

    void set(Caller caller) {
        this.caller = caller;
    }

    Caller caller() {
        return caller;
    }

    public static Optional<Caller> get() {
        try {
            ArcContainer arc = Arc.container();
            if (arc == null || !arc.requestContext().isActive()) {
                return Optional.empty();
            }
            return Optional.ofNullable(arc.instance(CurrentCaller.class).get().caller());
        } catch (IllegalStateException shutDown) {
            return Optional.empty();
        }
    }
}
