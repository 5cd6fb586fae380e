package io.jqmp.internal.dispatch;

import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;

/**
 * The {@code monitor} role: runs out-of-band work handed over by connection readers, on one
 * dedicated platform thread that never takes the big lock and never touches a socket.
 *
 * <p>Readers (any number of threads) call {@link #submitOob}; only the monitor thread calls
 * {@link #doWork}.
 */
public final class Monitor extends QueueRole {
    /** Items drained per duty cycle, so one flooding client cannot starve the others. */
    static final int DRAIN_LIMIT = 64;

    public Monitor(int capacity) {
        super(new MpscVarHandleArrayQueue<>(capacity));
    }

    /**
     * Hands one out-of-band task to the monitor thread. Any thread; never blocks. Returns false
     * (and counts it) when the queue is full: the caller retries, it must not drop the request.
     */
    public boolean submitOob(Runnable task) {
        return offer(task);
    }

    @Override
    public String roleName() {
        return "monitor";
    }

    /** Monitor thread only. Runs at most {@link #DRAIN_LIMIT} tasks; must not block. */
    @Override
    public int doWork() {
        return queue.drain(Runnable::run, DRAIN_LIMIT);
    }
}
