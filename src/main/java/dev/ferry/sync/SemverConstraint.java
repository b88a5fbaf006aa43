package dev.ferry.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A semantic-version constraint as skopeo's {@code images-by-semver} takes it (Masterminds semver syntax, the
 * common part): comparisons {@code = != > >= < <=}, tilde {@code ~1.2} (same minor), caret {@code ^1.2} (same
 * major; {@code ^0.2} same minor), a comma (or a space) between comparisons means AND, {@code ||} means OR.
 * Versions may omit minor and patch ({@code 1.2} is {@code 1.2.0}) and start with {@code v}. As in
 * Masterminds, a pre-release version only matches a comparison that names a pre-release itself.
 */
public final class SemverConstraint {
    private static final Pattern COMPARISON = Pattern.compile("(=|!=|>=|<=|>|<|~>?|\\^)?\\s*(v?[0-9][0-9A-Za-z.+-]*)");

    private enum Op { EQ, NE, GT, GE, LT, LE, TILDE, CARET }

    private record Comparison(Op op, Version version, int parts) {
        boolean matches(Version v) {
            if (v.prerelease() != null && version.prerelease() == null) {
                return false;
            }
            int c = v.compareTo(version);
            return switch (op) {
                case EQ -> c == 0;
                case NE -> c != 0;
                case GT -> c > 0;
                case GE -> c >= 0;
                case LT -> c < 0;
                case LE -> c <= 0;
                case TILDE -> c >= 0 && v.compareTo(tildeCeiling()) < 0;
                case CARET -> c >= 0 && v.compareTo(caretCeiling()) < 0;
            };
        }

        private Version tildeCeiling() {
            return parts == 1 ? new Version(version.major() + 1, 0, 0, null)
                    : new Version(version.major(), version.minor() + 1, 0, null);
        }

        private Version caretCeiling() {
            if (version.major() > 0 || parts == 1) {
                return new Version(version.major() + 1, 0, 0, null);
            }
            if (version.minor() > 0 || parts == 2) {
                return new Version(0, version.minor() + 1, 0, null);
            }
            return new Version(0, 0, version.patch() + 1, null);
        }
    }

    private final String text;
    private final List<List<Comparison>> alternatives;

    private SemverConstraint(String text, List<List<Comparison>> alternatives) {
        this.text = text;
        this.alternatives = alternatives;
    }

    /** @throws IllegalArgumentException saying what is wrong */
    public static SemverConstraint parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the constraint is empty");
        }
        List<List<Comparison>> alternatives = new ArrayList<>();
        for (String alternative : text.split("\\|\\|", -1)) {
            List<Comparison> all = new ArrayList<>();
            String rest = alternative.trim();
            while (!rest.isEmpty()) {
                Matcher m = COMPARISON.matcher(rest);
                if (!m.lookingAt()) {
                    throw new IllegalArgumentException("cannot read \"" + rest + "\" in \"" + text + "\"");
                }
                String v = m.group(2);
                Version version = Version.parse(v);
                if (version == null) {
                    throw new IllegalArgumentException("\"" + v + "\" is not a version in \"" + text + "\"");
                }
                int parts = v.replaceFirst("^v", "").split("[-+]", 2)[0].split("\\.").length;
                all.add(new Comparison(op(m.group(1)), version, parts));
                rest = rest.substring(m.end()).trim();
                if (rest.startsWith(",")) {
                    rest = rest.substring(1).trim();
                    if (rest.isEmpty()) {
                        throw new IllegalArgumentException("a comparison is missing after the last comma in \"" + text + "\"");
                    }
                }
            }
            if (all.isEmpty()) {
                throw new IllegalArgumentException("an empty alternative in \"" + text + "\"");
            }
            alternatives.add(all);
        }
        return new SemverConstraint(text, alternatives);
    }

    private static Op op(String s) {
        if (s == null) {
            return Op.EQ;
        }
        return switch (s) {
            case "=" -> Op.EQ;
            case "!=" -> Op.NE;
            case ">" -> Op.GT;
            case ">=" -> Op.GE;
            case "<" -> Op.LT;
            case "<=" -> Op.LE;
            case "^" -> Op.CARET;
            default -> Op.TILDE;
        };
    }

    /** Whether {@code tag} reads as a version that satisfies the constraint; tags that are no version never do. */
    public boolean matches(String tag) {
        Version v = Version.parse(tag);
        if (v == null) {
            return false;
        }
        for (List<Comparison> all : alternatives) {
            if (all.stream().allMatch(c -> c.matches(v))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }

    /** major.minor.patch[-prerelease][+build]; minor and patch may be left out, a leading v is allowed. */
    record Version(long major, long minor, long patch, String prerelease) implements Comparable<Version> {
        private static final Pattern FORM = Pattern.compile(
                "v?(0|[1-9][0-9]{0,17})(?:\\.(0|[1-9][0-9]{0,17}))?(?:\\.(0|[1-9][0-9]{0,17}))?"
                        + "(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?");

        static Version parse(String s) {
            Matcher m = FORM.matcher(s);
            if (!m.matches()) {
                return null;
            }
            return new Version(Long.parseLong(m.group(1)), m.group(2) == null ? 0 : Long.parseLong(m.group(2)),
                    m.group(3) == null ? 0 : Long.parseLong(m.group(3)), m.group(4));
        }

        @Override
        public int compareTo(Version o) {
            int c = Long.compare(major, o.major);
            if (c == 0) {
                c = Long.compare(minor, o.minor);
            }
            if (c == 0) {
                c = Long.compare(patch, o.patch);
            }
            if (c != 0) {
                return c;
            }
            if (prerelease == null || o.prerelease == null) {
                return prerelease == null ? (o.prerelease == null ? 0 : 1) : -1;
            }
            String[] a = prerelease.split("\\.");
            String[] b = o.prerelease.split("\\.");
            for (int i = 0; i < Math.min(a.length, b.length); i++) {
                boolean an = a[i].matches("[0-9]+");
                boolean bn = b[i].matches("[0-9]+");
                int d = an && bn ? new java.math.BigInteger(a[i]).compareTo(new java.math.BigInteger(b[i]))
                        : an ? -1 : bn ? 1 : a[i].compareTo(b[i]);
                if (d != 0) {
                    return d;
                }
            }
            return Integer.compare(a.length, b.length);
        }
    }
}
