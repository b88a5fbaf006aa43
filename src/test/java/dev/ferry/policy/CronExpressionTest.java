package dev.ferry.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CronExpressionTest {
    private static Instant at(String s) {
        return Instant.parse(s);
    }

    private static Instant next(String cron, String after) {
        return CronExpression.parse(cron).next(at(after));
    }

    @Test
    void shouldFireEveryMinuteOnTheNextWholeMinute() {
        assertEquals(at("2026-12-01T23:06:00Z"), next("* * * * *", "2026-12-01T23:05:00Z"));
        assertEquals(at("2026-12-01T23:06:00Z"), next("* * * * *", "2026-12-01T23:05:59.999Z"));
    }

    @Test
    void shouldStepRangesAndLists() {
        assertEquals(at("2026-12-01T23:15:00Z"), next("*/15 * * * *", "2026-12-01T23:05:00Z"));
        assertEquals(at("2026-12-02T00:00:00Z"), next("*/15 * * * *", "2026-12-01T23:45:00Z"));
        assertEquals(at("2026-12-01T23:20:00Z"), next("10-30/10 * * * *", "2026-12-01T23:10:00Z"));
        assertEquals(at("2026-12-02T01:05:00Z"), next("5 1,13 * * *", "2026-12-01T23:10:00Z"));
        assertEquals(at("2026-12-01T13:05:00Z"), next("5 1,13 * * *", "2026-12-01T01:05:00Z"));
    }

    @Test
    void shouldRollOverMonthsAndYears() {
        assertEquals(at("2027-01-01T00:00:00Z"), next("0 0 1 1 *", "2026-12-01T23:05:00Z"));
        assertEquals(at("2027-02-28T04:30:00Z"), next("30 4 28 feb *", "2026-12-01T23:05:00Z"));
        // Feb 29 exists in 2028 only
        assertEquals(at("2028-02-29T00:00:00Z"), next("0 0 29 2 *", "2026-12-01T23:05:00Z"));
    }

    @Test
    void shouldReadDaysOfWeekWithSundayAsZeroOrSevenAndNames() {
        // 2026-12-01 is a Tuesday
        assertEquals(at("2026-12-06T09:00:00Z"), next("0 9 * * 0", "2026-12-01T23:05:00Z"));
        assertEquals(at("2026-12-06T09:00:00Z"), next("0 9 * * 7", "2026-12-01T23:05:00Z"));
        assertEquals(at("2026-12-04T09:00:00Z"), next("0 9 * * FRI", "2026-12-01T23:05:00Z"));
        assertEquals(at("2026-12-02T09:00:00Z"), next("0 9 * * mon-fri", "2026-12-01T23:05:00Z"));
    }

    @Test
    void shouldFireOnEitherDayWhenBothDayFieldsAreRestricted() {
        // the 15th, or any Friday (Vixie cron): Friday Dec 4 comes first
        assertEquals(at("2026-12-04T00:00:00Z"), next("0 0 15 * 5", "2026-12-01T23:05:00Z"));
        assertEquals(at("2026-12-15T00:00:00Z"), next("0 0 15 * 5", "2026-12-11T00:00:00Z"));
    }

    @Test
    void shouldRefuseMalformedExpressionsNamingTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("* * * *")).getMessage().contains("4 fields"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("60 * * * *")).getMessage().contains("minute"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("* 24 * * *")).getMessage().contains("hour"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("* * 0 * *")).getMessage().contains("day-of-month"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("* * * 13 *")).getMessage().contains("month"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("* * * * 8")).getMessage().contains("day-of-week"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("*/0 * * * *")).getMessage().contains("minute"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("5-1 * * * *")).getMessage().contains("backwards"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("a * * * *")).getMessage().contains("not a number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("0 0 31 2 *")).getMessage().contains("never"));
        assertThrows(IllegalArgumentException.class, () -> CronExpression.parse("1,,2 * * * *"));
        assertThrows(IllegalArgumentException.class, () -> CronExpression.parse(""));
    }

    @Test
    void shouldKeepAnIntervalScheduleOnItsGridWithoutCatchingUp() {
        Schedule every = new Schedule.Every(Duration.ofSeconds(2));
        Instant due = at("2026-12-01T23:00:00Z");
        assertEquals(at("2026-12-01T23:00:02Z"), every.nextAfter(due, at("2026-12-01T23:00:01Z")));
        // 7 s late: the missed due times are not caught up, the next one stays on the 2 s grid
        assertEquals(at("2026-12-01T23:00:08Z"), every.nextAfter(due, at("2026-12-01T23:00:07Z")));
        assertEquals(at("2026-12-01T23:00:10Z"), every.nextAfter(due, at("2026-12-01T23:00:08Z")));
        Schedule cron = new Schedule.Cron(CronExpression.parse("*/5 * * * *"));
        assertEquals(at("2026-12-01T23:15:00Z"), cron.nextAfter(at("2026-12-01T23:00:00Z"), at("2026-12-01T23:12:00Z")));
    }
}
