package io.jqmp.stress;

import io.jqmp.schema.Declaration;
import io.jqmp.schema.Schema;
import io.jqmp.server.ConnectionThreads;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The server the scenarios run against when no external target is given: a jqmp {@link QmpServer}
 * on a Unix socket with a small schema of its own, and a management socket next to it whose
 * connections are served by platform threads ({@link ConnectionThreads#PLATFORM}).
 *
 * <ul>
 *   <li>{@code stress-probe} (allow-oob): answers {@code {}}; the out-of-band latency probe.</li>
 *   <li>{@code stress-echo} {@code {seq: int, *payload: str}}: answers {@code {seq, *payload}}.</li>
 *   <li>{@code stress-work} {@code {micros: int}}: busy-works on the main loop for that long.</li>
 *   <li>{@code stress-heap}: collects garbage and answers the heap in use, the live platform
 *       threads and the open connections, so a client can measure a server in another process.</li>
 * </ul>
 *
 * <p>Threading: create, use and close from one thread; the server itself runs on its own threads.
 */
public final class StressServer implements AutoCloseable {
    /** The out-of-band probe command. */
    public static final String PROBE = "stress-probe";
    /** The in-band echo command. */
    public static final String ECHO = "stress-echo";
    /** The in-band busy-work command. */
    public static final String WORK = "stress-work";
    /** The in-band measurement command. */
    public static final String HEAP = "stress-heap";
    /** Busy-work is capped so a bad argument cannot stall the main loop for long. */
    static final long MAX_WORK_MICROS = 100_000;

    private final QmpServer server;
    private final Endpoint endpoint;
    private final Endpoint management;

    private StressServer(QmpServer server, Endpoint endpoint, Endpoint management) {
        this.server = server;
        this.endpoint = endpoint;
        this.management = management;
    }

    /** The schema the scenarios rely on; any server that declares it (and handles it alike) is a valid target. */
    public static Schema schema() {
        return Schema.builder()
                .declare(Declaration.command(PROBE).allowOob().build())
                .declare(Declaration.command(ECHO).member("seq", "int").optionalMember("payload", "str")
                        .returns("StressEcho").build())
                .declare(Declaration.struct("StressEcho").member("seq", "int").optionalMember("payload", "str").build())
                .declare(Declaration.command(WORK).member("micros", "int").build())
                .declare(Declaration.command(HEAP).returns("StressHeap").build())
                .declare(Declaration.struct("StressHeap").member("heap-used", "int")
                        .member("platform-threads", "int").member("connections", "int").build())
                .build();
    }

    /**
     * Starts a server on {@code unix:DIR/stress.sock}, with the management socket
     * {@code unix:DIR/management.sock}.
     *
     * @param maxConnections clients served at once
     * @param maxOutputBacklog unread output per client before it is disconnected
     * @throws IOException if the socket cannot be bound
     */
    public static StressServer start(Path dir, int maxConnections, long maxOutputBacklog) throws IOException {
        Endpoint endpoint = new Endpoint.Unix(dir.resolve("stress.sock"));
        Endpoint management = new Endpoint.Unix(dir.resolve("management.sock"));
        QmpServer[] self = new QmpServer[1];
        QmpServer server = install(QmpServer.builder().listen(endpoint)
                .listen(management, ConnectionThreads.PLATFORM), () -> self[0])
                .maxConnections(maxConnections)
                .maxOutputBacklog(maxOutputBacklog)
                .build();
        self[0] = server;
        server.start();
        return new StressServer(server, endpoint, management);
    }

    /**
     * Adds the stress schema and its handlers to {@code b}; {@code self} gives the built server
     * to {@code stress-heap}. Returns {@code b}.
     */
    static QmpServer.Builder install(QmpServer.Builder b, Supplier<QmpServer> self) {
        return b.schema(schema())
                .handler(PROBE, ctx -> null)
                .handler(ECHO, ctx -> {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("seq", ctx.arguments().get("seq"));
                    if (ctx.arguments().containsKey("payload")) {
                        r.put("payload", ctx.arguments().get("payload"));
                    }
                    return r;
                })
                .handler(WORK, ctx -> {
                    long micros = Math.min(MAX_WORK_MICROS, (Long) ctx.arguments().get("micros"));
                    long end = System.nanoTime() + micros * 1000;
                    while (System.nanoTime() < end) {
                        Thread.onSpinWait();
                    }
                    return null;
                })
                .handler(HEAP, ctx -> measure(self.get()));
    }

    /** Heap in use after a full collection, live platform threads and open connections. */
    static Map<String, Object> measure(QmpServer server) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("heap-used", heapAfterGc());
        r.put("platform-threads", (long) ManagementFactory.getThreadMXBean().getThreadCount());
        r.put("connections", server == null ? 0L : (long) server.connectionCount());
        return r;
    }

    /** Heap in use after asking for two full collections (the second catches what finalization freed). */
    static long heapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Where the server listens. */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** The management socket: platform threads serve its connections. */
    public Endpoint management() {
        return management;
    }

    /** The running server. */
    public QmpServer server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
    }
}
