package io.jqmp.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The server-wide input budget ({@link QmpServerConfig.MemoryBudget#input()}): bytes that large
 * requests of all connections hold, from their first byte until they are answered. Readers
 * reserve before they read on ({@link InputAccount}); whoever finishes with a request releases.
 *
 * <p>Threading: any thread. {@link #tryReserve} and {@link #release} never block (one atomic
 * update); only {@link #reserve} waits, and only while the budget is used up.
 */
final class InputBudget {
    private final long limit;
    private final long waitNanos;
    private final AtomicLong used = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    /** Readers waiting in {@link #reserve}; releases signal only when there are some. */
    private final AtomicLong waiting = new AtomicLong();
    private final LongAdder waits = new LongAdder();

    InputBudget(QmpServerConfig.MemoryBudget budget) {
        this.limit = budget.input();
        this.waitNanos = budget.inputWait().toNanos();
    }

    long limit() {
        return limit;
    }

    /** Bytes reserved now. */
    long used() {
        return used.get();
    }

    /** Times a reader had to wait for room. */
    long waits() {
        return waits.sum();
    }

    /** Takes {@code bytes} if they fit now. Any thread; never blocks. */
    boolean tryReserve(long bytes) {
        long u;
        do {
            u = used.get();
            if (u + bytes > limit) {
                return false;
            }
        } while (!used.compareAndSet(u, u + bytes));
        return true;
    }

    /**
     * Takes {@code bytes}, waiting up to the configured time for others to release enough.
     * Returns false, having taken nothing, when the time ran out or {@code gone} became true
     * (checked whenever the waiter wakes; see {@link #wakeWaiters}). Reader threads only.
     */
    boolean reserve(long bytes, BooleanSupplier gone) {
        if (tryReserve(bytes)) {
            return true;
        }
        waits.increment();
        long deadline = System.nanoTime() + waitNanos;
        lock.lock();
        waiting.incrementAndGet();
        try {
            while (!tryReserve(bytes)) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || gone.getAsBoolean()) {
                    return false;
                }
                freed.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            waiting.decrementAndGet();
            lock.unlock();
        }
    }

    /** Gives {@code bytes} back and wakes waiting readers. Any thread; never blocks for long. */
    void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        used.addAndGet(-bytes);
        wakeWaiters();
    }

    /** Lets every waiting reader look again (after a release, or when a connection closes). Any thread. */
    void wakeWaiters() {
        if (waiting.get() > 0) {
            lock.lock();
            try {
                freed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** How long {@link #reserve} waits at most, in milliseconds (for messages). */
    long waitMillis() {
        return TimeUnit.NANOSECONDS.toMillis(waitNanos);
    }
}
