package io.jqmp.dispatch;

import java.util.concurrent.atomic.LongAdder;
import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;

/**
 * The {@code monitor} role: runs out-of-band work handed over by connection readers, on one
 * dedicated platform thread that never takes the big lock and never touches a socket.
 *
 * <p>Readers (any number of threads) call {@link #submitOob}; only the monitor thread calls
 * {@link #doWork}.
 */
public final class Monitor implements Role {
    /** Items drained per duty cycle, so one flooding client cannot starve the others. */
    static final int DRAIN_LIMIT = 64;

    private final MpscVarHandleArrayQueue<Runnable> queue;
    private final LongAdder failedOffers = new LongAdder();
    private volatile RoleRunner runner;

    public Monitor(int capacity) {
        this.queue = new MpscVarHandleArrayQueue<>(capacity);
    }

    /** Binds the runner that {@link #submitOob} wakes; called once before starting. */
    public void attach(RoleRunner runner) {
        this.runner = runner;
    }

    /**
     * Hands one out-of-band task to the monitor thread. Any thread; never blocks. Returns false
     * (and counts it) when the queue is full: the caller retries, it must not drop the request.
     */
    public boolean submitOob(Runnable task) {
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

    @Override
    public String roleName() {
        return "monitor";
    }

    /** Monitor thread only. Runs at most {@link #DRAIN_LIMIT} tasks. */
    @Override
    public int doWork() {
        return queue.drain(Runnable::run, DRAIN_LIMIT);
    }

    @Override
    public boolean hasWork() {
        return !queue.isEmpty();
    }
}
