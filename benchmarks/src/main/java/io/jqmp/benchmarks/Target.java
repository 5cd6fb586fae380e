package io.jqmp.benchmarks;

import io.jqmp.server.ConnectionThreads;
import io.jqmp.server.IdleStrategy;
import io.jqmp.server.QmpServer;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.IntStream;

/**
 * The server a benchmark talks to: an embedded jqmp {@link QmpServer} in this JVM, or an external
 * QMP server (QEMU, {@code jqmp serve}) named by an endpoint.
 *
 * <p>An external Unix endpoint may contain {@code %d}, replaced by the connection's index
 * (0 = the prober, 1.. = loaders or the blocker), because QEMU serves one client per monitor
 * socket: start it with one {@code -qmp unix:DIR/mN.sock} per connection. Without {@code %d}
 * every connection goes to the same endpoint.
 *
 * <p>Used by one benchmark thread: set up, measured, closed.
 */
public final class Target implements Closeable {
    /** The schema resource of the embedded server's extra commands. */
    public static final String SCHEMA = "io/jqmp/benchmarks/bench-schema.json";

    /**
     * Monitors the comparison QEMU is started with; QEMU 7.2's query-yank lists each monitor's
     * chardev, so the embedded answer lists as many to keep the answers the same size.
     */
    public static final int QEMU_MONITORS = 17;

    private static final List<Map<String, Object>> YANK_INSTANCES = IntStream.range(0, QEMU_MONITORS)
            .mapToObj(i -> Map.<String, Object>of("type", "chardev", "id", "compat_monitor" + i))
            .toList();
    private static final Map<String, Object> STATUS =
            Map.of("running", true, "singlestep", false, "status", "running");

    /**
     * Kept referenced so the setting sticks: loaders closing at the end of a trial make the server
     * log every dropped connection, which would bury the benchmark output.
     */
    private static final Logger JQMP_LOG = Logger.getLogger("io.jqmp");

    private final QmpServer server;
    private final String pattern;
    private final Path dir;
    private Prober blocker;
    /** An out-of-band connection to an external jqmp whose main loop this target blocked. */
    private Prober jqmpControl;
    private Path fifo;
    private boolean closed;

    /** The prober's endpoint when it has a listener of its own, else null. */
    private final String probeEndpoint;

    private Target(QmpServer server, String pattern, String probeEndpoint, Path dir) {
        this.server = server;
        this.pattern = pattern;
        this.probeEndpoint = probeEndpoint;
        this.dir = dir;
    }

    /** {@link #open(String, String, String, boolean, String, String)} with every connection on virtual threads. */
    public static Target open(String target, String transport, String idle, boolean offerOob) throws IOException {
        return open(target, transport, idle, offerOob, "virtual", "");
    }

    /**
     * Opens {@code target}: {@code embedded} (a server on {@code transport} {@code unix} or
     * {@code tcp}, monitor idling with {@code idle}, offering OOB when {@code offerOob}), or an
     * external {@code unix:PATH} / {@code tcp:HOST:PORT}. {@code probeThreads} {@code platform}
     * gives the embedded server's prober (connection 0) a management listener of its own, served
     * by platform threads ({@code virtual}: the prober shares the loaders' listener). For an
     * external target, {@code probeTarget}, unless empty, is the prober's own endpoint (a
     * {@link BenchServer}'s management socket).
     */
    public static Target open(String target, String transport, String idle, boolean offerOob, String probeThreads,
            String probeTarget) throws IOException {
        boolean platform = switch (probeThreads) {
            case "virtual" -> false;
            case "platform" -> true;
            default -> throw new IllegalArgumentException("probeThreads must be virtual or platform, not '" + probeThreads + "'");
        };
        Path dir = Files.createTempDirectory("jqmp-bench");
        if (!target.equals("embedded")) {
            return new Target(null, target, probeTarget.isEmpty() ? null : probeTarget, dir);
        }
        String listen = listenAddress(transport, dir.resolve("qmp.sock"));
        Path padding = dir.resolve("padding.json");
        Files.writeString(padding, paddingSchema(SCHEMA_PADDING));
        QmpServer.Builder b = embedded(listen, idle, offerOob, padding);
        if (platform) {
            b.listen(listenAddress(transport, dir.resolve("management.sock")), ConnectionThreads.PLATFORM);
        }
        QmpServer server = b.build().start();
        return new Target(server, server.endpoints().get(0).toString(),
                platform ? server.endpoints().get(1).toString() : null, dir);
    }

    private static String listenAddress(String transport, Path socket) {
        return switch (transport) {
            case "unix" -> "unix:" + socket;
            case "tcp" -> "tcp:127.0.0.1:0";
            default -> throw new IllegalArgumentException("transport must be unix or tcp, not '" + transport + "'");
        };
    }

    /**
     * Events added to the embedded server's schema so that its {@code query-qmp-schema} answer is
     * about as large as QEMU 7.2's ({@value #QEMU_SCHEMA_BYTES} bytes with {@code -machine none}):
     * the heavy load then asks both servers for the same amount of work and output.
     */
    static final int SCHEMA_PADDING = 408;
    static final int QEMU_SCHEMA_BYTES = 207_000;

    /** QAPI text of {@code n} events, each with a struct of its own and an enum. */
    static String paddingSchema(int n) {
        StringBuilder sb = new StringBuilder("# Generated by the benchmarks: padding for query-qmp-schema.\n");
        for (int i = 0; i < n; i++) {
            sb.append("{ 'enum': 'BenchPadMode").append(i).append("', 'data': [ 'off', 'on', 'auto' ] }\n");
            sb.append("{ 'struct': 'BenchPad").append(i).append("', 'data': { 'name': 'str', '*size': 'int', ")
                    .append("'*enabled': 'bool', '*mode': 'BenchPadMode").append(i).append("', '*tags': [ 'str' ] } }\n");
            sb.append("{ 'event': 'BENCH_PAD_").append(i).append("', 'data': 'BenchPad").append(i).append("' }\n");
        }
        return sb.toString();
    }

    /**
     * A jqmp server builder with the benchmark commands; {@code padding}, if not null, is a schema
     * file added to make {@code query-qmp-schema}'s answer QEMU-sized.
     */
    public static QmpServer.Builder embedded(String listen, String idle, boolean offerOob, Path padding) {
        JQMP_LOG.setLevel(Level.SEVERE);
        QmpServer.Builder b = QmpServer.builder();
        if (padding != null) {
            b.schemaFile(padding);
        }
        return b
                .listen(listen)
                .schemaResource(SCHEMA)
                .handler("query-yank", ctx -> YANK_INSTANCES)
                .handler("query-status", ctx -> STATUS)
                .handler("bench-ping", ctx -> null)
                .handler("bench-main-loop-busy", ctx -> Map.of("busy", ctx.server().bql().isLocked()))
                .monitorIdleStrategy(() -> IdleStrategy.parse(idle))
                .offerOob(offerOob)
                .xOobTest(true)
                .maxConnections(256);
    }

    /** The embedded server, or null for an external target. */
    public QmpServer server() {
        return server;
    }

    /** The endpoint of connection {@code index} (0 = the prober). */
    public String endpoint(int index) {
        if (index == 0 && probeEndpoint != null) {
            return probeEndpoint;
        }
        return pattern.contains("%d") ? pattern.replace("%d", Integer.toString(index)) : pattern;
    }

    /**
     * Ends the embedded server's blocking {@code x-oob-test} as any client would: {@code lock:
     * false}, out-of-band, on a connection of its own. Blocks until that is answered.
     */
    public void unblockEmbedded() throws IOException {
        try (Prober p = Prober.open(endpoint(2), true)) {
            p.roundTrip(Prober.request(true, "x-oob-test", "{\"lock\": false}", 1), 1);
        }
    }

    /**
     * Blocks the target's main loop with an in-band command on connection 1 until {@link #close}:
     * {@code x-oob-test} with {@code lock: true} on jqmp; on QEMU a {@code blockdev-add} of a
     * blkdebug node whose config file is a FIFO nobody writes (QEMU's own OOB test).
     */
    public void blockMainLoop() throws IOException {
        blocker = Prober.open(endpoint(1), false);
        if (server != null) {
            blocker.send(Prober.request(false, "x-oob-test", "{\"lock\": true}", 1));
            // Nothing else runs in-band here, so a held BQL means the blocker is running.
            awaitCondition(() -> server.bql().isLocked(), "the main loop to take x-oob-test");
            return;
        }
        if (blocker.greeting().contains("\"package\": \"jqmp")) {
            // A jqmp server in another process (BenchServer): it says itself when its BQL is held.
            jqmpControl = Prober.open(endpoint(1), true);
            blocker.send(Prober.request(false, "x-oob-test", "{\"lock\": true}", 1));
            awaitCondition(() -> {
                long id = jqmpControl.nextId();
                jqmpControl.roundTrip(Prober.request(true, "bench-main-loop-busy", null, id), id);
                return jqmpControl.lastLine().contains("\"busy\": true");
            }, "the main loop to take x-oob-test");
            return;
        }
        fifo = dir.resolve("block.fifo");
        try {
            Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("mkfifo " + fifo + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        // A fresh node name per use: nodes of earlier trials stay in QEMU.
        String node = "blk" + Long.toHexString(System.nanoTime());
        blocker.send(Prober.request(false, "blockdev-add",
                "{\"driver\": \"blkdebug\", \"node-name\": \"" + node + "\", \"config\": \"" + fifo
                        + "\", \"image\": {\"driver\": \"null-co\", \"read-zeroes\": true}}", 1));
        Path wchan = mainThreadWaitChannel();
        if (wchan != null) {
            // Linux: QEMU's main thread waits in the kernel for a FIFO writer.
            awaitCondition(() -> readOrEmpty(wchan).equals("wait_for_partner"), "QEMU's main loop to block on the FIFO");
        }
    }

    /**
     * Linux only: {@code /proc/PID/wchan} of the process serving {@code endpoint(0)}, found by the
     * socket path on its command line; null when it cannot be found (TCP, another system).
     */
    private Path mainThreadWaitChannel() throws IOException {
        String ep = endpoint(0);
        Path proc = Path.of("/proc");
        if (!ep.startsWith("unix:") || !Files.isDirectory(proc)) {
            return null;
        }
        String socket = ep.substring(5);
        try (var s = Files.list(proc)) {
            for (Path p : s.filter(d -> d.getFileName().toString().matches("[0-9]+")).toList()) {
                String cmdline = readOrEmpty(p.resolve("cmdline")).replace('\0', ' ');
                if (cmdline.contains("unix:" + socket + ",")) {
                    return p.resolve("wchan");
                }
            }
        }
        return null;
    }

    private static String readOrEmpty(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** A condition that may need the network to tell. */
    private interface Check {
        boolean holds() throws IOException;
    }

    /** Polls {@code condition} every millisecond for at most 10 s. */
    private static void awaitCondition(Check condition, String what) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("timed out waiting for " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Unblocks the main loop if it was blocked, waits for the blocking command's answer, and cleans up. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (blocker != null) {
                if (server != null) {
                    unblockEmbedded();
                } else if (jqmpControl != null) {
                    long id = jqmpControl.nextId();
                    jqmpControl.roundTrip(Prober.request(true, "x-oob-test", "{\"lock\": false}", id), id);
                    jqmpControl.close();
                } else {
                    // Opening the FIFO for writing lets QEMU's open() return; it reads an empty config.
                    try (OutputStream o = Files.newOutputStream(fifo)) {
                        o.flush();
                    }
                }
                blocker.awaitId(1);
                blocker.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (fifo != null) {
                Files.deleteIfExists(fifo);
            }
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
