package dev.ferry.job;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A job's life: queued → running → succeeded | failed | cancelled. */
public enum JobState {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public static JobState fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
