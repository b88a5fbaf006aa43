package dev.ferry.security;

import java.util.Locale;

/** What an operation does to one repository: the unit of the repository policy. */
public enum Action {
    /** inspect, list-tags, the source of a copy or sync */
    READ,
    /** the destination of a copy or sync */
    WRITE,
    /** delete */
    DELETE,
    /** sign an image at the destination with a key Ferry holds (signBy, signBySigstorePrivateKey, standalone-sign) */
    SIGN;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Action fromWire(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }
}
