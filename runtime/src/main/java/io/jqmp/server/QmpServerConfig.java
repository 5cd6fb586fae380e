package io.jqmp.server;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Everything a {@link QmpServer} is configured with, validated by {@link QmpServer.Builder#build()}
 * before any thread starts. Immutable.
 *
 * @param listeners         sockets to listen on (at least one)
 * @param dialect           protocol form; default {@link Dialect#CURRENT}
 * @param version           the greeting's and {@code query-version}'s version; default 7.2.0
 * @param maxPendingInband  in-band requests a connection may have waiting before its reader stops
 *                          reading (QEMU: 8)
 * @param maxConnections    connections served at once over all listeners; more are refused
 * @param maxOutputBacklog  bytes of unread output a client may have before it is disconnected
 * @param oobQueueCapacity  out-of-band requests that may wait for the monitor thread
 * @param monitorIdle       the monitor thread's idle strategy (a new one per thread)
 * @param mainLoopIdle      the main loop's idle strategy
 * @param offerOob          whether the greeting offers the {@code oob} capability
 * @param pretty            pretty-printed output, as QEMU's {@code pretty=on}
 * @param unmaskSchema      {@code query-qmp-schema} shows real type names instead of numbers
 * @param throttles         rate-limited events (default: QEMU's table)
 * @param jsonLimits        the input limits of each connection's JSON streamer (default: QEMU's)
 * @param platformListeners listeners (among {@code listeners}) whose connections are served by
 *                          platform threads ({@link ConnectionThreads#PLATFORM}); the others use
 *                          virtual threads
 * @param threadPlacement   places the {@code monitor} and {@code main-loop} threads when they
 *                          start (default: nowhere in particular)
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
        Set<Endpoint> platformListeners,
        ThreadPlacement threadPlacement) {

    /** The threads that serve connections accepted on {@code listener}. */
    public ConnectionThreads connectionThreads(Endpoint listener) {
        return platformListeners.contains(listener) ? ConnectionThreads.PLATFORM : ConnectionThreads.VIRTUAL;
    }

    /**
     * Input limits, as QEMU's JSON streamer has them: bytes of one value (and of one token),
     * tokens of one value, and nesting depth. Exceeding one is answered with QEMU's error text.
     */
    public record JsonLimits(long maxTokenSize, long maxTokenCount, int maxNesting) {
        public static final JsonLimits QEMU = new JsonLimits(64L << 20, 2L << 20, 1 << 10);

        public JsonLimits {
            if (maxTokenSize < 1 || maxTokenSize > 512L << 20 || maxTokenCount < 1 || maxNesting < 1) {
                throw new IllegalArgumentException("JSON limits must be positive (token size at most 512 MiB), got "
                        + maxTokenSize + ", " + maxTokenCount + ", " + maxNesting);
            }
        }
    }

    /** The version a server reports: QEMU's VersionInfo. */
    public record Version(long major, long minor, long micro, String packageName) {
        public static final Version DEFAULT = new Version(7, 2, 0, "jqmp 0.1.0");
    }
}
