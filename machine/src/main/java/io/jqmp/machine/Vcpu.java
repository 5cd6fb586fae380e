package io.jqmp.machine;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The simulated vCPU: a platform thread named {@code vcpu} that, while the machine runs, adds
 * to a pseudo-random long in a pseudo-random page, {@code rate} pages per second, which dirties
 * them for migration. On a postcopy destination it waits for a page that has not arrived.
 *
 * <p>Threading: {@link #pause()}, {@link #resume()} and {@link #close()} may be called from any
 * thread; {@code pause()} returns once no write is in progress and none will start, but never
 * waits for a page.
 */
final class Vcpu {
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final GuestMemory memory;
    private final long rate;
    private final SplittableRandom random;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean running;
    private boolean closed;

    Vcpu(GuestMemory memory, long pagesPerSecond, long seed) {
        this.memory = memory;
        this.rate = pagesPerSecond;
        this.random = new SplittableRandom(seed);
    }

    /** Starts the {@code vcpu} thread, through the machine so that its death stops the server. */
    void start(Machine machine) {
        machine.startThread("vcpu", this::run);
    }

    /** Stops writing; returns when no write is in progress. */
    void pause() {
        lock.lock();
        try {
            running = false;
        } finally {
            lock.unlock();
        }
    }

    void resume() {
        lock.lock();
        try {
            running = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        double owed = 0;
        long last = System.nanoTime();
        try {
            while (awaitRunning()) {
                long now = System.nanoTime();
                owed = Math.min(owed + rate * (now - last) / 1e9, rate + 1.0);
                last = now;
                while (owed >= 1) {
                    owed -= 1;
                    int p = random.nextInt(memory.pageCount());
                    int offset = random.nextInt(GuestMemory.PAGE_SIZE / 8) * 8;
                    memory.awaitPage(p); // may block on a postcopy destination, holding nothing
                    lock.lock();
                    try {
                        if (!running || closed) {
                            break;
                        }
                        memory.addLong(p, offset, 1);
                    } finally {
                        lock.unlock();
                    }
                }
                lock.lock();
                try {
                    if (running && !closed) {
                        changed.awaitNanos(TICK_NANOS);
                    }
                } finally {
                    lock.unlock();
                }
            }
        } catch (InterruptedException | IllegalStateException e) {
            // closed: the machine is going away
        }
    }

    /** Waits until running (true) or closed (false). */
    private boolean awaitRunning() throws InterruptedException {
        lock.lock();
        try {
            while (!closed && (!running || rate == 0)) {
                changed.await();
            }
            return !closed;
        } finally {
            lock.unlock();
        }
    }
}
