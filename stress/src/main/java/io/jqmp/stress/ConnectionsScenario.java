package io.jqmp.stress;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * {@code connections}: opens N connections at once and negotiates all of them, then probes
 * out-of-band latency from one more; reports heap and platform threads per connection.
 * Invariants: every connection negotiated (of those the open-file limit allows), every probe
 * answered, all connections still open at the end.
 */
final class ConnectionsScenario implements Scenario {
    /** File descriptors kept free for the JVM, jars and the probers. */
    static final long FD_RESERVE = 300;
    static final int OPENERS = 16;
    /** How long a negotiation begun just before the opening deadline may still take (a starved machine). */
    static final long NEGOTIATION_LIMIT_NANOS = 10_000_000_000L;

    @Override
    public String name() {
        return "connections";
    }

    @Override
    public String description() {
        return "N concurrent negotiated connections, then out-of-band latency from one more";
    }

    @Override
    public ScenarioResult run(ScenarioContext ctx) throws Exception {
        ScenarioResult result = new ScenarioResult(name(), description());
        int asked = ctx.options().connections();
        boolean inProcess = ctx.options().target() == null;
        // In-process, each connection costs two descriptors (client and server end) in this process.
        int perConnection = inProcess ? 2 : 1;
        long limit = FileLimit.soft();
        int n = asked;
        if (limit > 0) {
            long possible = (limit - FileLimit.open() - FD_RESERVE) / perConnection;
            if (possible < asked) {
                n = (int) Math.max(1, possible);
                String warn = "WARNING: the open-file limit (ulimit -n) is " + limit + ": " + asked + " connections need about "
                        + (asked * (long) perConnection + FD_RESERVE) + " descriptors " + (inProcess ? "(client and server end in one process)" : "")
                        + "; holding " + n + " instead. Raise it with 'ulimit -n " + (asked * (long) perConnection + FD_RESERVE)
                        + "' or run the server elsewhere (--target).";
                System.err.println("jqmp stress: " + warn);
                result.note(warn);
            }
        }
        result.metric("connections asked", asked).metric("connections held", n).metric("open-file limit", limit);
        ConcurrentLinkedQueue<String> faults = new ConcurrentLinkedQueue<>();
        try (Target target = Target.open(ctx, n + 64, 16L << 20)) {
            result.metric("target", target.describe());
            Map<?, ?> before = target.measure();
            List<QmpConnection> open = java.util.Collections.synchronizedList(new ArrayList<>(n));
            AtomicInteger next = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            ctx.status(() -> String.format("negotiated %,d of %,d  failed %d", open.size(), asked, failed.get()));
            // Connect everything with a few threads; bounded by the scenario's deadline.
            long openDeadline = ctx.deadlineNanos() - (ctx.remainingNanos() / 3);
            long t0 = System.nanoTime();
            CountDownLatch done = new CountDownLatch(OPENERS);
            final int total = n;
            for (int i = 0; i < OPENERS; i++) {
                Thread.ofVirtual().name("opener-" + i).start(() -> {
                    try {
                        // Each opener tries at least once: on a starved machine the measurement before
                        // this can use up the whole opening phase.
                        boolean first = true;
                        while ((first || System.nanoTime() < openDeadline) && next.getAndIncrement() < total) {
                            first = false;
                            try {
                                // A 512-byte buffer: the greeting and {"return": {}} are all these clients read.
                                open.add(QmpConnection.negotiated(target.endpoint(), 512));
                            } catch (IOException e) {
                                if (failed.incrementAndGet() <= 5) {
                                    faults.add("connection failed: " + e.getMessage());
                                }
                            }
                        }
                    } finally {
                        done.countDown();
                    }
                });
            }
            // No opener starts a connection after the opening deadline; the ones under way get until
            // the scenario's deadline, and at least NEGOTIATION_LIMIT_NANOS; one still blocked then is
            // a fault (closing the server at the end cuts it off).
            long waitUntil = Math.max(ctx.deadlineNanos(), openDeadline + NEGOTIATION_LIMIT_NANOS);
            if (!done.await(Math.max(1, waitUntil - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                faults.add("negotiation did not finish before the deadline");
            }
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            int held = open.size();
            result.metric("negotiated", held).metric("seconds to open and negotiate all", Math.round(openSeconds * 10) / 10.0);

            Map<?, ?> after = target.measure();
            long heapBefore = Target.number(before, "heap-used");
            long heapAfter = Target.number(after, "heap-used");
            if (heapBefore >= 0 && heapAfter >= 0 && held > 0) {
                long perConn = (heapAfter - heapBefore) / held;
                result.metric("heap before (after GC), MiB", Stress.mib(heapBefore))
                        .metric("heap with all connections (after GC), MiB", Stress.mib(heapAfter))
                        .metric("heap per connection, bytes", perConn)
                        .metric("platform threads before", Target.number(before, "platform-threads"))
                        .metric("platform threads with all connections", Target.number(after, "platform-threads"))
                        .metric("server connections", Target.number(after, "connections"));
                result.note("target: " + held + " connections with under 32 KiB of heap each: " + perConn + " bytes each"
                        + (inProcess ? " (in-process: includes this client's end of each socket)" : "")
                        + (perConn < 32 * 1024 ? " — met" : " — NOT met"));
                result.note("each connection has two virtual threads on the server (reader, writer); platform threads do not grow with N");
            } else {
                result.note("the target does not answer stress-heap: no heap figures");
            }

            // Probe from one more connection while all the others are held open.
            ConcurrentHistogram oob = new ConcurrentHistogram(3);
            ConcurrentLinkedQueue<String> oobFaults = new ConcurrentLinkedQueue<>();
            OobProber prober = new OobProber(0, target.endpoint(), 500_000, oobFaults::add);
            ctx.status(() -> String.format("holding %,d  oob probes %,d  p99 %.0f us", held, oob.getTotalCount(),
                    oob.getValueAtPercentile(99) / 1000.0));
            prober.start(oob, "connections");
            // At least half a second of probes, even when opening took the whole phase (a slow machine).
            Stress.runUntil(Math.max(ctx.deadlineNanos() - 1_000_000_000L, System.nanoTime() + 500_000_000L),
                    () -> prober.checkStalled(FloodScenario.STALL_LIMIT_NANOS));
            prober.stop();
            result.latency("oob round trip with all connections open", oob);
            ScenarioResult.Latency l = ScenarioResult.Latency.ofNanos(oob);
            result.note(String.format("target: OOB p99 under 2 ms with %,d connections: %.1f us — %s", held, l.p99(),
                    l.p99() < 2000 ? "met" : "NOT met"));

            long stillOpen = open.stream().filter(c -> !c.isClosed()).count();
            for (QmpConnection c : open) {
                c.close();
            }
            // Connections the opening phase had no time for are a figure of the machine's speed, not a fault.
            int attempted = Math.min(next.get(), n);
            result.metric("connections attempted before the opening deadline", attempted);
            result.note(String.format("target: all %,d connections held: %,d — %s", n, held,
                    held == n ? "met" : "NOT met (the opening phase ended first)"));
            result.invariant("every connection attempted was opened and negotiated",
                    held == attempted && failed.get() == 0 && faults.isEmpty(),
                    held + " of " + attempted + " attempted negotiated (" + n + " asked)" + Stress.faults(faults));
            result.invariant("every out-of-band probe answered",
                    oobFaults.isEmpty() && prober.sent() == prober.answered() && prober.sent() > 0,
                    prober.answered() + " of " + prober.sent() + " answered" + Stress.faults(oobFaults));
            long serverCount = Target.number(after, "connections");
            result.invariant("the server kept every connection", serverCount < 0 || serverCount >= held,
                    "server reported " + serverCount + " connections while " + stillOpen + " were held");
        }
        return result;
    }
}
