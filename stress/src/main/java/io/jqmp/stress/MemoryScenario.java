package io.jqmp.stress;

import io.jqmp.server.Endpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * {@code memory}: a jqmp server in a child JVM with a small heap ({@value #MAX_HEAP}, everything
 * else at its defaults, which derive from the heap) serves well-behaved clients alone (the
 * baseline), then alongside clients that try to exhaust its memory: many connections streaming
 * string tokens toward the size limit, deeply nested and token-heavy input, clients that ask for
 * large answers and never read them, and clients that pipeline multi-MiB requests without reading.
 * The attackers are paced (a few MiB per second each, a pause before reconnecting): what they
 * exhaust is memory, many times over the budgets, not the CPU, which any client can keep busy
 * with ordinary commands and which is not what this scenario measures.
 *
 * <p>Pass: the child is alive and its {@code monitor}, {@code main-loop} and {@code vcpu} threads
 * too, nothing was logged as out of memory or as a dead thread, the server caught no error (the
 * budget's own disconnects are not errors), every well-behaved request was answered, and the
 * well-behaved clients' out-of-band p99 during the attack is within 2x of the baseline.
 */
final class MemoryScenario implements Scenario {
    static final String MAX_HEAP = "256m";
    static final int WELL_BEHAVED = 2;
    static final int STREAMERS = 12;
    /** Each streamer sends this much every {@link #PACE_NANOS}: 2 MiB/s. */
    static final int STREAM_SLICE = 64 * 1024;
    static final long PACE_NANOS = 30_000_000L;
    static final int NEVER_READERS = 16;
    static final int SCHEMA_REQUESTS = 200;
    static final int BIG_PIPELINERS = 1;
    /** Payload of the pipelined echo requests. */
    static final int PIPELINED_PAYLOAD = 1 << 20;
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    private final Set<QmpConnection> attackerConnections = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<String> attackFaults = new ConcurrentLinkedQueue<>();
    private final AtomicLong streamedMiB = new AtomicLong();
    private final AtomicLong limitErrors = new AtomicLong();
    private final AtomicLong cutOff = new AtomicLong();
    private final AtomicLong nestedSent = new AtomicLong();
    private final AtomicLong schemaRequests = new AtomicLong();
    private volatile boolean attacking;

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public String description() {
        return "a server in a child JVM with -Xmx" + MAX_HEAP + ": well-behaved clients alone, then alongside clients "
                + "streaming maximal tokens, sending deeply nested input and never reading big answers";
    }

    @Override
    public ScenarioResult run(ScenarioContext ctx) throws Exception {
        ScenarioResult result = new ScenarioResult(name(), description());
        if (ctx.options().target() != null) {
            result.note("memory always runs its own server in a child JVM; --target is not used");
        }
        Path socket = ctx.workDir().resolve("memory.sock");
        Path log = ctx.workDir().resolve("memory-server.log");
        Process child = new ProcessBuilder(MemoryTarget.command(MAX_HEAP, socket)).redirectError(log.toFile()).start();
        try {
            awaitReady(child, log);
            return attack(ctx, result, new Endpoint.Unix(socket), child, log);
        } finally {
            child.getOutputStream().close(); // the child stops when its stdin ends
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                child.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitReady(Process child, Path log) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine(); // the child prints one line, or dies
        if (!"ready".equals(line)) {
            throw new IOException("the child server did not start: " + line + "; its log: " + Files.readString(log));
        }
    }

    private ScenarioResult attack(ScenarioContext ctx, ScenarioResult result, Endpoint ep, Process child, Path log)
            throws Exception {
        result.metric("server", "child JVM, -Xmx" + MAX_HEAP + ", default budgets and limits, on " + ep)
                .metric("well-behaved flooders", WELL_BEHAVED).metric("probers", FloodScenario.PROBERS)
                .metric("token streamers", STREAMERS).metric("never-reading clients", NEVER_READERS)
                .metric("multi-MiB pipeliners", BIG_PIPELINERS);
        WellBehavedClients wellBehaved = new WellBehavedClients(ep, WELL_BEHAVED);
        ConcurrentHistogram baseline = new ConcurrentHistogram(3);
        ConcurrentHistogram hostile = new ConcurrentHistogram(3);
        long start = System.nanoTime();
        long phase = Math.max(1_000_000_000L, (ctx.deadlineNanos() - FloodScenario.DRAIN_NANOS - 4_000_000_000L - start) / 2);
        String[] phaseName = {"baseline"};
        ctx.status(() -> String.format("%s  in-band %,d  oob p99 base %.0f us / attack %.0f us  streamed %,d MiB  "
                        + "limit errors %,d  cut off %,d", phaseName[0],
                wellBehaved.answered(), baseline.getValueAtPercentile(99) / 1000.0,
                hostile.getValueAtPercentile(99) / 1000.0, streamedMiB.get(), limitErrors.get(), cutOff.get()));
        wellBehaved.start(baseline, "baseline");
        wellBehaved.runUntil(start + phase);

        phaseName[0] = "attack";
        wellBehaved.record(hostile, "attack");
        attacking = true;
        List<Thread> attackers = new ArrayList<>();
        for (int i = 0; i < STREAMERS; i++) {
            attackers.add(Thread.ofVirtual().name("streamer-" + i).start(() -> streamer(ep)));
        }
        for (int i = 0; i < NEVER_READERS; i++) {
            attackers.add(Thread.ofVirtual().name("never-reader-" + i).start(() -> neverReader(ep)));
        }
        for (int i = 0; i < BIG_PIPELINERS; i++) {
            attackers.add(Thread.ofVirtual().name("pipeliner-" + i).start(() -> pipeliner(ep)));
        }
        attackers.add(Thread.ofVirtual().name("nester").start(() -> nester(ep)));
        wellBehaved.runUntil(start + 2 * phase);

        attacking = false;
        phaseName[0] = "draining";
        attackerConnections.forEach(QmpConnection::close); // unblocks their sends
        long lost = wellBehaved.stop(System.nanoTime() + FloodScenario.DRAIN_NANOS);
        for (Thread t : attackers) {
            t.join(5_000);
            if (t.isAlive()) {
                attackFaults.add(t.getName() + " did not stop within 5 s after the attack");
            }
        }

        String alive = child.isAlive() ? HostileScenario.aliveCheck(ep) : "the child JVM exited with " + child.exitValue();
        Map<?, ?> health = child.isAlive() ? health(ep) : null;
        String peakRss = peakRss(child);
        String logText = Files.readString(log);
        List<String> deaths = Arrays.stream(logText.split("\n"))
                .filter(l -> l.contains("OutOfMemoryError") || l.contains("Exception in thread") || l.startsWith("FATAL"))
                .limit(5).toList();

        result.metric("token data streamed, MiB", streamedMiB.get())
                .metric("token size limit errors answered", limitErrors.get())
                .metric("nested and token-heavy inputs sent", nestedSent.get())
                .metric("query-qmp-schema requests never read", schemaRequests.get())
                .metric("attacker connections cut off by the server", cutOff.get())
                .metric("child peak RSS", peakRss);
        if (health != null) {
            result.metric("server: readers stopped for input room", health.get("input-waits"))
                    .metric("server: clients cut off by the output budget", health.get("output-disconnects"))
                    .metric("server: heap after GC at the end, MiB", Stress.mib(Target.number(health, "heap-used")))
                    .metric("server: errors caught", health.get("errors"));
        }
        result.latency("oob baseline (well-behaved only)", baseline);
        result.latency("oob during the attack", hostile);
        ScenarioResult.Latency b = ScenarioResult.Latency.ofNanos(baseline);
        ScenarioResult.Latency h = ScenarioResult.Latency.ofNanos(hostile);
        double ratio = b.p99() > 0 ? Math.round(h.p99() / b.p99() * 100) / 100.0 : Double.NaN;
        result.metric("oob p99 ratio attack/baseline", ratio);

        boolean threadsAlive = health != null && Boolean.TRUE.equals(health.get("monitor"))
                && Boolean.TRUE.equals(health.get("main-loop")) && Boolean.TRUE.equals(health.get("vcpu"))
                && Boolean.FALSE.equals(health.get("stopped"));
        result.invariant("no thread died", child.isAlive() && threadsAlive && deaths.isEmpty(),
                !child.isAlive() ? "the child JVM exited" : health == null ? "stress-health got no answer"
                        : "monitor " + health.get("monitor") + ", main-loop " + health.get("main-loop") + ", vcpu "
                        + health.get("vcpu") + ", server stopped " + health.get("stopped")
                        + (deaths.isEmpty() ? ", nothing in the log" : ", log: " + deaths));
        result.invariant("no error beyond the budget's own disconnects", health != null
                        && Long.valueOf(0).equals(health.get("errors")) && attackFaults.isEmpty(),
                (health == null ? "no health answer" : health.get("errors") + " errors caught by the server")
                        + Stress.faults(attackFaults));
        long probesSent = wellBehaved.probesSent();
        long probesAnswered = wellBehaved.probesAnswered();
        result.invariant("well-behaved clients answered", alive == null && wellBehaved.inbandFaults.isEmpty() && lost == 0
                        && wellBehaved.oobFaults.isEmpty() && probesSent == probesAnswered,
                wellBehaved.answered() + " in-band answers checked, " + lost + " lost; " + probesAnswered + " of "
                        + probesSent + " out-of-band probes answered" + (alive == null ? "" : "; " + alive)
                        + Stress.faults(wellBehaved.inbandFaults) + Stress.faults(wellBehaved.oobFaults));
        result.invariant("well-behaved out-of-band p99 within 2x of the baseline", ratio <= 2.0,
                String.format("%.1f us during the attack vs %.1f us alone = %.2fx", h.p99(), b.p99(), ratio));
        return result;
    }

    /** What one attacker does on one connection, until the attack ends or the server cuts it off. */
    private interface Attack {
        void on(QmpConnection c) throws IOException;
    }

    /**
     * Runs {@code attack} on a new negotiated connection, over and over: when the server cuts the
     * connection off (what the budgets do) it is counted, and the attacker reconnects a second later.
     */
    private void attackLoop(Endpoint ep, boolean readsErrors, Attack attack) {
        while (attacking) {
            QmpConnection c = null;
            Thread reader = null;
            try {
                c = QmpConnection.negotiated(ep, 64 * 1024);
                attackerConnections.add(c);
                if (readsErrors) {
                    QmpConnection conn = c;
                    reader = Thread.ofVirtual().name("attack-reader").start(() -> countLimitErrors(conn));
                }
                attack.on(c);
            } catch (IOException e) {
                if (attacking) {
                    cutOff.incrementAndGet();
                }
            } finally {
                closeAttacker(c);
                if (reader != null) {
                    reader.interrupt();
                }
            }
            if (attacking) {
                LockSupport.parkNanos(1_000_000_000L);
            }
        }
    }

    /** Streams one string token toward the size limit, forever, reading the limit errors. */
    private void streamer(Endpoint ep) {
        byte[] chunk = new byte[STREAM_SLICE];
        Arrays.fill(chunk, (byte) 'a');
        attackLoop(ep, true, c -> {
            c.send("{\"execute\": \"" + StressServer.ECHO + "\", \"arguments\": {\"seq\": 1, \"payload\": \"");
            for (long sent = 0; attacking; sent += chunk.length) {
                c.send(chunk);
                if (sent % (1 << 20) == 0) {
                    streamedMiB.incrementAndGet();
                }
                LockSupport.parkNanos(PACE_NANOS);
            }
        });
    }

    private void countLimitErrors(QmpConnection c) {
        try {
            Object m;
            while ((m = c.readMessage()) != QmpConnection.EOF) {
                if (m instanceof Map<?, ?> a && a.get("error") instanceof Map<?, ?> e
                        && String.valueOf(e.get("desc")).endsWith("limit exceeded")) {
                    limitErrors.incrementAndGet();
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** Asks for the schema (tens of KiB) {@value #SCHEMA_REQUESTS} times and never reads. */
    private void neverReader(Endpoint ep) {
        byte[] request = "{\"execute\": \"query-qmp-schema\"}".getBytes(StandardCharsets.US_ASCII);
        attackLoop(ep, false, c -> {
            for (int i = 0; i < SCHEMA_REQUESTS && attacking; i++) {
                c.send(request);
                schemaRequests.incrementAndGet();
            }
            while (attacking) {
                LockSupport.parkNanos(200_000_000L);
                c.send(request); // fails once the server has cut the connection off
            }
        });
    }

    /** Pipelines echo requests of 1 MiB without reading: large requests held until answered, large answers unread. */
    private void pipeliner(Endpoint ep) {
        byte[] request = ("{\"execute\": \"" + StressServer.ECHO + "\", \"arguments\": {\"seq\": 1, \"payload\": \""
                + "p".repeat(PIPELINED_PAYLOAD) + "\"}}").getBytes(StandardCharsets.US_ASCII);
        attackLoop(ep, false, c -> {
            while (attacking) {
                c.send(request);
                LockSupport.parkNanos(PACE_NANOS);
            }
        });
    }

    /** Deeply nested arrays and objects and a token-heavy array, over and over, reading the errors. */
    private void nester(Endpoint ep) {
        String deepArrays = "[".repeat(100_000);
        String deepObjects = "{\"a\": ".repeat(50_000);
        String manyTokens = "[" + "0,".repeat(600_000) + "0]";
        attackLoop(ep, true, c -> {
            while (attacking) {
                for (String input : List.of(deepArrays, deepObjects, manyTokens)) {
                    c.send(input);
                    nestedSent.incrementAndGet();
                }
                c.send("\n{}\n");
                LockSupport.parkNanos(10 * PACE_NANOS);
            }
        });
    }

    private void closeAttacker(QmpConnection c) {
        if (c != null) {
            attackerConnections.remove(c);
            c.close();
        }
    }

    /** The child's {@code stress-health} answer, or null. */
    private static Map<?, ?> health(Endpoint ep) {
        try (QmpConnection c = QmpConnection.negotiated(ep, 4096)) {
            QmpConnection.MessageQueue q = c.startQueue("memory-health");
            c.send("{\"execute\": \"" + MemoryTarget.HEALTH + "\", \"id\": \"h\"}");
            Object m = q.next(ANSWER_TIMEOUT);
            return m instanceof Map<?, ?> a && a.get("return") instanceof Map<?, ?> r ? r : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The child's peak resident set (VmHWM), where /proc tells it. */
    private static String peakRss(Process child) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(child.pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return line.substring(6).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
        return "unknown";
    }
}
