package dev.ferry.policy;

import java.time.Duration;
import java.time.Instant;

/**
 * When a policy's schedule is due: every {@code interval} (measured from the previous due time, so runs do not
 * drift with how long they take), or at the times a cron expression names (UTC). Pure: no clock of its own.
 */
public sealed interface Schedule {
    /** The first due time strictly after {@code t}. */
    Instant nextAfter(Instant t);

    /** The due time after {@code due} that is after {@code now} too: due times missed while nothing ran are not caught up. */
    default Instant nextAfter(Instant due, Instant now) {
        Instant next = nextAfter(due);
        return next.isAfter(now) ? next : nextAfter(now);
    }

    record Every(Duration interval) implements Schedule {
        public Every {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("must be positive");
            }
        }

        @Override
        public Instant nextAfter(Instant t) {
            return t.plus(interval);
        }

        @Override
        public Instant nextAfter(Instant due, Instant now) {
            Instant next = due.plus(interval);
            if (next.isAfter(now)) {
                return next;
            }
            // whole intervals from the previous due time, so the grid stays where it was
            long behind = Duration.between(due, now).toMillis() / interval.toMillis();
            return due.plus(interval.multipliedBy(behind + 1));
        }
    }

    record Cron(CronExpression expression) implements Schedule {
        @Override
        public Instant nextAfter(Instant t) {
            Instant next = expression.next(t);
            if (next == null) {
                throw new IllegalStateException("cron expression " + expression + " never fires");
            }
            return next;
        }
    }
}
