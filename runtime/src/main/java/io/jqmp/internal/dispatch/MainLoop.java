package io.jqmp.internal.dispatch;

import java.util.concurrent.locks.ReentrantLock;
import org.jctools.queues.varhandle.MpscChunkedVarHandleArrayQueue;

/**
 * The {@code main-loop} role: runs in-band work one item at a time, in hand-over order, while
 * holding the big lock (the BQL).
 *
 * <p>The BQL is a plain {@link ReentrantLock} that an embedding program may take from its own
 * threads ({@link #bql()}) to exclude in-band handlers, exactly as code in QEMU takes the big
 * QEMU lock; while anyone else holds it, in-band work waits and out-of-band work does not.
 *
 * <p>Producers (any thread) call {@link #submit}; only the main-loop thread calls {@link #doWork}.
 */
public final class MainLoop extends QueueRole {
    /** Items run per duty cycle before the loop looks at its idle strategy again. */
    static final int DRAIN_LIMIT = 256;

    private final ReentrantLock bql = new ReentrantLock();

    /**
     * @param capacity the most items that may wait; connections bound their own share (at most
     *        their pending limit each), so the server sizes this to never fill up
     */
    public MainLoop(int capacity) {
        super(new MpscChunkedVarHandleArrayQueue<>(Math.min(1024, Math.max(2, capacity / 2)), Math.max(4, capacity)));
    }

    /** The big lock held while in-band work runs. */
    public ReentrantLock bql() {
        return bql;
    }

    /**
     * Hands one task to the main loop, which runs it with the BQL held after everything handed
     * over before it. Any thread; never blocks. Returns false (and counts it) if the queue is full.
     */
    public boolean submit(Runnable task) {
        return offer(task);
    }

    @Override
    public String roleName() {
        return "main-loop";
    }

    /** Main-loop thread only; may block for as long as a handler or a BQL holder makes it. */
    @Override
    public int doWork() {
        int done = 0;
        Runnable task;
        while (done < DRAIN_LIMIT && (task = queue.poll()) != null) {
            bql.lock();
            try {
                task.run();
            } finally {
                bql.unlock();
            }
            done++;
        }
        return done;
    }
}
