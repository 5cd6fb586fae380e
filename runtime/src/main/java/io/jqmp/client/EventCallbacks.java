package io.jqmp.client;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one thread ({@code qmp-client-events}) that calls a client's event listeners, in wire
 * order, and its bounded buffer. The reader only offers to the buffer and never waits.
 *
 * <p>Threading: {@link #offer} is called by the client's reader only (one producer);
 * {@link #close} by any thread.
 */
final class EventCallbacks {
    /** An event and the subscriptions whose filters accepted it when it arrived. */
    private record Delivery(QmpEvent event, List<EventSubscription> targets) {
    }

    private static final Delivery END = new Delivery(null, List.of());

    private final int capacity;
    // One slot more than the reader may fill, so the end marker always fits.
    private final ArrayBlockingQueue<Delivery> buffer;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Thread thread;

    EventCallbacks(int capacity) {
        this.capacity = capacity;
        this.buffer = new ArrayBlockingQueue<>(capacity + 1);
        this.thread = Thread.ofVirtual().name("qmp-client-events").start(this::run);
    }

    /** Reader thread: queues {@code event} for {@code targets}, or counts it dropped for each of them. */
    void offer(QmpEvent event, List<EventSubscription> targets) {
        // Single producer: the size only shrinks between this check and the offer.
        if (closing.get() || buffer.size() >= capacity || !buffer.offer(new Delivery(event, targets))) {
            for (EventSubscription s : targets) {
                s.drop(event);
            }
        }
    }

    private void run() {
        try {
            while (true) {
                Delivery d = buffer.take();
                if (d == END) {
                    return;
                }
                for (EventSubscription s : d.targets()) {
                    s.deliver(d.event());
                }
            }
        } catch (InterruptedException e) {
            // interrupted by close() after its grace period: stop
        }
    }

    /**
     * Delivers what is buffered, then ends the thread; waits at most {@code grace} for that and
     * interrupts the thread after it. Idempotent.
     */
    void close(Duration grace) {
        if (closing.compareAndSet(false, true)) {
            buffer.offer(END);
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            if (!thread.join(grace)) {
                thread.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
