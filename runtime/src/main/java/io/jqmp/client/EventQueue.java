package io.jqmp.client;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Events of a {@link QmpClient} to take at your own pace (a pull listener, as qemu.qmp's
 * {@code EventListener}): the client's reader appends every event that the filter accepts, in
 * wire order, before it handles the next message; so when a command's answer has arrived, every
 * event the server sent before that answer is already in the queue:
 *
 * <pre>{@code
 * try (EventQueue stops = qmp.listen("STOP")) {
 *     qmp.call("stop", null);
 *     QmpEvent stop = stops.poll(Duration.ZERO);   // already here: QEMU sends STOP before the answer
 * }
 * }</pre>
 *
 * <p>The queue is bounded (the client's {@code eventBufferCapacity}); when it is full, new events
 * are dropped for it and counted in {@link #dropped()}, so a queue nobody empties cannot grow
 * without bound or stall the client. Once the connection has ended and the queue is empty,
 * {@link #take()} and {@link #poll(Duration)} throw the connection's {@link QmpConnectionException}.
 *
 * <p>Threading: all methods are thread-safe; {@code take} and {@code poll} block the calling
 * thread (fine on a virtual thread), the others never block.
 */
public final class EventQueue implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventQueue.class.getName());

    private final Predicate<QmpEvent> filter;
    private final int capacity;
    private final Runnable onClose;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<QmpEvent> events = new ArrayDeque<>();
    private long dropped;                  // guarded by lock
    private QmpConnectionException ended;  // guarded by lock
    private boolean closed;                // guarded by lock

    EventQueue(Predicate<QmpEvent> filter, int capacity, Runnable onClose) {
        this.filter = filter;
        this.capacity = capacity;
        this.onClose = onClose;
    }

    /** Reader thread: appends {@code event} if the filter accepts it and there is room. */
    void offer(QmpEvent event) {
        try {
            if (!filter.test(event)) {
                return;
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "event filter threw on " + event.name(), e);
            return;
        }
        lock.lock();
        try {
            if (closed || ended != null) {
                return;
            }
            if (events.size() >= capacity) {
                dropped++;
                return;
            }
            events.add(event);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Any thread: the connection ended; waiting takers wake once the queue is empty. */
    void end(QmpConnectionException cause) {
        lock.lock();
        try {
            if (ended == null) {
                ended = cause;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the oldest event, waiting as long as it takes for one.
     *
     * @return the event
     * @throws QmpConnectionException the connection has ended and no event is left
     * @throws InterruptedException   the calling thread was interrupted while waiting
     * @throws IllegalStateException  this queue was closed
     */
    public QmpEvent take() throws QmpConnectionException, InterruptedException {
        lock.lock();
        try {
            while (events.isEmpty()) {
                checkOpen();
                changed.await();
            }
            return events.poll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the oldest event, waiting at most {@code timeout} for one ({@link Duration#ZERO}: do
     * not wait).
     *
     * @param timeout how long to wait
     * @return the event, or {@code null} if none came in time
     * @throws QmpConnectionException the connection has ended and no event is left
     * @throws InterruptedException   the calling thread was interrupted while waiting
     * @throws IllegalStateException  this queue was closed
     */
    public QmpEvent poll(Duration timeout) throws QmpConnectionException, InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (events.isEmpty()) {
                checkOpen();
                if (nanos <= 0) {
                    return null;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return events.poll();
        } finally {
            lock.unlock();
        }
    }

    private void checkOpen() throws QmpConnectionException {
        if (closed) {
            throw new IllegalStateException("the event queue is closed");
        }
        if (ended != null) {
            throw ended;
        }
    }

    /**
     * Takes every event queued now, oldest first; never waits.
     *
     * @return the events, possibly none
     */
    public List<QmpEvent> drain() {
        lock.lock();
        try {
            List<QmpEvent> out = new ArrayList<>(events);
            events.clear();
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Events dropped because this queue was full.
     *
     * @return the count so far
     */
    public long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops queueing: the client forgets this queue and threads waiting in {@code take} or
     * {@code poll} get an {@link IllegalStateException}. Idempotent; never blocks for long.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            events.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        onClose.run();
    }
}
