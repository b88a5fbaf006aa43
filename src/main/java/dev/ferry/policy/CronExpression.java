package dev.ferry.policy;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;

/**
 * A 5-field cron expression, as crontab(5) reads it: {@code minute hour day-of-month month day-of-week}, each a
 * {@code *}, a number, a range {@code a-b}, a step {@code * /n} or {@code a-b/n}, or a comma list of those; month and
 * day-of-week also take names ({@code JAN}, {@code MON}); day-of-week 0 and 7 are Sunday. When both day-of-month and
 * day-of-week are restricted, a day matching either fires (Vixie cron). Evaluated in UTC. Pure: no I/O, no clock.
 */
public final class CronExpression {
    private static final Map<String, Integer> MONTHS = Map.ofEntries(Map.entry("JAN", 1), Map.entry("FEB", 2),
            Map.entry("MAR", 3), Map.entry("APR", 4), Map.entry("MAY", 5), Map.entry("JUN", 6), Map.entry("JUL", 7),
            Map.entry("AUG", 8), Map.entry("SEP", 9), Map.entry("OCT", 10), Map.entry("NOV", 11), Map.entry("DEC", 12));
    private static final Map<String, Integer> DAYS = Map.of("SUN", 0, "MON", 1, "TUE", 2, "WED", 3, "THU", 4, "FRI", 5, "SAT", 6);
    /** Far enough for any satisfiable expression (Feb 29 on a given weekday recurs within 28 years). */
    private static final int MAX_YEARS = 30;

    private final String text;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean domRestricted;
    private final boolean dowRestricted;

    private CronExpression(String text, BitSet minutes, BitSet hours, BitSet daysOfMonth, BitSet months, BitSet daysOfWeek,
                           boolean domRestricted, boolean dowRestricted) {
        this.text = text;
        this.minutes = minutes;
        this.hours = hours;
        this.daysOfMonth = daysOfMonth;
        this.months = months;
        this.daysOfWeek = daysOfWeek;
        this.domRestricted = domRestricted;
        this.dowRestricted = dowRestricted;
    }

    /** Parses an expression; throws IllegalArgumentException naming the field that is wrong. */
    public static CronExpression parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("is empty; give 5 fields: minute hour day-of-month month day-of-week");
        }
        String[] f = text.trim().split("\\s+");
        if (f.length != 5) {
            throw new IllegalArgumentException("has " + f.length + " fields; give 5: minute hour day-of-month month day-of-week");
        }
        BitSet dow = field("day-of-week", f[4], 0, 7, DAYS);
        if (dow.get(7)) {
            dow.set(0);
            dow.clear(7);
        }
        CronExpression c = new CronExpression(text.trim(), field("minute", f[0], 0, 59, Map.of()), field("hour", f[1], 0, 23, Map.of()),
                field("day-of-month", f[2], 1, 31, Map.of()), field("month", f[3], 1, 12, MONTHS), dow,
                !f[2].startsWith("*"), !f[4].startsWith("*"));
        if (c.next(Instant.EPOCH) == null) {
            throw new IllegalArgumentException("never fires (no such day in any month it names)");
        }
        return c;
    }

    private static BitSet field(String name, String spec, int min, int max, Map<String, Integer> names) {
        BitSet out = new BitSet(max + 1);
        for (String part : spec.split(",", -1)) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException(name + ": empty list element in '" + spec + "'");
            }
            int step = 1;
            String range = part;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                step = number(name, part.substring(slash + 1), 1, max - min + 1, Map.of());
                range = part.substring(0, slash);
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = min;
                to = max;
            } else {
                int dash = range.indexOf('-');
                if (dash > 0) {
                    from = number(name, range.substring(0, dash), min, max, names);
                    to = number(name, range.substring(dash + 1), min, max, names);
                    if (to < from) {
                        throw new IllegalArgumentException(name + ": range " + range + " goes backwards");
                    }
                } else {
                    from = number(name, range, min, max, names);
                    to = slash >= 0 ? max : from;
                }
            }
            for (int v = from; v <= to; v += step) {
                out.set(v);
            }
        }
        return out;
    }

    private static int number(String name, String s, int min, int max, Map<String, Integer> names) {
        Integer named = names.get(s.toUpperCase(Locale.ROOT));
        if (named != null) {
            return named;
        }
        if (!s.matches("[0-9]{1,2}")) {
            throw new IllegalArgumentException(name + ": '" + s + "' is not a number" + (names.isEmpty() ? "" : " or a name"));
        }
        int v = Integer.parseInt(s);
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + ": " + v + " is outside " + min + "-" + max);
        }
        return v;
    }

    private boolean dayMatches(LocalDate d) {
        boolean dom = daysOfMonth.get(d.getDayOfMonth());
        boolean dow = daysOfWeek.get(d.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : d.getDayOfWeek().getValue());
        if (domRestricted && dowRestricted) {
            return dom || dow;
        }
        return dom && dow;
    }

    /** The first time strictly after {@code after} (whole minutes, UTC) that the expression names; null if none. */
    public Instant next(Instant after) {
        LocalDateTime t = LocalDateTime.ofInstant(after, ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        LocalDateTime limit = t.plusYears(MAX_YEARS);
        while (t.isBefore(limit)) {
            if (!months.get(t.getMonthValue())) {
                t = t.withDayOfMonth(1).withHour(0).withMinute(0).plusMonths(1);
                continue;
            }
            if (!dayMatches(t.toLocalDate())) {
                t = t.withHour(0).withMinute(0).plusDays(1);
                continue;
            }
            if (!hours.get(t.getHour())) {
                t = t.withMinute(0).plusHours(1);
                continue;
            }
            int m = minutes.nextSetBit(t.getMinute());
            if (m < 0) {
                t = t.withMinute(0).plusHours(1);
                continue;
            }
            return t.withMinute(m).toInstant(ZoneOffset.UTC);
        }
        return null;
    }

    @Override
    public String toString() {
        return text;
    }
}
