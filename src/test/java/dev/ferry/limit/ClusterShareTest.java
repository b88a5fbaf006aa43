package dev.ferry.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterShareTest {

    @Test
    void shouldSplitALimitSoTheSharesAddUpToItWithTheRemainderToTheLowestRanks() {
        assertEquals(List.of(3, 3, 2), shares(8, 3));
        assertEquals(List.of(4, 4), shares(8, 2));
        assertEquals(List.of(8), shares(8, 1));
        assertEquals(List.of(2, 2, 2, 2, 1, 1, 1), shares(11, 7));
        for (int limit = 1; limit <= 40; limit++) {
            for (int n = 1; n <= limit; n++) {
                assertEquals(limit, shares(limit, n).stream().mapToInt(Integer::intValue).sum(), limit + " over " + n);
            }
        }
    }

    @Test
    void shouldGiveEveryReplicaAtLeastOneWhenTheLimitIsBelowTheReplicaCount() {
        assertEquals(List.of(1, 1, 1), shares(2, 3), "documented: the cluster then allows one per replica");
    }

    @Test
    void shouldHandPermitsToWaitersWhenTheLimitGrowsAndHoldNewOnesBackWhenItShrinks() {
        AsyncPermits permits = new AsyncPermits(4);
        List<Runnable> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            held.add(permits.acquire().result());
        }
        permits.setLimit(2);
        Future<Runnable> waiting = permits.acquire();
        held.remove(0).run();
        held.remove(0).run();
        assertFalse(waiting.isComplete(), "two still out under a limit of two: the waiter waits");
        held.remove(0).run();
        assertTrue(waiting.isComplete(), "one out: the waiter gets the second");
        assertEquals(2, permits.inUse());
        Future<Runnable> third = permits.acquire();
        Future<Runnable> fourth = permits.acquire();
        assertFalse(third.isComplete());
        permits.setLimit(4);
        assertTrue(third.isComplete() && fourth.isComplete(), "a raised limit hands permits out at once");
        assertEquals(4, permits.inUse());
    }

    @Test
    void shouldApplyANewRateFromNowOn() {
        TokenBucket bucket = new TokenBucket(10, 5, 0);
        bucket.setRate(1, 1, 0);
        assertEquals(0, bucket.tryTake(0), "one token kept of the five");
        assertTrue(bucket.tryTake(0) > 0, "the bucket holds at most one now");
        assertEquals(0, bucket.tryTake(1_000_000_000L), "refilled at one per second");
        assertTrue(bucket.tryTake(1_500_000_000L) > 0);
    }

    private static List<Integer> shares(int limit, int n) {
        List<Integer> out = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            out.add(ClusterShare.of(limit, r, n));
        }
        return out;
    }
}
