package io.jqmp.server;

import io.jqmp.dispatch.IdleStrategy;
import java.util.List;
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
        List<Events.Throttle> throttles) {

    /** The version a server reports: QEMU's VersionInfo. */
    public record Version(long major, long minor, long micro, String packageName) {
        public static final Version DEFAULT = new Version(7, 2, 0, "jqmp 0.1.0");
    }
}
