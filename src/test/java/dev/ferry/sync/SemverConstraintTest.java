package dev.ferry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SemverConstraintTest {
    private static final List<String> TAGS = List.of("0.9.0", "1.0.0", "1.2.0", "v1.2.5", "1.3", "1.10.0", "2.0.0-rc1",
            "2.0.0", "2.1.3", "3", "latest", "1.2.0.1", "01.2.3", "0.2.4", "0.2.9", "0.3.0", "0.0.3", "0.0.4");

    private static List<String> selected(String constraint) {
        SemverConstraint c = SemverConstraint.parse(constraint);
        return TAGS.stream().filter(c::matches).toList();
    }

    @Test
    void shouldAndCommaSeparatedComparisonsAndSkipTagsThatAreNoVersion() {
        assertEquals(List.of("1.2.0", "v1.2.5", "1.3", "1.10.0"), selected(">= 1.2.0, < 2"));
        assertEquals(List.of("1.2.0", "v1.2.5", "1.3", "1.10.0"), selected(">=1.2.0 <2"));
    }

    @Test
    void shouldOrAlternatives() {
        assertEquals(List.of("0.9.0", "3"), selected("< 1.0.0, >= 0.5 || >= 3"));
    }

    @Test
    void shouldCompareWithEqualAndNotEqual() {
        assertEquals(List.of("1.2.0"), selected("1.2.0"));
        assertEquals(List.of("1.2.0"), selected("=1.2"));
        assertEquals(List.of("1.0.0", "v1.2.5", "1.3", "1.10.0"), selected("!= 1.2.0, ^1"));
    }

    @Test
    void shouldReadTildeAsSameMinorAndCaretAsSameMajor() {
        assertEquals(List.of("1.2.0", "v1.2.5"), selected("~1.2.0"));
        assertEquals(List.of("1.0.0", "1.2.0", "v1.2.5", "1.3", "1.10.0"), selected("~1"));
        assertEquals(List.of("1.2.0", "v1.2.5", "1.3", "1.10.0"), selected("^1.2.0"));
        assertEquals(List.of("0.2.4", "0.2.9"), selected("^0.2.4"));
        assertEquals(List.of("0.0.3"), selected("^0.0.3"));
    }

    @Test
    void shouldMatchPrereleasesOnlyWhenTheConstraintNamesOne() {
        assertEquals(List.of("2.0.0", "2.1.3"), selected(">= 2.0.0, < 3"));
        assertEquals(List.of("2.0.0-rc1", "2.0.0", "2.1.3", "3"), selected(">= 2.0.0-rc0"));
        assertEquals(List.of("2.0.0", "2.1.3"), selected(">= 2.0.0-rc0, < 3"), "per comparison, as Masterminds semver");
    }

    @Test
    void shouldRefuseWhatIsNoConstraint() {
        Stream.of("", "  ", ">= banana", ">= 1,", "1 ||", "=> 1", "1.2.3.4").forEach(bad ->
                assertThrows(IllegalArgumentException.class, () -> SemverConstraint.parse(bad), bad));
    }
}
