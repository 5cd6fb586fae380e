package io.jqmp.server;

import io.jqmp.internal.wire.JsonStreamer;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Everything a {@link QmpServer} is configured with. Every default is in {@link #DEFAULTS} and
 * every rule in {@link #validate()}, which {@link QmpServer.Builder#build()} runs before any
 * thread starts or any socket is bound. Immutable.
 *
 * @param listeners        sockets to listen on (at least one, none twice)
 * @param dialect          protocol form
 * @param version          the greeting's and {@code query-version}'s version
 * @param maxPendingInband in-band requests a connection may have waiting before its reader stops
 *                         reading (QEMU: 8)
 * @param maxConnections   connections served at once over all listeners; more are refused
 * @param maxOutputBacklog bytes of unread output a client may have before it is disconnected
 * @param oobQueueCapacity out-of-band requests that may wait for the monitor thread
 * @param monitorIdle      the monitor thread's idle strategy (asked once, for its thread)
 * @param mainLoopIdle     the main loop's idle strategy (asked once, for its thread)
 * @param offerOob         whether the greeting offers the {@code oob} capability
 * @param pretty           pretty-printed output, as QEMU's {@code pretty=on}
 * @param unmaskSchema     {@code query-qmp-schema} shows real type names instead of numbers
 * @param throttles        rate-limited events (QEMU's table by default)
 * @param jsonLimits       the input limits of each connection's JSON streamer (QEMU's by default)
 * @param xOobTest         whether QEMU's {@code x-oob-test} command exists; it lets any client hold
 *                         the main loop, so it is off unless asked for (tests, benchmarks,
 *                         {@code jqmp serve})
 * @param checkAnswers     whether every command result and event is checked against its schema
 *                         declaration, for tests and development: a misfit is logged as an error
 *                         and answered as a {@code GenericError} (results), or thrown to the emitter
 *                         (events)
 */
public record QmpServerConfig(
        List<Endpoint> listeners,
        Dialect dialect,
        Version version,
        int maxPendingInband,
        int maxConnections,
        long maxOutputBacklog,
        int oobQueueCapacity,
        Supplier<IdleStrategy> monitorIdle,
        Supplier<IdleStrategy> mainLoopIdle,
        boolean offerOob,
        boolean pretty,
        boolean unmaskSchema,
        List<Events.Throttle> throttles,
        JsonLimits jsonLimits,
        boolean xOobTest,
        boolean checkAnswers) {

    /**
     * The defaults, the only place they are written: no listener, {@link Dialect#CURRENT},
     * {@link Version#DEFAULT}, 8 pending in-band requests, 4096 connections, 16 MiB of output
     * backlog, 4096 queued out-of-band requests, parking idle strategies, {@code oob} offered,
     * compact output, masked schema, QEMU's event throttles and JSON limits, no
     * {@code x-oob-test}, no answer checks.
     */
    public static final QmpServerConfig DEFAULTS = new QmpServerConfig(List.of(), Dialect.CURRENT, Version.DEFAULT,
            8, 4096, 16L << 20, 4096, IdleStrategy::park, IdleStrategy::park, true, false, false,
            Events.QEMU_THROTTLES, JsonLimits.QEMU, false, false);

    /** The most in-band requests the main loop's queue may have to hold at once. */
    static final long MAX_QUEUED_INBAND = 1L << 26;

    /**
     * Checks every limit and option together. Thread-safe; starts nothing.
     *
     * @return this configuration
     * @throws IllegalArgumentException naming the first setting to fix and the allowed values
     */
    public QmpServerConfig validate() {
        Objects.requireNonNull(listeners, "listeners");
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException(
                    "no listener: add one with listen(\"unix:PATH\") or listen(\"tcp:HOST:PORT\")");
        }
        if (new HashSet<>(listeners).size() != listeners.size()) {
            throw new IllegalArgumentException("a listener is given twice: " + listeners);
        }
        Objects.requireNonNull(dialect, "dialect");
        Objects.requireNonNull(version, "version");
        if (version.major() < 0 || version.minor() < 0 || version.micro() < 0 || version.packageName() == null) {
            throw new IllegalArgumentException("version numbers must not be negative and the package must be"
                    + " given (\"\" for none), got " + version);
        }
        requireRange("maxPendingInband", maxPendingInband, 1, 1 << 16);
        requireRange("maxConnections", maxConnections, 1, 1 << 20);
        if ((long) maxConnections * maxPendingInband > MAX_QUEUED_INBAND) {
            throw new IllegalArgumentException("maxConnections × maxPendingInband must be at most "
                    + MAX_QUEUED_INBAND + " (the main loop's queue holds that many), got " + maxConnections + " × "
                    + maxPendingInband);
        }
        requireRange("maxOutputBacklog", maxOutputBacklog, 64 * 1024, 1L << 40);
        requireRange("oobQueueCapacity", oobQueueCapacity, 2, 1 << 24);
        Objects.requireNonNull(monitorIdle, "monitorIdle");
        Objects.requireNonNull(mainLoopIdle, "mainLoopIdle");
        Objects.requireNonNull(throttles, "throttles");
        Set<String> throttled = new HashSet<>();
        for (Events.Throttle t : throttles) {
            if (t.event() == null || t.period() == null || t.period().isNegative() || t.period().isZero()) {
                throw new IllegalArgumentException("a throttle needs an event and a positive period, got " + t);
            }
            if (!throttled.add(t.event())) {
                throw new IllegalArgumentException("event " + t.event() + " is throttled twice");
            }
        }
        Objects.requireNonNull(jsonLimits, "jsonLimits");
        requireRange("jsonLimits.maxTokenSize", jsonLimits.maxTokenSize(), 1, JsonStreamer.MAX_TOKEN_SIZE);
        requireRange("jsonLimits.maxTokenCount", jsonLimits.maxTokenCount(), 1, JsonStreamer.MAX_TOKEN_COUNT);
        requireRange("jsonLimits.maxNesting", jsonLimits.maxNesting(), 1, JsonStreamer.MAX_NESTING);
        return this;
    }

    private static void requireRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    /**
     * Input limits, as QEMU's JSON streamer has them; exceeding one is answered with QEMU's
     * error text. {@link QmpServerConfig#validate()} checks the ranges.
     *
     * @param maxTokenSize  bytes of one value and of one token (1 to 512 MiB)
     * @param maxTokenCount tokens of one value (1 to 2^31-65)
     * @param maxNesting    open braces plus open brackets (1 to 1024, QEMU's own limit)
     */
    public record JsonLimits(long maxTokenSize, long maxTokenCount, int maxNesting) {
        /** QEMU's limits: 64 MiB, 2 Mi tokens, depth 1024. */
        public static final JsonLimits QEMU = new JsonLimits(JsonStreamer.DEFAULT_MAX_TOKEN_SIZE,
                JsonStreamer.DEFAULT_MAX_TOKEN_COUNT, JsonStreamer.DEFAULT_MAX_NESTING);
    }

    /**
     * The version a server reports: QEMU's VersionInfo.
     *
     * @param major       e.g. 7
     * @param minor       e.g. 2
     * @param micro       e.g. 0
     * @param packageName free text, e.g. {@code "jqmp 0.1.0"}
     */
    public record Version(long major, long minor, long micro, String packageName) {
        /** 7.2.0, {@code "jqmp 0.1.0"}. */
        public static final Version DEFAULT = new Version(7, 2, 0, "jqmp 0.1.0");
    }
}
