package io.jqmp.server;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The server-wide output budget ({@link QmpServerConfig.MemoryBudget#output()}): bytes queued for
 * all connections and not yet written. Each {@link ConnectionWriter} adds what it queues and
 * subtracts what it writes or discards; when a message takes the sum over the budget, the
 * connection holding the most unread output is closed, until the sum fits again.
 *
 * <p>Threading: any thread. {@link #add} never blocks; the connection that goes over the budget
 * does the shedding, one shedder at a time (others go on: the one shedding brings the sum down
 * for them too).
 */
final class OutputBudget {
    private final long limit;
    private final Connections connections;
    private final AtomicLong queued = new AtomicLong();
    private final ReentrantLock shedding = new ReentrantLock();
    private final LongAdder disconnects = new LongAdder();

    OutputBudget(QmpServerConfig.MemoryBudget budget, Connections connections) {
        this.limit = budget.output();
        this.connections = connections;
    }

    long limit() {
        return limit;
    }

    /** Bytes queued over all connections now. */
    long queued() {
        return queued.get();
    }

    /** Connections closed because the output budget was used up. */
    long disconnects() {
        return disconnects.sum();
    }

    /** Counts {@code bytes} more queued; over the budget, closes the largest holders. Any thread. */
    void add(long bytes) {
        if (queued.addAndGet(bytes) > limit) {
            shed();
        }
    }

    /** Counts {@code bytes} written or discarded. Any thread; never blocks. */
    void remove(long bytes) {
        queued.addAndGet(-bytes);
    }

    private void shed() {
        if (!shedding.tryLock()) {
            return;
        }
        try {
            while (queued.get() > limit) {
                Connection largest = connections.largestUnreadOutput();
                if (largest == null) {
                    return;
                }
                long holds = largest.unreadOutput();
                disconnects.increment();
                // Closing discards the connection's queue and subtracts it from the sum at once.
                largest.close("the server's output budget of " + limit + " bytes is used up, and this client holds the "
                        + "most unread output (" + holds + " bytes): it is not reading");
            }
        } finally {
            shedding.unlock();
        }
    }
}
