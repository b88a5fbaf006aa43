package dev.ferry.sync;

import dev.ferry.error.FerryException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The filters a sync applies on top of each source's own selection (regex, semver), and what a re-run and a prune
 * need to know: exclusions, the newest N, a maximum age, immutable tags, pruning, and a retry's list of images.
 * The pure parts (names, versions) are here; creation times are read by {@link Syncer} only when a filter needs them.
 *
 * @param exclude   tags matching this (unanchored) are never selected
 * @param latest    keep only the newest N of the selected tags, or null
 * @param byCreated newest by the image config's {@code created} (true) or by version (false)
 * @param maxAge    only images created within this long, or null
 * @param immutable patterns (whole tag) of tags that never change once pushed
 * @param prune     delete at the destination the in-scope tags the source no longer has
 * @param pruneMax  most tags deleted per run
 * @param only      only these source images (transport names), or null for all
 */
public record TagFilters(Pattern exclude, Integer latest, boolean byCreated, Duration maxAge, List<Pattern> immutable,
                         boolean prune, int pruneMax, Set<String> only) {
    public static final int DEFAULT_PRUNE_MAX = 10;
    public static final TagFilters NONE = new TagFilters(null, null, false, null, List.of(), false, DEFAULT_PRUNE_MAX, null);

    /** Validates the request's filter fields (400 naming the field). */
    public static TagFilters of(SyncRequest r) {
        Pattern exclude = null;
        if (r.excludeRegex() != null) {
            exclude = compile("excludeRegex", r.excludeRegex());
        }
        if (r.latest() != null && (r.latest() < 1 || r.latest() > 10_000)) {
            throw FerryException.invalidField("latest", "must be between 1 and 10000");
        }
        boolean byCreated = false;
        if (r.latestBy() != null) {
            if (r.latest() == null) {
                throw FerryException.invalidField("latestBy", "needs latest");
            }
            switch (r.latestBy()) {
                case "semver" -> byCreated = false;
                case "created" -> byCreated = true;
                default -> throw FerryException.invalidField("latestBy", "must be semver or created");
            }
        }
        Duration maxAge = r.maxAge() == null ? null : duration("maxAge", r.maxAge());
        List<Pattern> immutable = new ArrayList<>();
        if (r.immutableTags() != null) {
            if (r.immutableTags().size() > 100) {
                throw FerryException.invalidField("immutableTags", "at most 100 patterns");
            }
            for (String p : r.immutableTags()) {
                if (p == null || p.isEmpty()) {
                    throw FerryException.invalidField("immutableTags", "an empty pattern would match nothing useful");
                }
                immutable.add(compile("immutableTags", p));
            }
        }
        int pruneMax = DEFAULT_PRUNE_MAX;
        if (r.pruneMax() != null) {
            if (!Boolean.TRUE.equals(r.prune())) {
                throw FerryException.invalidField("pruneMax", "needs prune: true");
            }
            if (r.pruneMax() < 1 || r.pruneMax() > 10_000) {
                throw FerryException.invalidField("pruneMax", "must be between 1 and 10000");
            }
            pruneMax = r.pruneMax();
        }
        Set<String> only = null;
        if (r.onlyImages() != null) {
            if (r.onlyImages().isEmpty() || r.onlyImages().size() > 10_000) {
                throw FerryException.invalidField("onlyImages", "must list 1 to 10000 source images");
            }
            only = Set.copyOf(r.onlyImages());
        }
        return new TagFilters(exclude, r.latest(), byCreated, maxAge, List.copyOf(immutable), Boolean.TRUE.equals(r.prune()), pruneMax, only);
    }

    private static Pattern compile(String field, String re) {
        try {
            return Pattern.compile(re);
        } catch (PatternSyntaxException e) {
            throw FerryException.invalidField(field, "is not a valid regular expression: " + e.getDescription());
        }
    }

    /** {@code 30s}, {@code 5m}, {@code 12h}, {@code 30d}, or ISO-8601 ({@code PT5M}, {@code P30D}); positive. */
    public static Duration duration(String field, String text) {
        String t = text.trim();
        Duration d;
        try {
            var m = java.util.regex.Pattern.compile("([0-9]{1,9})(ms|s|m|h|d)").matcher(t);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            } else if (t.startsWith("P") && t.contains("T")) {
                d = Duration.parse(t);
            } else if (t.startsWith("P")) {
                java.time.Period p = java.time.Period.parse(t);
                if (p.getYears() != 0 || p.getMonths() != 0) {
                    throw new IllegalArgumentException("months and years have no fixed length");
                }
                d = Duration.ofDays(p.getDays());
            } else {
                throw new IllegalArgumentException();
            }
        } catch (RuntimeException e) {
            throw FerryException.invalidField(field, "must be a duration such as 30s, 5m, 12h, 30d or PT5M");
        }
        if (d.isNegative() || d.isZero()) {
            throw FerryException.invalidField(field, "must be positive");
        }
        return d;
    }

    /** Whether a tag read from the source passes the exclusion (the source's own selection is checked before). */
    public boolean keeps(String tag) {
        return exclude == null || !exclude.matcher(tag).find();
    }

    /** Whether selecting needs each tag's creation time (one config read per tag). */
    public boolean needsCreated() {
        return maxAge != null || (latest != null && byCreated);
    }

    public boolean isImmutable(String tag) {
        return tag != null && immutable.stream().anyMatch(p -> p.matcher(tag).matches());
    }

    /**
     * The tags that pass the age and latest-N filters, in the source's order. {@code created}: each tag's creation
     * time (null when unknown: never "newer", and too old for any maxAge), or null when not needed.
     */
    public List<String> newest(List<String> tags, Map<String, Instant> created, Instant now) {
        List<String> kept = new ArrayList<>(tags);
        if (maxAge != null) {
            Instant cutoff = now.minus(maxAge);
            kept.removeIf(t -> created.get(t) == null || created.get(t).isBefore(cutoff));
        }
        if (latest == null) {
            return kept;
        }
        List<String> ranked = new ArrayList<>(kept);
        if (byCreated) {
            ranked.sort(Comparator.comparing((String t) -> created.getOrDefault(t, Instant.MIN)).reversed().thenComparing(Comparator.reverseOrder()));
        } else {
            ranked.removeIf(t -> SemverConstraint.Version.parse(t) == null);
            ranked.sort(Comparator.comparing((String t) -> SemverConstraint.Version.parse(t)).reversed().thenComparing(Comparator.naturalOrder()));
        }
        Set<String> top = Set.copyOf(ranked.subList(0, Math.min(latest, ranked.size())));
        return kept.stream().filter(top::contains).toList();
    }
}
