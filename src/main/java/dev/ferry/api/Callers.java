package dev.ferry.api;

/**
 * Who is calling. In local mode (no identity provider) every caller is {@code local}; secured mode will
 * take the token's subject.
 */
final class Callers {
    static final String LOCAL = "local";

    private Callers() {
    }

    static String current() {
        return LOCAL;
    }
}
