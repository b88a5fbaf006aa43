package dev.ferry.security;

import java.util.Set;

/**
 * An authenticated caller in secured mode.
 *
 * @param id     what jobs are stored under: {@code oidc:} + the token's subject
 * @param roles  realm roles and groups from the token
 * @param level  the highest Ferry role among them
 */
public record Caller(String id, Set<String> roles, Role level) {
    public Caller {
        roles = Set.copyOf(roles);
    }
}
