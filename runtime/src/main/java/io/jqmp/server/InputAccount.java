package io.jqmp.server;

import java.util.function.BooleanSupplier;

/**
 * One connection's share of the {@link InputBudget}: what its reader has reserved for the request
 * it is reading. A request that stays at most {@link QmpServerConfig.MemoryBudget#SMALL_REQUEST}
 * reserves nothing; a larger one reserves as it grows, in steps, before the reader reads on, and
 * when it is complete its cost passes to the step that answers it ({@link #transfer}).
 *
 * <p>Threading: the connection's reader thread only.
 */
final class InputAccount {
    /** Reservations grow in steps of this much, so a large request takes the budget's lock rarely. */
    static final long STEP = 256 * 1024;

    private static final System.Logger LOG = System.getLogger(InputAccount.class.getName());

    private final long connectionId;
    private final InputBudget budget;
    private long reserved;
    private long waits;

    InputAccount(long connectionId, InputBudget budget) {
        this.connectionId = connectionId;
        this.budget = budget;
    }

    /**
     * Makes sure {@code cost} (what the request being read costs so far) is covered, waiting for
     * room when the budget is used up. Returns false when no room came in time or {@code gone}
     * holds; the caller closes the connection.
     */
    boolean cover(long cost, BooleanSupplier gone) {
        if (cost <= reserved || (reserved == 0 && cost <= QmpServerConfig.MemoryBudget.SMALL_REQUEST)) {
            return true;
        }
        long want = (cost - reserved + STEP - 1) / STEP * STEP;
        if (budget.tryReserve(want)) {
            reserved += want;
            return true;
        }
        waits++;
        LOG.log(System.Logger.Level.INFO, "QMP connection {0}: the input budget of {1} bytes is used up ({2} reserved);"
                + " stopped reading its request of {3} bytes of cost until others finish", connectionId, budget.limit(),
                budget.used(), cost);
        if (!budget.reserve(want, gone)) {
            return false;
        }
        reserved += want;
        return true;
    }

    /**
     * A request costing {@code cost} is complete: that much of the reservation now belongs to
     * whoever answers it, who releases it with {@link InputBudget#release}. Returns the amount
     * passed on (0 for a small request, which reserved nothing).
     */
    long transfer(long cost) {
        long t = Math.min(cost, reserved);
        reserved -= t;
        return t;
    }

    /** Gives back what the request now being read ({@code cost} so far) does not need. */
    void settle(long cost) {
        if (reserved == 0) {
            return;
        }
        long keep = cost <= QmpServerConfig.MemoryBudget.SMALL_REQUEST ? 0 : cost;
        if (reserved - keep >= STEP || keep == 0) {
            budget.release(reserved - keep);
            reserved = keep;
        }
    }

    /** The connection ends: gives everything back. */
    void close() {
        budget.release(reserved);
        reserved = 0;
    }

    long reserved() {
        return reserved;
    }

    /** Times this reader had to wait for room. */
    long waits() {
        return waits;
    }

    InputBudget budget() {
        return budget;
    }
}
