package io.jqmp.client;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * One event callback of a {@link QmpClient}: a filter and a listener. The client's reader tests
 * the filter and hands matching events to the client's one callback thread
 * ({@code qmp-client-events}), which calls every subscription's listener in the order the events
 * arrived on the wire, so two listeners never see two events in different orders. The reader
 * never waits for listeners: when the client's callback buffer is full (a listener is slow), the
 * event is dropped for the subscriptions it was meant for, counted in {@link #dropped()} and
 * logged. A slow listener therefore delays the other listeners, never command answers; use an
 * {@link EventQueue} to consume events at your own pace instead.
 *
 * <p>Threading: all methods are thread-safe. The listener runs on the {@code qmp-client-events}
 * thread, one event at a time; an exception it throws is logged and does not stop delivery.
 */
public final class EventSubscription implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventSubscription.class.getName());

    private final Predicate<QmpEvent> filter;
    private final Consumer<QmpEvent> listener;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Runnable onClose;

    EventSubscription(Predicate<QmpEvent> filter, Consumer<QmpEvent> listener, Runnable onClose) {
        this.filter = filter;
        this.listener = listener;
        this.onClose = onClose;
    }

    /** Reader thread: whether this subscription wants {@code event}; a filter that throws is logged and says no. */
    boolean accepts(QmpEvent event) {
        if (closed.get()) {
            return false;
        }
        try {
            return filter.test(event);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "event filter threw on " + event.name(), e);
            return false;
        }
    }

    /** Reader thread: {@code event} could not be buffered for this subscription. */
    void drop(QmpEvent event) {
        long n = dropped.incrementAndGet();
        // Log the first drop and then every 1000th, so a stuck listener cannot flood the log.
        if (n == 1 || n % 1000 == 0) {
            LOG.log(System.Logger.Level.WARNING, "event listener too slow: dropped {0} event(s) so far, latest {1}",
                    n, event.name());
        }
    }

    /** Callback thread: calls the listener unless this subscription was closed meanwhile. */
    void deliver(QmpEvent event) {
        if (closed.get()) {
            return;
        }
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "event listener threw on " + event.name(), e);
        }
        delivered.incrementAndGet();
    }

    /**
     * Events dropped for this subscription because the client's callback buffer was full.
     *
     * @return the count so far
     */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Events handed to the listener so far.
     *
     * @return the count so far
     */
    public long delivered() {
        return delivered.get();
    }

    /**
     * Stops delivery: the listener is not called for any event after this returns, except that a
     * call already running finishes. Idempotent; never blocks.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onClose.run();
        }
    }
}
