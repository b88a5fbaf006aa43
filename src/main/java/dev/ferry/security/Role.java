package dev.ferry.security;

/** Ferry's roles, each including the ones below it. */
public enum Role {
    NONE, VIEWER, OPERATOR, ADMIN;

    public boolean atLeast(Role other) {
        return compareTo(other) >= 0;
    }

    /** What the role allows on a repository, before any repository rule narrows it. */
    public boolean permits(Action action) {
        return switch (action) {
            case READ -> atLeast(VIEWER);
            case WRITE -> atLeast(OPERATOR);
            case DELETE -> atLeast(ADMIN);
            // signing vouches for an image with the organisation's key: operators, and only where a rule grants it
            case SIGN -> atLeast(OPERATOR);
        };
    }
}
