package dev.ferry.limit;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * This replica's place among the live replicas of a shared store: its rank (0-based, by replica id) and how many
 * there are. Limits that must hold across the cluster (per-registry traffic rules) take their share from it:
 * {@link #of(int, int, int)}. One replica (the embedded store, or before the first heartbeat): rank 0 of 1, the
 * whole limit.
 */
@ApplicationScoped
public class ClusterShare {
    private volatile int rank;
    private volatile int members = 1;
    private final List<BiConsumer<Integer, Integer>> listeners = new CopyOnWriteArrayList<>();

    /**
     * A replica's share of a cluster-wide {@code limit} among {@code members} live replicas: the limit divided evenly,
     * the remainder to the lowest ranks, so the shares add up to the limit exactly. A limit smaller than the number of
     * replicas still gives every replica 1 (a share of 0 would stall every job there): the cluster then allows
     * {@code members} at once, not {@code limit}; configure a limit of at least the number of replicas.
     */
    public static int of(int limit, int rank, int members) {
        if (members <= 1) {
            return limit;
        }
        int share = limit / members + (rank < limit % members ? 1 : 0);
        return Math.max(1, share);
    }

    public int rank() {
        return rank;
    }

    public int members() {
        return members;
    }

    /** Records a new membership; listeners run when it changed. Returns whether it changed. */
    public boolean update(int newRank, int newMembers) {
        if (newMembers < 1 || newRank < 0 || newRank >= newMembers) {
            throw new IllegalArgumentException("rank " + newRank + " of " + newMembers);
        }
        synchronized (this) {
            if (newRank == rank && newMembers == members) {
                return false;
            }
            rank = newRank;
            members = newMembers;
        }
        listeners.forEach(l -> l.accept(newRank, newMembers));
        return true;
    }

    /** Runs {@code listener} with (rank, members) on every change. */
    public void onChange(BiConsumer<Integer, Integer> listener) {
        listeners.add(listener);
    }
}
