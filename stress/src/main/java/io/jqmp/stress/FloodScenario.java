package io.jqmp.stress;

import io.jqmp.server.QmpServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * {@code flood}: N clients each keep 8 in-band requests in flight while two probers send
 * out-of-band probes. Invariants: every probe answered (latency recorded), no in-band request
 * lost, answered twice or reordered.
 */
final class FloodScenario implements Scenario {
    static final int WINDOW = 8;
    static final int PROBERS = 2;
    static final long PROBE_INTERVAL_NANOS = 1_000_000;
    /** An out-of-band probe unanswered for this long counts as not answered. */
    static final long STALL_LIMIT_NANOS = 5_000_000_000L;
    /** Time kept at the end to collect the last answers. */
    static final long DRAIN_NANOS = 3_000_000_000L;

    @Override
    public String name() {
        return "flood";
    }

    @Override
    public String description() {
        return "N clients with 8 in-band requests in flight each, plus out-of-band probers";
    }

    @Override
    public ScenarioResult run(ScenarioContext ctx) throws Exception {
        ScenarioResult result = new ScenarioResult(name(), description());
        int clients = ctx.options().clients();
        ConcurrentLinkedQueue<String> inbandFaults = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> oobFaults = new ConcurrentLinkedQueue<>();
        try (Target target = Target.open(ctx, clients + PROBERS + 16, 16L << 20)) {
            result.metric("target", target.describe()).metric("clients", clients)
                    .metric("in-band window", WINDOW).metric("probers", PROBERS);
            List<InbandFlooder> flooders = new ArrayList<>();
            List<OobProber> probers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                flooders.add(new InbandFlooder(i, target.endpoint(), WINDOW, null, inbandFaults::add));
            }
            for (int i = 0; i < PROBERS; i++) {
                probers.add(new OobProber(i, target.endpoint(), PROBE_INTERVAL_NANOS, oobFaults::add));
            }
            ConcurrentHistogram oob = new ConcurrentHistogram(3);
            long start = System.nanoTime();
            ctx.status(() -> String.format("in-band answered %,d  oob probes %,d  p99 %.0f us  faults %d",
                    flooders.stream().mapToLong(InbandFlooder::answered).sum(), oob.getTotalCount(),
                    oob.getValueAtPercentile(99) / 1000.0, inbandFaults.size() + oobFaults.size()));
            flooders.forEach(InbandFlooder::start);
            probers.forEach(p -> p.start(oob, "flood"));
            long stopAt = Math.max(start + 1_000_000_000L, ctx.deadlineNanos() - DRAIN_NANOS);
            Stress.runUntil(stopAt, () -> probers.forEach(p -> p.checkStalled(STALL_LIMIT_NANOS)));
            flooders.forEach(InbandFlooder::stopSending);
            probers.forEach(OobProber::stop);
            long lost = 0;
            long drainDeadline = System.nanoTime() + DRAIN_NANOS;
            for (InbandFlooder f : flooders) {
                lost += f.finish(drainDeadline);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            long answered = flooders.stream().mapToLong(InbandFlooder::answered).sum();
            long probesSent = probers.stream().mapToLong(OobProber::sent).sum();
            long probesAnswered = probers.stream().mapToLong(OobProber::answered).sum();
            result.metric("in-band answered", answered)
                    .metric("in-band per second", Math.round(answered / secs))
                    .metric("oob probes sent", probesSent)
                    .metric("oob probes answered", probesAnswered);
            QmpServer s = target.server();
            if (s != null) {
                result.metric("reader suspensions (back-pressure)", s.readerSuspensions())
                        .metric("failed oob offers", s.failedOobOffers());
            }
            result.latency("oob round trip", oob);
            result.invariant("every out-of-band probe answered", oobFaults.isEmpty() && probesSent == probesAnswered,
                    probesAnswered + " of " + probesSent + " answered" + Stress.faults(oobFaults));
            result.invariant("no in-band request lost", lost == 0, lost + " lost of " + (answered + lost));
            result.invariant("no in-band answer duplicated or reordered", inbandFaults.isEmpty(),
                    answered + " answers checked in order" + Stress.faults(inbandFaults));
        }
        return result;
    }
}
