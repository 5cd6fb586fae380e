package io.jqmp.stress;

import io.jqmp.client.QmpConnectionException;
import io.jqmp.machine.Machine;
import io.jqmp.machine.MachineConfig;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * {@code postcopy}: two simulated machines in-process, each behind its own QMP server on a Unix
 * socket, migrate again and again: postcopy starts, the destination's main loop is put on a
 * missing page (an in-band {@code x-guest-memory-checksum} of all memory, with {@code query-status}
 * requests queued behind it), a seeded random failure is injected ({@code x-migration-fault} cut,
 * stall or slow; sometimes a second cut during recovery) and the migration is recovered
 * out-of-band as a management program would ({@code migrate-pause}, {@code migrate-recover},
 * {@code migrate} with {@code resume}). Invariants: every out-of-band command and probe answered;
 * in-band answers none lost or reordered; memory identical on both sides; MIGRATION
 * events in a valid order; every migration completed.
 *
 * <p>Threading: {@link #run} drives every step on the runner's thread, one iteration at a time;
 * each iteration adds a reader virtual thread per management connection and one platform thread
 * for the {@code query-yank} prober, all ended before the next iteration. Counters and histograms
 * are thread-safe, for the progress line.
 */
final class PostcopyScenario implements Scenario {
    static final long MEMORY = 8L << 20;
    /** Pages the source's vCPU dirties per second until postcopy stops it. */
    static final long SOURCE_DIRTY_RATE = 2000;
    /** Slow enough that most pages are still missing when the checksum starts. */
    static final long POSTCOPY_BANDWIDTH = 20 * 4096;
    /** The bandwidth of a {@code slow} fault: one page a second. */
    static final long SLOW_BANDWIDTH = 4096;
    static final long PROBE_INTERVAL_NANOS = 1_000_000L;
    static final long OOB_TIMEOUT_NANOS = 5_000_000_000L;
    static final long STEP_TIMEOUT_NANOS = 20_000_000_000L;
    /** In-band requests queued behind the blocked checksum. */
    static final int QUEUED_STATUS = 3;
    /** A new iteration starts only with at least this much time left. */
    static final long MIN_ITERATION_NANOS = 2_000_000_000L;

    private final ConcurrentLinkedQueue<String> oobFaults = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> inbandFaults = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> memoryFaults = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> orderFaults = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> runFaults = new ConcurrentLinkedQueue<>();
    private final ConcurrentHistogram probeLatency = new ConcurrentHistogram(3);
    private final ConcurrentHistogram oobCommandLatency = new ConcurrentHistogram(3);
    private final ConcurrentHistogram recoveryTime = new ConcurrentHistogram(3);
    private final AtomicLong iterations = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong oobSent = new AtomicLong();
    private final AtomicLong oobAnswered = new AtomicLong();
    private final AtomicLong probesSent = new AtomicLong();
    private final AtomicLong probesAnswered = new AtomicLong();
    private final AtomicLong inbandChecked = new AtomicLong();
    private final AtomicLong secondFailures = new AtomicLong();
    private final AtomicLong recoveries = new AtomicLong();
    private final AtomicLong mainLoopWaited = new AtomicLong();
    private final AtomicLong silentDestinationPauses = new AtomicLong();
    private final Map<String, AtomicLong> faultsByKind = new LinkedHashMap<>();

    PostcopyScenario() {
        for (String k : List.of("cut", "stall", "slow")) {
            faultsByKind.put(k, new AtomicLong());
        }
    }

    @Override
    public String name() {
        return "postcopy";
    }

    @Override
    public String description() {
        return "two in-process machines migrate in postcopy again and again; the destination's main loop waits for a "
                + "page while a seeded cut, stall or slow link is recovered out-of-band";
    }

    @Override
    public ScenarioResult run(ScenarioContext ctx) throws Exception {
        ScenarioResult result = new ScenarioResult(name(), description());
        result.metric("target", "two in-process machines on Unix sockets").metric("memory per machine, MiB", MEMORY >> 20)
                .metric("source dirty rate, pages/s", SOURCE_DIRTY_RATE)
                .metric("postcopy bandwidth, bytes/s", POSTCOPY_BANDWIDTH);
        if (ctx.options().target() != null) {
            result.note("--target is ignored: this scenario needs two machines and runs them in-process");
        }
        Random random = new Random(ctx.options().seed());
        ctx.status(() -> String.format("iterations %d  completed %d  cut %d stall %d slow %d second %d  "
                        + "oob p99 %.0f us  recovery p50 %.1f ms  faults %d",
                iterations.get(), completed.get(), faultsByKind.get("cut").get(), faultsByKind.get("stall").get(),
                faultsByKind.get("slow").get(), secondFailures.get(), probeLatency.getValueAtPercentile(99) / 1000.0,
                recoveryTime.getValueAtPercentile(50) / 1e6, faultCount()));
        do {
            long n = iterations.incrementAndGet();
            iteration(ctx.workDir(), n, random);
        } while (ctx.remainingNanos() > MIN_ITERATION_NANOS && runFaults.size() < 20);

        result.metric("iterations", iterations.get()).metric("migrations completed and verified", completed.get());
        faultsByKind.forEach((k, v) -> result.metric("failures injected: " + k, v.get()));
        result.metric("second failures (cut during recovery)", secondFailures.get())
                .metric("recoveries (migrate-recover + resume)", recoveries.get())
                .metric("second failures the destination did not report (no MIGRATION event)", silentDestinationPauses.get())
                .metric("iterations whose checksum waited for a page", mainLoopWaited.get())
                .metric("out-of-band commands", oobSent.get())
                .metric("in-band answers checked on the destination", inbandChecked.get());
        result.latency("oob query-yank while the destination's main loop is blocked", probeLatency);
        result.latency("oob migrate-pause / migrate-recover / x-migration-fault", oobCommandLatency);
        result.latency("recovery: failure detected to both postcopy-active", recoveryTime);
        ScenarioResult.Latency p = ScenarioResult.Latency.ofNanos(probeLatency);
        result.note(String.format("target: OOB p99.9 under 10 ms while the destination's main loop is blocked: %.1f us — %s",
                p.p999(), p.count() > 0 && p.p999() < 10_000 ? "met" : "NOT met"));

        long it = iterations.get();
        result.invariant("every out-of-band command and probe answered",
                oobFaults.isEmpty() && oobSent.get() == oobAnswered.get() && probesSent.get() == probesAnswered.get()
                        && probesAnswered.get() > 0,
                oobAnswered.get() + " of " + oobSent.get() + " commands, " + probesAnswered.get() + " of "
                        + probesSent.get() + " query-yank probes" + Stress.faults(oobFaults));
        result.invariant("no in-band answer lost or reordered", inbandFaults.isEmpty() && inbandChecked.get() > 0,
                inbandChecked.get() + " answers checked in order" + Stress.faults(inbandFaults));
        result.invariant("memory identical on both sides at completion", memoryFaults.isEmpty() && completed.get() > 0,
                completed.get() + " migrations: source, destination and the blocked checksum agree" + Stress.faults(memoryFaults));
        result.invariant("MIGRATION events in a valid order", orderFaults.isEmpty() && completed.get() > 0,
                "source and destination sequences of " + completed.get() + " migrations checked" + Stress.faults(orderFaults));
        result.invariant("every migration recovered and completed", runFaults.isEmpty() && completed.get() == it,
                completed.get() + " of " + it + Stress.faults(runFaults));
        return result;
    }

    private int faultCount() {
        return oobFaults.size() + inbandFaults.size() + memoryFaults.size() + orderFaults.size() + runFaults.size();
    }

    /** A step that did not happen in time or answered wrongly; ends the iteration. */
    private static final class StepFailed extends Exception {
        StepFailed(String message) {
            super(message);
        }
    }

    /** The two machines and their servers, closed together. */
    private record Pair(Machine src, QmpServer srcServer, Machine dst, QmpServer dstServer) implements AutoCloseable {
        @Override
        public void close() {
            // Machines first: that fails page waits, so a blocked main loop lets its server stop.
            dst.close();
            src.close();
            dstServer.close();
            srcServer.close();
        }
    }

    private void iteration(Path dir, long n, Random random) throws Exception {
        Path srcSock = dir.resolve("s" + n + ".qmp");
        Path dstSock = dir.resolve("d" + n + ".qmp");
        String mig = "unix:" + dir.resolve("m" + n);
        Machine src = new Machine(MachineConfig.defaults().withName("src").withMemory(MEMORY)
                .withDirtyRate(SOURCE_DIRTY_RATE).withSeed(n));
        QmpServer srcServer = src.install(QmpServer.builder().listen("unix:" + srcSock)).build();
        Machine dst = new Machine(MachineConfig.defaults().withName("dst").withMemory(MEMORY).withDirtyRate(0)
                .withIncoming(mig));
        QmpServer dstServer = dst.install(QmpServer.builder().listen("unix:" + dstSock)).build();
        try (Pair pair = new Pair(src, srcServer, dst, dstServer)) {
            src.start(srcServer);
            srcServer.start();
            dst.start(dstServer);
            dstServer.start();
            try (MachinePeer s = new MachinePeer("src", new Endpoint.Unix(srcSock));
                    MachinePeer d = new MachinePeer("dst", new Endpoint.Unix(dstSock));
                    Prober prober = new Prober(new Endpoint.Unix(dstSock))) {
                migrate(n, random, dir, pair, s, d, prober);
            } catch (StepFailed e) {
                runFaults.add("iteration " + n + ": " + e.getMessage());
            } catch (IOException | QmpConnectionException e) {
                runFaults.add("iteration " + n + ": connection failed: " + e.getMessage());
            }
        }
    }

    private void migrate(long n, Random random, Path dir, Pair pair, MachinePeer s, MachinePeer d, Prober prober)
            throws Exception {
        List<String> dInband = new ArrayList<>();
        String caps = "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}, "
                + "{\"capability\": \"postcopy-ram\", \"state\": true}]}";
        ok(s, "migrate-set-capabilities", caps, null);
        ok(d, "migrate-set-capabilities", caps, dInband);
        ok(s, "migrate-set-parameters", "{\"max-bandwidth\": 1048576, \"max-postcopy-bandwidth\": " + POSTCOPY_BANDWIDTH + "}", null);
        ok(s, "migrate", "{\"uri\": \"unix:" + dir.resolve("m" + n) + "\"}", null);
        ok(s, "migrate-start-postcopy", null, null);
        int sIdx = status(s, "postcopy-active", 0);
        int dIdx = status(d, "postcopy-active", 0);

        // The seeded failure: its kind, whether it comes before or after the checksum, and when.
        String kind = List.of("cut", "stall", "slow").get(random.nextInt(3));
        boolean faultFirst = random.nextBoolean();
        long delayNanos = random.nextInt(20_000) * 1_000L;
        boolean second = random.nextInt(4) == 0;
        long detectDelayNanos = (5 + random.nextInt(45)) * 1_000_000L;
        boolean pauseOnSource = random.nextBoolean();
        faultsByKind.get(kind).incrementAndGet();

        if (faultFirst) {
            injectFault(s, kind);
            LockSupport.parkNanos(delayNanos);
        }
        long waitsBefore = pair.dst().pageWaits();
        prober.blocked(true);
        String sumId = d.nextId("ib-sum");
        d.send(false, "x-guest-memory-checksum", null, sumId);
        dInband.add(sumId);
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < QUEUED_STATUS; i++) {
            String id = d.nextId("ib-status");
            d.send(false, "query-status", null, id);
            dInband.add(id);
            queued.add(id);
        }
        if (!faultFirst) {
            LockSupport.parkNanos(delayNanos);
            injectFault(s, kind);
        }

        long detected;
        if (kind.equals("cut")) {
            sIdx = status(s, "postcopy-paused", sIdx + 1);
            dIdx = status(d, "postcopy-paused", dIdx + 1);
            detected = System.nanoTime();
        } else {
            // A management program notices that nothing moves, then breaks the hung channel.
            LockSupport.parkNanos(detectDelayNanos);
            detected = System.nanoTime();
            oob(pauseOnSource && kind.equals("slow") ? s : d, "migrate-pause", null);
            sIdx = status(s, "postcopy-paused", sIdx + 1);
            dIdx = status(d, "postcopy-paused", dIdx + 1);
        }

        for (int round = 0; ; round++) {
            if (round > 2) {
                throw new StepFailed("still paused after " + round + " recoveries");
            }
            boolean cutAgain = second && round == 0;
            if (cutAgain) {
                // No channel is open now: the cut is armed for the recovered one.
                oob(s, "x-migration-fault", "{\"action\": \"cut\", \"after-pages\": " + random.nextInt(8) + "}");
                secondFailures.incrementAndGet();
            }
            String rec = "unix:" + dir.resolve("r" + n + "-" + round);
            if (round > 0) {
                // The destination may not report the second failure (see recoverDestination); go by what it accepts.
                int before = dIdx;
                dIdx = recoverDestination(d, rec);
                if (d.awaitStatus("postcopy-paused", before + 1, System.nanoTime()) < 0) {
                    silentDestinationPauses.incrementAndGet();
                }
            } else {
                oob(d, "migrate-recover", "{\"uri\": \"" + rec + "\"}");
            }
            ok(s, "migrate", "{\"uri\": \"" + rec + "\", \"resume\": true}", null);
            recoveries.incrementAndGet();
            if (cutAgain) {
                sIdx = status(s, "postcopy-paused", sIdx + 1);
                continue;
            }
            sIdx = status(s, "postcopy-active", sIdx + 1);
            dIdx = status(d, "postcopy-active", dIdx + 1);
            recoveryTime.recordValue(System.nanoTime() - detected);
            break;
        }

        // The blocked checksum fetches what is missing, then the queued requests follow it.
        Map<?, ?> sum = d.awaitAnswer(sumId, System.nanoTime() + STEP_TIMEOUT_NANOS);
        prober.blocked(false);
        if (sum == null) {
            throw new StepFailed("the blocked x-guest-memory-checksum was not answered after recovery");
        }
        if (pair.dst().pageWaits() > waitsBefore) {
            mainLoopWaited.incrementAndGet();
        }
        for (String id : queued) {
            Map<?, ?> a = d.awaitAnswer(id, System.nanoTime() + STEP_TIMEOUT_NANOS);
            if (a == null || !(a.get("return") instanceof Map<?, ?> r) || !"running".equals(r.get("status"))) {
                inbandFaults.add("iteration " + n + ": " + id + ": expected status running, got " + QmpConnection.describe(a));
            }
        }
        ok(s, "migrate-set-parameters", "{\"max-postcopy-bandwidth\": 0}", null);
        status(s, "completed", sIdx + 1);
        status(d, "completed", dIdx + 1);

        // Memory: the source is stopped since postcopy began and the destination's vCPU writes nothing.
        Object expected = ok(s, "x-guest-memory-checksum", null, null).get("return");
        Object actual = ok(d, "x-guest-memory-checksum", null, dInband).get("return");
        if (!(expected instanceof Map<?, ?> e) || e.get("checksum") == null || !expected.equals(actual)
                || !expected.equals(sum.get("return"))) {
            memoryFaults.add("iteration " + n + ": source " + expected + ", destination " + actual
                    + ", blocked checksum " + sum.get("return"));
        }
        ok(d, "query-status", null, dInband);

        List<String> order = d.answerOrder().stream().filter(id -> id.startsWith("ib-")).toList();
        if (!order.equals(dInband)) {
            inbandFaults.add("iteration " + n + ": in-band answers came as " + order + ", sent " + dInband);
        }
        inbandChecked.addAndGet(order.size());
        String so = MigrationOrder.check(MigrationOrder.SOURCE, s.statuses());
        String dor = MigrationOrder.check(MigrationOrder.DESTINATION, d.statuses());
        if (so != null) {
            orderFaults.add("iteration " + n + " source: " + so);
        }
        if (dor != null) {
            orderFaults.add("iteration " + n + " destination: " + dor);
        }
        prober.collect();
        completed.incrementAndGet();
    }

    private void injectFault(MachinePeer s, String kind) throws Exception {
        switch (kind) {
            case "cut" -> oob(s, "x-migration-fault", "{\"action\": \"cut\"}");
            case "stall" -> oob(s, "x-migration-fault", "{\"action\": \"stall\"}");
            default -> oob(s, "x-migration-fault", "{\"action\": \"slow\", \"bandwidth\": " + SLOW_BANDWIDTH + "}");
        }
    }

    /** Sends an out-of-band command, records its round trip, and requires {@code {"return": {}}}. */
    private void oob(MachinePeer p, String command, String arguments) throws Exception {
        String id = p.nextId("oob-" + command);
        oobSent.incrementAndGet();
        long t0 = System.nanoTime();
        p.send(true, command, arguments, id);
        Map<?, ?> a = p.awaitAnswer(id, t0 + OOB_TIMEOUT_NANOS);
        if (a == null) {
            oobFaults.add(p.name() + ": " + command + " not answered within " + OOB_TIMEOUT_NANOS / 1_000_000 + " ms");
            throw new StepFailed(p.name() + ": " + command + " not answered");
        }
        oobAnswered.incrementAndGet();
        oobCommandLatency.recordValue(System.nanoTime() - t0);
        if (!(a.get("return") instanceof Map<?, ?> r) || !r.isEmpty()) {
            throw new StepFailed(p.name() + ": " + command + " answered " + QmpConnection.describe(a));
        }
    }

    /**
     * {@code migrate-recover} on the destination after a second failure, retried every 5 ms while
     * the destination answers that it is not paused or that a recovery listener still waits: a cut
     * that closes the recovered channel before its resume handshake leaves the destination in
     * {@code postcopy-paused} without any MIGRATION event, so a management program can only go by
     * what the destination accepts. Returns the position of the destination's latest status.
     */
    private int recoverDestination(MachinePeer d, String uri) throws Exception {
        long deadline = System.nanoTime() + STEP_TIMEOUT_NANOS;
        while (true) {
            String id = d.nextId("oob-migrate-recover");
            oobSent.incrementAndGet();
            long t0 = System.nanoTime();
            d.send(true, "migrate-recover", "{\"uri\": \"" + uri + "\"}", id);
            Map<?, ?> a = d.awaitAnswer(id, t0 + OOB_TIMEOUT_NANOS);
            if (a == null) {
                oobFaults.add("dst: migrate-recover not answered within " + OOB_TIMEOUT_NANOS / 1_000_000 + " ms");
                throw new StepFailed("dst: migrate-recover not answered");
            }
            oobAnswered.incrementAndGet();
            oobCommandLatency.recordValue(System.nanoTime() - t0);
            if (a.get("return") instanceof Map<?, ?> r && r.isEmpty()) {
                return d.statusCount() - 1;
            }
            String desc = a.get("error") instanceof Map<?, ?> e ? String.valueOf(e.get("desc")) : "";
            boolean notYet = desc.equals("Migrate recover can only be run when postcopy is paused.")
                    || desc.equals("Migrate recovery is triggered already");
            if (!notYet || System.nanoTime() > deadline) {
                throw new StepFailed("dst: migrate-recover answered " + QmpConnection.describe(a) + "; statuses " + d.statuses());
            }
            LockSupport.parkNanos(5_000_000L);
        }
    }

    /** Runs an in-band command and requires a {@code return}; {@code sent} (if any) gets its id. */
    private static Map<?, ?> ok(MachinePeer p, String command, String arguments, List<String> sent) throws Exception {
        String id = p.nextId("ib-" + command);
        if (sent != null) {
            sent.add(id);
        }
        p.send(false, command, arguments, id);
        Map<?, ?> a = p.awaitAnswer(id, System.nanoTime() + STEP_TIMEOUT_NANOS);
        if (a == null || !a.containsKey("return")) {
            throw new StepFailed(p.name() + ": " + command + " answered " + QmpConnection.describe(a));
        }
        return a;
    }

    /** Waits for a MIGRATION {@code status} at position {@code from} or later; returns its position. */
    private static int status(MachinePeer p, String status, int from) throws Exception {
        int i = p.awaitStatus(status, from, System.nanoTime() + STEP_TIMEOUT_NANOS);
        if (i < 0) {
            throw new StepFailed(p.name() + ": no MIGRATION " + status + " after #" + from + " within "
                    + STEP_TIMEOUT_NANOS / 1_000_000_000L + " s; statuses " + p.statuses());
        }
        return i;
    }

    /**
     * Sends {@code exec-oob query-yank} to the destination every millisecond while its main loop is
     * blocked, on its own connection and platform thread, and records each round trip.
     */
    private final class Prober implements AutoCloseable {
        private final QmpConnection conn;
        private final Thread thread;
        private volatile boolean blocked;
        private volatile boolean running = true;

        Prober(Endpoint endpoint) throws IOException {
            conn = QmpConnection.negotiated(endpoint, 4096);
            thread = Thread.ofPlatform().daemon().name("postcopy-prober").start(this::loop);
        }

        void blocked(boolean b) {
            blocked = b;
        }

        private void loop() {
            long n = 0;
            try {
                while (running) {
                    if (!blocked) {
                        LockSupport.parkNanos(PROBE_INTERVAL_NANOS);
                        continue;
                    }
                    String id = "y" + n++;
                    probesSent.incrementAndGet();
                    long t0 = System.nanoTime();
                    conn.send("{\"exec-oob\": \"query-yank\", \"id\": \"" + id + "\"}");
                    Object m = conn.readMessage();
                    // Events go to every connection: skip them, the answer follows.
                    while (m instanceof Map<?, ?> e && e.containsKey("event")) {
                        m = conn.readMessage();
                    }
                    long t1 = System.nanoTime();
                    if (m == QmpConnection.EOF) {
                        if (running) {
                            oobFaults.add("query-yank prober: the server closed the connection");
                        }
                        return;
                    }
                    if (!(m instanceof Map<?, ?> a) || !id.equals(a.get("id")) || !(a.get("return") instanceof List<?> l)
                            || l.isEmpty()) {
                        oobFaults.add("query-yank prober: expected a list of instances for " + id + ", got "
                                + QmpConnection.describe(m));
                        return; // the connection is out of step: one fault is enough
                    }
                    probesAnswered.incrementAndGet();
                    probeLatency.recordValue(t1 - t0);
                    LockSupport.parkNanos(PROBE_INTERVAL_NANOS);
                }
            } catch (IOException e) {
                if (running) {
                    oobFaults.add("query-yank prober: " + e.getMessage());
                }
            }
        }

        /** Stops probing and waits for the outstanding probe (up to the OOB timeout). */
        void collect() throws InterruptedException {
            running = false;
            thread.join(OOB_TIMEOUT_NANOS / 1_000_000);
            if (thread.isAlive()) {
                oobFaults.add("query-yank prober: a probe got no answer within " + OOB_TIMEOUT_NANOS / 1_000_000 + " ms");
            }
        }

        @Override
        public void close() {
            running = false;
            conn.close();
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
