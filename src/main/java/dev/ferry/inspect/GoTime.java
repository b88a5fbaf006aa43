package dev.ferry.inspect;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Formats timestamps the way Go's {@code time.Time} marshals them (RFC 3339 with the fraction's
 * trailing zeros dropped, {@code Z} for UTC), so Ferry prints what skopeo prints.
 */
final class GoTime {
    private static final DateTimeFormatter BASE = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    private GoTime() {
    }

    /** The Go rendering of an RFC 3339 timestamp, or null if it does not parse. */
    static String format(String rfc3339) {
        if (rfc3339 == null) {
            return null;
        }
        OffsetDateTime t;
        try {
            t = OffsetDateTime.parse(rfc3339, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        } catch (DateTimeParseException e) {
            return null;
        }
        StringBuilder sb = new StringBuilder(BASE.format(t));
        int nanos = t.getNano();
        if (nanos != 0) {
            String frac = String.format("%09d", nanos);
            int end = frac.length();
            while (end > 0 && frac.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(frac, 0, end);
        }
        ZoneOffset offset = t.getOffset();
        sb.append(offset.getTotalSeconds() == 0 ? "Z" : offset.getId());
        return sb.toString();
    }
}
