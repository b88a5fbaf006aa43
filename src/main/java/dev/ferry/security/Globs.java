package dev.ferry.security;

import java.util.Locale;
import java.util.regex.Pattern;

/** Case-insensitive glob patterns where {@code *} matches any run of characters (including {@code /} and {@code .}). */
final class Globs {
    private Globs() {
    }

    static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.trim().toLowerCase(Locale.ROOT).toCharArray()) {
            re.append(c == '*' ? ".*" : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString());
    }

    /** The same, but case-sensitive: for file paths, where {@code /srv/A} and {@code /srv/a} are different places. */
    static Pattern compileExact(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.trim().toCharArray()) {
            re.append(c == '*' ? ".*" : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString());
    }

    static boolean isGlob(String s) {
        return s.contains("*");
    }
}
