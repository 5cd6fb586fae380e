package io.jqmp.server;

import io.jqmp.internal.wire.Messages;
import io.jqmp.schema.Schema;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Emits events to every connection in command mode, rate-limiting the events QEMU rate-limits
 * with QEMU's algorithm: the first of a key goes out at once; later ones within the period
 * replace each other, and the last is delivered when the period ends, keeping its timestamp.
 *
 * <p>{@link #emit} may be called from any thread and never blocks on a socket. Throttled
 * deliveries run on the {@code event-throttle} thread.
 */
public final class Events {

    /** One rate-limited event: its period and the data member that separates keys (null: one key). */
    public record Throttle(String event, Duration period, String keyMember) {
        public Throttle {
            Objects.requireNonNull(event);
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("throttle period of " + event + " must be positive");
            }
        }
    }

    /** QEMU 7.2's table (monitor/monitor.c): one second each. */
    public static final List<Throttle> QEMU_THROTTLES = List.of(
            new Throttle("RTC_CHANGE", Duration.ofSeconds(1), null),
            new Throttle("WATCHDOG", Duration.ofSeconds(1), null),
            new Throttle("BALLOON_CHANGE", Duration.ofSeconds(1), null),
            new Throttle("QUORUM_REPORT_BAD", Duration.ofSeconds(1), "node-name"),
            new Throttle("QUORUM_FAILURE", Duration.ofSeconds(1), null),
            new Throttle("VSERPORT_CHANGE", Duration.ofSeconds(1), "id"),
            new Throttle("MEMORY_DEVICE_SIZE_CHANGE", Duration.ofSeconds(1), "qom-path"));

    private record Key(String event, Object member) {
    }

    /** A key inside its period; {@code pending} is the event to deliver when it ends. */
    private static final class Window {
        byte[] pending;
    }

    private final Schema schema;
    private final Encoder encoder;
    private final Connections connections;
    private final Map<String, Throttle> throttles = new HashMap<>();
    private final Map<Key, Window> windows = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private volatile ScheduledExecutorService timer;

    /** @param connections where events go (those in command mode) */
    Events(Schema schema, Encoder encoder, Connections connections, List<Throttle> throttles) {
        this.schema = schema;
        this.encoder = encoder;
        this.connections = connections;
        for (Throttle t : throttles) {
            this.throttles.put(t.event(), t);
        }
    }

    /** Microseconds since the epoch, the events' timestamp clock. */
    long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }

    /**
     * Emits event {@code name} (declared in the schema) with {@code data} (null for events without
     * data) to every connection in command mode. Any thread; never blocks.
     */
    public void emit(String name, Map<String, Object> data) {
        if (schema.event(name).isEmpty()) {
            throw new IllegalArgumentException("event " + name + " is not declared in the schema");
        }
        byte[] message = encoder.encode(Messages.event(name, data, nowMicros()));
        Throttle throttle = throttles.get(name);
        if (throttle == null) {
            connections.broadcast(message);
            return;
        }
        Key key = new Key(name, throttle.keyMember() == null || data == null ? null : data.get(throttle.keyMember()));
        lock.lock();
        try {
            Window window = windows.get(key);
            if (window != null) {
                window.pending = message; // an older pending event is superseded
                return;
            }
            windows.put(key, new Window());
            schedule(key, throttle.period());
        } finally {
            lock.unlock();
        }
        connections.broadcast(message);
    }

    private void schedule(Key key, Duration period) {
        timer().schedule(() -> periodEnded(key, period), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void periodEnded(Key key, Duration period) {
        byte[] deliver;
        lock.lock();
        try {
            Window window = windows.get(key);
            if (window == null) {
                return;
            }
            deliver = window.pending;
            if (deliver == null) {
                windows.remove(key);
                return;
            }
            window.pending = null;
            schedule(key, period);
        } finally {
            lock.unlock();
        }
        connections.broadcast(deliver);
    }

    private ScheduledExecutorService timer() {
        ScheduledExecutorService t = timer;
        if (t == null) {
            lock.lock();
            try {
                if (timer == null) {
                    timer = Executors.newSingleThreadScheduledExecutor(
                            Thread.ofPlatform().name("event-throttle").daemon(true).factory());
                }
                t = timer;
            } finally {
                lock.unlock();
            }
        }
        return t;
    }

    void close() {
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
    }
}
