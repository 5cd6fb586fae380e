package io.jqmp.stress;

import io.jqmp.internal.wire.JsonResult;
import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * {@code hostile}: well-behaved clients (in-band flooders and out-of-band probers) run alone for
 * half the time (the baseline), then alongside clients that never read, vanish mid-command, send
 * garbage, truncated, oversized and deeply nested input, and reconnect in a tight loop.
 * Invariants: the server stays up; the well-behaved answers are all correct; every bad input gets
 * the error the reference prescribes; heap after GC stays bounded. The well-behaved clients'
 * out-of-band p99 with hostile clients is compared with the baseline (reported, not asserted).
 */
final class HostileScenario implements Scenario {
    static final int WELL_BEHAVED = 4;
    /** Small so that clients that never read are cut off quickly. */
    static final long OUTPUT_BACKLOG = 1L << 20;
    /** Heap growth (after GC) over the run that still counts as bounded. */
    static final long HEAP_BOUND = 64L << 20;
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    /** Beyond an answer's wait, for an attacker to finish its last send and close. */
    static final Duration STOP_MARGIN = Duration.ofSeconds(5);

    private final ConcurrentLinkedQueue<String> badInputFaults = new ConcurrentLinkedQueue<>();
    private final AtomicLong badInputsSent = new AtomicLong();
    private final AtomicLong badInputsAnswered = new AtomicLong();
    private final AtomicLong neverReadCutOff = new AtomicLong();
    private final AtomicLong vanished = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong oversized = new AtomicLong();
    private volatile boolean hostileRunning;

    @Override
    public String name() {
        return "hostile";
    }

    @Override
    public String description() {
        return "well-behaved clients alone, then alongside clients that never read, vanish, send garbage, "
                + "oversized and deeply nested input, and reconnect in a tight loop";
    }

    @Override
    public ScenarioResult run(ScenarioContext ctx) throws Exception {
        ScenarioResult result = new ScenarioResult(name(), description());
        ConcurrentLinkedQueue<String> inbandFaults = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> oobFaults = new ConcurrentLinkedQueue<>();
        try (Target target = Target.open(ctx, 256, OUTPUT_BACKLOG)) {
            Endpoint ep = target.endpoint();
            result.metric("target", target.describe()).metric("well-behaved flooders", WELL_BEHAVED)
                    .metric("probers per socket", FloodScenario.PROBERS).metric("output backlog limit, bytes", OUTPUT_BACKLOG);
            Map<?, ?> heapStart = target.measure();
            List<InbandFlooder> flooders = new ArrayList<>();
            for (int i = 0; i < WELL_BEHAVED; i++) {
                flooders.add(new InbandFlooder(i, ep, FloodScenario.WINDOW, "well-behaved", inbandFaults::add));
            }
            // The same probers on the shared socket (virtual threads, as the hostile clients) and,
            // in-process, on the management socket (platform threads).
            List<ProbeGroup> groups = new ArrayList<>();
            groups.add(ProbeGroup.open("", ep, 0, oobFaults));
            if (target.management() != null) {
                groups.add(ProbeGroup.open("management socket: ", target.management(), FloodScenario.PROBERS, oobFaults));
            }
            List<OobProber> probers = groups.stream().flatMap(g -> g.probers().stream()).toList();
            ProbeGroup shared = groups.get(0);
            long start = System.nanoTime();
            long phase = Math.max(500_000_000L, (ctx.deadlineNanos() - FloodScenario.DRAIN_NANOS - 2_000_000_000L - start) / 2);
            String[] phaseName = {"baseline"};
            ctx.status(() -> String.format("%s  in-band %,d  oob p99 base %.0f us / hostile %.0f us  bad inputs %,d  faults %d",
                    phaseName[0], flooders.stream().mapToLong(InbandFlooder::answered).sum(),
                    shared.baseline().getValueAtPercentile(99) / 1000.0, shared.hostile().getValueAtPercentile(99) / 1000.0,
                    badInputsAnswered.get(), inbandFaults.size() + oobFaults.size() + badInputFaults.size()));
            flooders.forEach(InbandFlooder::start);
            groups.forEach(ProbeGroup::startBaseline);
            Stress.runUntil(start + phase, () -> probers.forEach(p -> p.checkStalled(FloodScenario.STALL_LIMIT_NANOS)));

            phaseName[0] = "hostile";
            groups.forEach(ProbeGroup::recordHostile);
            hostileRunning = true;
            List<Thread> attackers = new ArrayList<>();
            attackers.add(start("never-reader-0", () -> neverReader(ep)));
            attackers.add(start("never-reader-1", () -> neverReader(ep)));
            attackers.add(start("vanisher-0", () -> vanisher(ep)));
            attackers.add(start("vanisher-1", () -> vanisher(ep)));
            attackers.add(start("garbage", () -> garbage(ep, ctx.options().seed())));
            attackers.add(start("oversized", () -> oversized(ep)));
            attackers.add(start("reconnector", () -> reconnector(ep)));
            Stress.runUntil(start + 2 * phase, () -> probers.forEach(p -> p.checkStalled(FloodScenario.STALL_LIMIT_NANOS)));
            hostileRunning = false;
            phaseName[0] = "draining";
            flooders.forEach(InbandFlooder::stopSending);
            probers.forEach(OobProber::stop);
            long lost = 0;
            long drainDeadline = System.nanoTime() + FloodScenario.DRAIN_NANOS;
            for (InbandFlooder f : flooders) {
                lost += f.finish(drainDeadline);
            }
            // An attacker checks the phase between requests (the garbage one between rounds), so it
            // may still wait for an answer (ANSWER_TIMEOUT) after sending at most 1 MiB: give it
            // that, so a missing answer is reported as such.
            long stopDeadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos() + STOP_MARGIN.toNanos();
            for (Thread t : attackers) {
                t.join(Math.max(1, (stopDeadline - System.nanoTime()) / 1_000_000));
                if (t.isAlive()) {
                    badInputFaults.add(t.getName() + " did not stop within " + (ANSWER_TIMEOUT.plus(STOP_MARGIN).toSeconds())
                            + " s after the phase ended");
                }
            }

            // The server must still serve a newcomer, in-band and out-of-band.
            String alive = aliveCheck(ep);
            Map<?, ?> heapEnd = target.measure();

            long answered = flooders.stream().mapToLong(InbandFlooder::answered).sum();
            result.metric("well-behaved in-band answered", answered)
                    .metric("bad inputs sent", badInputsSent.get())
                    .metric("bad inputs answered as prescribed", badInputsAnswered.get())
                    .metric("never-reading clients cut off by the server", neverReadCutOff.get())
                    .metric("clients vanished mid-command", vanished.get())
                    .metric("oversized requests answered", oversized.get())
                    .metric("reconnects", reconnects.get());
            groups.forEach(g -> g.report(result));
            long hs = Target.number(heapStart, "heap-used");
            long he = Target.number(heapEnd, "heap-used");
            result.metric("heap at start (after GC), MiB", Stress.mib(hs)).metric("heap at end (after GC), MiB", Stress.mib(he));

            long probesSent = probers.stream().mapToLong(OobProber::sent).sum();
            long probesAnswered = probers.stream().mapToLong(OobProber::answered).sum();
            result.invariant("the server stays up", alive == null, alive == null ? "a new client negotiated and got in-band "
                    + "and out-of-band answers after the attack" : alive);
            result.invariant("well-behaved in-band answers correct, none lost, duplicated or reordered",
                    inbandFaults.isEmpty() && lost == 0, answered + " answers checked, " + lost + " lost" + Stress.faults(inbandFaults));
            result.invariant("every well-behaved out-of-band probe answered",
                    oobFaults.isEmpty() && probesSent == probesAnswered,
                    probesAnswered + " of " + probesSent + " answered" + Stress.faults(oobFaults));
            result.invariant("every bad input got the prescribed error", badInputFaults.isEmpty() && badInputsSent.get() > 0,
                    badInputsAnswered.get() + " of " + badInputsSent.get() + " as prescribed" + Stress.faults(badInputFaults));
            result.invariant("heap after GC stays bounded", hs >= 0 && he >= 0 && he - hs < HEAP_BOUND,
                    hs < 0 || he < 0 ? "the target does not answer stress-heap"
                            : String.format("%.1f MiB at start, %.1f MiB at end (bound: +%d MiB)", Stress.mib(hs), Stress.mib(he),
                                    HEAP_BOUND >> 20));
        }
        return result;
    }

    /**
     * Probers on one socket, with a histogram for the baseline and one for the hostile phase.
     * {@code label} prefixes its report lines and its probes' phase names (empty for the shared socket).
     */
    record ProbeGroup(String label, List<OobProber> probers, ConcurrentHistogram baseline, ConcurrentHistogram hostile) {
        static ProbeGroup open(String label, Endpoint ep, int firstIndex, ConcurrentLinkedQueue<String> faults)
                throws IOException {
            List<OobProber> probers = new ArrayList<>();
            for (int i = 0; i < FloodScenario.PROBERS; i++) {
                probers.add(new OobProber(firstIndex + i, ep, FloodScenario.PROBE_INTERVAL_NANOS, faults::add));
            }
            return new ProbeGroup(label, probers, new ConcurrentHistogram(3), new ConcurrentHistogram(3));
        }

        void startBaseline() {
            probers.forEach(p -> p.start(baseline, label + "baseline"));
        }

        void recordHostile() {
            probers.forEach(p -> p.record(hostile, label + "hostile"));
        }

        /** The two latencies, their p50 and p99 ratios and the targets (p50 within 1.5x, p99 within 2x). */
        void report(ScenarioResult result) {
            result.latency(label + "oob baseline (well-behaved only)", baseline);
            result.latency(label + "oob with hostile clients", hostile);
            ScenarioResult.Latency b = ScenarioResult.Latency.ofNanos(baseline);
            ScenarioResult.Latency h = ScenarioResult.Latency.ofNanos(hostile);
            double p50 = b.p50() > 0 ? Math.round(h.p50() / b.p50() * 100) / 100.0 : Double.NaN;
            double p99 = b.p99() > 0 ? Math.round(h.p99() / b.p99() * 100) / 100.0 : Double.NaN;
            result.metric(label + "oob p50 ratio hostile/baseline", p50);
            result.metric(label + "oob p99 ratio hostile/baseline", p99);
            result.note(String.format("target: %swell-behaved OOB p50 with hostile clients within 1.5x of the baseline: "
                    + "%.1f us vs %.1f us = %.2fx — %s", label, h.p50(), b.p50(), p50, p50 <= 1.5 ? "met" : "NOT met"));
            result.note(String.format("target: %swell-behaved OOB p99 with hostile clients within 2x of the baseline: "
                    + "%.1f us vs %.1f us = %.2fx — %s", label, h.p99(), b.p99(), p99, p99 <= 2.0 ? "met" : "NOT met"));
        }
    }

    private static Thread start(String name, Runnable r) {
        return Thread.ofVirtual().name(name).start(r);
    }

    /** Sends requests with large answers and never reads; the server must cut it off at its backlog limit. */
    private void neverReader(Endpoint ep) {
        String payload = "n".repeat(16 * 1024);
        byte[] req = ("{\"execute\": \"" + StressServer.ECHO + "\", \"arguments\": {\"seq\": 1, \"payload\": \""
                + payload + "\"}}").getBytes(StandardCharsets.US_ASCII);
        while (hostileRunning) {
            QmpConnection c = null;
            try {
                c = QmpConnection.negotiated(ep, 4096);
                QmpConnection conn = c;
                // A blocked send is released by closing at the end of the phase.
                Thread closer = start("never-reader-closer", () -> {
                    while (hostileRunning && !conn.isClosed()) {
                        LockSupport.parkNanos(50_000_000L);
                    }
                    conn.close();
                });
                for (int i = 0; i < 100_000 && hostileRunning; i++) {
                    c.send(req);
                }
                closer.interrupt();
            } catch (IOException e) {
                if (hostileRunning && c != null) {
                    neverReadCutOff.incrementAndGet(); // the server closed it: what it should do
                }
            } finally {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    /** Sends an in-band command that takes a while and an out-of-band probe, then disconnects at once. */
    private void vanisher(Endpoint ep) {
        while (hostileRunning) {
            try (QmpConnection c = QmpConnection.negotiated(ep, 4096)) {
                c.send("{\"execute\": \"" + StressServer.WORK + "\", \"arguments\": {\"micros\": 2000}, \"id\": 1}"
                        + "{\"exec-oob\": \"" + StressServer.PROBE + "\", \"id\": 2}"
                        + "{\"execute\": \"" + StressServer.ECHO + "\", \"arguments\": {\"seq\": 3}, \"id\": 3}");
                vanished.incrementAndGet();
            } catch (IOException e) {
                badInputFaults.add("vanisher: could not connect: " + e.getMessage());
                return;
            }
            LockSupport.parkNanos(5_000_000L);
        }
    }

    /**
     * Sends each bad input (in a seeded random order) on one connection and checks each answer
     * against the prescribed one, round after round while the phase lasts, and at least one whole
     * round even when a starved machine ends the phase before this thread gets to send.
     */
    private void garbage(Endpoint ep, long seed) {
        List<BadInputs.Case> cases = new ArrayList<>(BadInputs.cases());
        Random random = new Random(seed);
        try (QmpConnection c = QmpConnection.negotiated(ep, 64 * 1024)) {
            QmpConnection.MessageQueue q = c.startQueue("garbage-reader");
            do {
                // A new order every round (from the run's seed), so each input follows every other.
                Collections.shuffle(cases, random);
                for (BadInputs.Case k : cases) {
                    badInputsSent.incrementAndGet();
                    c.send(k.input());
                    if (expect(q, k.name(), k.expected())) {
                        badInputsAnswered.incrementAndGet();
                    } else {
                        return;
                    }
                }
                LockSupport.parkNanos(10_000_000L);
            } while (hostileRunning);
        } catch (IOException e) {
            badInputFaults.add("garbage: connection failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Multi-MiB strings, repeatedly, and once a token over the 64 MiB limit. */
    private void oversized(Endpoint ep) {
        try {
            try (QmpConnection c = QmpConnection.negotiated(ep, 64 * 1024)) {
                QmpConnection.MessageQueue q = c.startQueue("oversized-reader-limit");
                // In 1 MiB pieces, so that a phase that ends first (a slow machine) stops it: the
                // attackers must be gone before the heap is measured.
                byte[] piece = new byte[1 << 20];
                Arrays.fill(piece, (byte) 'a');
                piece[0] = '"';
                c.send(piece);
                piece[0] = 'a';
                for (int i = 1; i < 64 && hostileRunning; i++) {
                    c.send(piece);
                }
                if (!hostileRunning) {
                    return; // not sent whole: nothing to check
                }
                badInputsSent.incrementAndGet();
                c.send(new byte[] {'a', 'a'});
                if (expect(q, "a string of 64 MiB + 1 byte", List.of("JSON token size limit exceeded"))) {
                    badInputsAnswered.incrementAndGet();
                }
            }
            String big = "b".repeat(3 << 20);
            String echoed = "e".repeat((int) OUTPUT_BACKLOG / 2);
            try (QmpConnection c = QmpConnection.negotiated(ep, 64 * 1024)) {
                QmpConnection.MessageQueue q = c.startQueue("oversized-reader");
                while (hostileRunning) {
                    badInputsSent.incrementAndGet();
                    c.send("{\"execute\": \"" + StressServer.ECHO + "\", \"arguments\": {\"seq\": 1}, \"junk\": \"" + big + "\"}");
                    if (!expect(q, "3 MiB unknown member", List.of("QMP input member 'junk' is unexpected"))) {
                        return;
                    }
                    badInputsAnswered.incrementAndGet();
                    if (!hostileRunning) {
                        break; // at most one answer is awaited after the phase
                    }
                    // The echoed payload stays under the output backlog limit, past which the server disconnects.
                    c.send("{\"execute\": \"" + StressServer.ECHO + "\", \"arguments\": {\"seq\": 2, \"payload\": \"" + echoed + "\"}, \"id\": 2}");
                    Object m = q.next(ANSWER_TIMEOUT);
                    if (m instanceof Map<?, ?> a && a.get("return") instanceof Map<?, ?> r && echoed.equals(r.get("payload"))) {
                        oversized.incrementAndGet();
                    } else {
                        badInputFaults.add("oversized: a 512 KiB payload was not echoed: " + QmpConnection.describe(m));
                        return;
                    }
                    LockSupport.parkNanos(20_000_000L);
                }
            }
        } catch (IOException e) {
            badInputFaults.add("oversized: connection failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Connects, reads the greeting and disconnects, as fast as it can. */
    private void reconnector(Endpoint ep) {
        while (hostileRunning) {
            try (QmpConnection c = QmpConnection.connect(ep, 512)) {
                Object g = c.readMessage();
                if (!(g instanceof Map<?, ?> m) || !m.containsKey("QMP")) {
                    badInputFaults.add("reconnector: expected a greeting, got " + QmpConnection.describe(g));
                    return;
                }
                reconnects.incrementAndGet();
            } catch (IOException e) {
                badInputFaults.add("reconnector: " + e.getMessage());
                return;
            }
        }
    }

    /** Takes {@code expected.size()} messages and compares each; records a fault and returns false on a mismatch. */
    private boolean expect(QmpConnection.MessageQueue q, String what, List<String> expected) throws InterruptedException {
        for (String want : expected) {
            Object m = q.next(ANSWER_TIMEOUT);
            String got;
            if (m == null) {
                got = "no answer within " + ANSWER_TIMEOUT.toSeconds() + " s";
            } else if (m instanceof Map<?, ?> a && a.get("error") instanceof Map<?, ?> e) {
                got = String.valueOf(e.get("desc"));
            } else if (m instanceof Map<?, ?> a && a.containsKey("return")) {
                got = BadInputs.RETURN;
            } else if (m instanceof JsonResult.Error e) {
                got = "invalid JSON from the server: " + e.desc();
            } else {
                got = QmpConnection.describe(m);
            }
            if (!want.equals(got)) {
                badInputFaults.add(what + ": expected " + quote(want) + ", got " + quote(got));
                return false;
            }
        }
        return true;
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (char ch : s.toCharArray()) {
            sb.append(ch < 0x20 || ch > 0x7E ? String.format("\\u%04X", (int) ch) : String.valueOf(ch));
        }
        return sb.append('\'').toString();
    }

    /** Null if a new client gets in-band and out-of-band answers, else what went wrong. */
    static String aliveCheck(Endpoint ep) {
        try (QmpConnection c = QmpConnection.negotiated(ep, 4096)) {
            QmpConnection.MessageQueue q = c.startQueue("alive-check");
            c.send("{\"exec-oob\": \"" + StressServer.PROBE + "\", \"id\": \"o\"}"
                    + "{\"execute\": \"" + StressServer.ECHO + "\", \"arguments\": {\"seq\": 5}, \"id\": \"i\"}");
            int ok = 0;
            for (int i = 0; i < 2; i++) {
                Object m = q.next(ANSWER_TIMEOUT);
                if (m instanceof Map<?, ?> a && a.containsKey("return")) {
                    ok++;
                } else {
                    return "a new client got " + QmpConnection.describe(m) + " after the attack";
                }
            }
            return ok == 2 ? null : "a new client got " + ok + " of 2 answers";
        } catch (IOException e) {
            return "a new client could not negotiate after the attack: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
