package io.jqmp.server;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The server-wide input budget ({@link QmpServerConfig.MemoryBudget#input()}): bytes that large
 * requests of all connections hold, from their first byte until they are answered. Readers
 * reserve before they read on ({@link InputAccount}); whoever finishes with a request releases.
 *
 * <p>Threading: any thread. {@link #tryReserve}, {@link #release} and {@link #wakeWaiters} never
 * block (atomic updates and unparks, no lock); only {@link #reserve} waits, and only while the
 * budget is used up.
 */
final class InputBudget {
    private final long limit;
    private final long waitNanos;
    private final AtomicLong used = new AtomicLong();
    /**
     * Readers waiting in {@link #reserve}. Releasers unpark them and take no lock: a release may
     * come from the monitor thread or the main loop, which must never wait for a reader that is
     * waiting for a carrier thread.
     */
    private final ConcurrentLinkedQueue<Thread> waiting = new ConcurrentLinkedQueue<>();
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
     * Returns false, having taken nothing, when the time ran out, {@code gone} became true or the
     * thread was interrupted (each checked whenever the waiter wakes; see {@link #wakeWaiters}).
     * Reader threads only.
     */
    boolean reserve(long bytes, BooleanSupplier gone) {
        if (tryReserve(bytes)) {
            return true;
        }
        waits.increment();
        long deadline = System.nanoTime() + waitNanos;
        Thread me = Thread.currentThread();
        waiting.add(me); // before looking again: a release from now on unparks this thread
        try {
            while (!tryReserve(bytes)) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || gone.getAsBoolean() || me.isInterrupted()) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
            }
            return true;
        } finally {
            waiting.remove(me);
        }
    }

    /** Gives {@code bytes} back and wakes waiting readers. Any thread; never blocks. */
    void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        used.addAndGet(-bytes);
        wakeWaiters();
    }

    /** Lets every waiting reader look again (after a release, or when a connection closes). Any thread; never blocks. */
    void wakeWaiters() {
        for (Thread t : waiting) {
            LockSupport.unpark(t);
        }
    }

    /** How long {@link #reserve} waits at most, in milliseconds (for messages). */
    long waitMillis() {
        return TimeUnit.NANOSECONDS.toMillis(waitNanos);
    }
}
