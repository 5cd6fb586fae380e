package io.jqmp.internal.dispatch;

import java.util.concurrent.atomic.LongAdder;
import org.jctools.queues.MessagePassingQueue;

/**
 * A role fed through one MPSC queue: producers on any thread {@link #offer} tasks, the role's
 * thread drains them. Offering never blocks; a full queue is counted and reported to the caller.
 */
abstract class QueueRole implements Role {
    final MessagePassingQueue<Runnable> queue;
    private final LongAdder failedOffers = new LongAdder();
    private volatile RoleRunner runner;

    QueueRole(MessagePassingQueue<Runnable> queue) {
        this.queue = queue;
    }

    /** Binds the runner that {@link #offer} wakes; called once before starting. */
    public void attach(RoleRunner runner) {
        this.runner = runner;
    }

    /** Any thread; never blocks. False (and counted) when the queue is full. */
    final boolean offer(Runnable task) {
        if (!queue.offer(task)) {
            failedOffers.increment();
            return false;
        }
        RoleRunner r = runner;
        if (r != null) {
            r.wake();
        }
        return true;
    }

    /** Offers that found the queue full. */
    public long failedOffers() {
        return failedOffers.sum();
    }

    /** Whether the calling thread is this role's thread. */
    public boolean onRoleThread() {
        RoleRunner r = runner;
        return r != null && r.thread() == Thread.currentThread();
    }

    @Override
    public boolean hasWork() {
        return !queue.isEmpty();
    }
}
