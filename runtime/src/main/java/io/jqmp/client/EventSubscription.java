package io.jqmp.client;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One event listener of a {@link QmpClient}: a filter, a bounded buffer and its own delivery
 * thread (virtual). The client's reader only offers events to the buffer and never waits, so a
 * slow listener cannot delay command answers or other listeners; when the buffer is full the
 * event is dropped for this listener, counted in {@link #dropped()} and logged.
 *
 * <p>Threading: all methods are thread-safe. The listener is called on this subscription's
 * delivery thread, one event at a time, in arrival order.
 */
public final class EventSubscription implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventSubscription.class.getName());

    private final Predicate<QmpEvent> filter;
    private final Consumer<QmpEvent> listener;
    private final BlockingQueue<QmpEvent> buffer;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread thread;
    private final Runnable onClose;

    EventSubscription(Predicate<QmpEvent> filter, Consumer<QmpEvent> listener, int capacity, Runnable onClose) {
        this.filter = filter;
        this.listener = listener;
        this.buffer = new ArrayBlockingQueue<>(capacity);
        this.onClose = onClose;
        this.thread = Thread.ofVirtual().name("qmp-events").start(this::deliver);
    }

    /** Called by the client's reader: never blocks. */
    void offer(QmpEvent event) {
        if (closed.get() || !filter.test(event)) {
            return;
        }
        if (!buffer.offer(event)) {
            long n = dropped.incrementAndGet();
            // Log the first drop and then every 1000th, so a stuck listener cannot flood the log.
            if (n == 1 || n % 1000 == 0) {
                LOG.log(System.Logger.Level.WARNING, "event listener too slow: dropped {0} event(s) so far, latest {1}",
                        n, event.name());
            }
        }
    }

    private void deliver() {
        while (!closed.get() || !buffer.isEmpty()) {
            QmpEvent e;
            try {
                e = buffer.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
                return;
            }
            if (e == null) {
                continue;
            }
            try {
                listener.accept(e);
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "event listener threw on " + e.name(), ex);
            }
            delivered.incrementAndGet();
        }
    }

    /** Events dropped because this listener's buffer was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Events handed to the listener so far. */
    public long delivered() {
        return delivered.get();
    }

    /**
     * Stops delivery: events still buffered are delivered, then the delivery thread ends; waits
     * at most one second for it. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onClose.run();
            if (Thread.currentThread() != thread) {
                try {
                    thread.join(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
