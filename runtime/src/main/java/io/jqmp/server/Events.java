package io.jqmp.server;

import io.jqmp.internal.mapping.Mapping;
import io.jqmp.internal.wire.Messages;
import io.jqmp.protocol.QmpException;
import io.jqmp.schema.EventDef;
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

    /**
     * One rate-limited event.
     *
     * @param event     the event's name
     * @param period    at most one event per key and period is delivered at once
     * @param keyMember the data member whose value separates keys, or null for one key;
     *     {@link QmpServerConfig#validate()} checks the table
     */
    public record Throttle(String event, Duration period, String keyMember) {
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
    private final boolean checkData;
    private final Encoder encoder;
    private final Connections connections;
    private final Map<String, Throttle> throttles = new HashMap<>();
    private final Map<Key, Window> windows = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private volatile ScheduledExecutorService timer;
    private final ServerErrors errors;

    /**
     * @param connections where events go (those in command mode)
     * @param checkData   check every event's data against its declaration (QmpServerConfig.checkAnswers)
     * @param errors      where a failure of a delayed delivery goes
     */
    Events(Schema schema, Encoder encoder, Connections connections, List<Throttle> throttles, boolean checkData,
            ServerErrors errors) {
        this.errors = errors;
        this.schema = schema;
        this.checkData = checkData;
        this.encoder = encoder;
        this.connections = connections;
        for (Throttle t : throttles) {
            this.throttles.put(t.event(), t);
        }
    }

    /** The event's data as a JSON object of the value model, or null. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> dataMembers(String name, Object data) {
        Object value = Mapping.toValue(data);
        if (value != null && !(value instanceof Map)) {
            throw new IllegalArgumentException("the data of event " + name + " must be a JSON object, not "
                    + data.getClass().getName());
        }
        return (Map<String, Object>) value;
    }

    /** Microseconds since the epoch, the events' timestamp clock. */
    long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }

    /**
     * Emits an event to every connection in command mode. Any thread; never blocks.
     *
     * @param name the event's name, declared in the schema
     * @param data the {@code data} member: a {@code Map} of the value model, a record or a bean
     *     (mapped with Jackson Jr, component {@code fooBar} as member {@code foo-bar}), or
     *     {@code null} for an event without data
     * @throws IllegalArgumentException the event is not declared, the data is not a JSON object,
     *     or (with {@link QmpServerConfig#checkAnswers()}) it does not match the declaration
     */
    public void emit(String name, Object data) {
        EventDef def = schema.event(name).orElseThrow(
                () -> new IllegalArgumentException("event " + name + " is not declared in the schema"));
        Map<String, Object> members = dataMembers(name, data);
        if (checkData) {
            try {
                schema.checkEventData(def, members);
            } catch (QmpException e) {
                throw new IllegalArgumentException("the data of event " + name + " does not match its schema: "
                        + e.desc(), e);
            }
        }
        byte[] message = encoder.encode(Messages.event(name, members, nowMicros()));
        Throttle throttle = throttles.get(name);
        if (throttle == null) {
            connections.broadcast(message);
            return;
        }
        Key key = new Key(name, throttle.keyMember() == null || members == null ? null : members.get(throttle.keyMember()));
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

    /**
     * Sends an event message as it is, e.g. one a proxy received from its upstream server with
     * that server's timestamp, to every client in command mode: not checked against the schema,
     * not rate-limited, written in QEMU's member order. Any thread; never blocks.
     *
     * @param message the whole event message, {@code event} and {@code timestamp} included
     * @throws IllegalArgumentException the message holds a value that is not JSON
     */
    public void forward(Map<String, Object> message) {
        connections.broadcast(encoder.encode(message));
    }

    private void schedule(Key key, Duration period) {
        timer().schedule(() -> errors.run("event-throttle", () -> periodEnded(key, period)), period.toNanos(),
                TimeUnit.NANOSECONDS);
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
