package io.jqmp.stress;

import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * The well-behaved clients of a scenario that compares a baseline with a disturbed phase: in-band
 * flooders (each keeps {@link FloodScenario#WINDOW} requests in flight and checks every answer)
 * and out-of-band probers (one probe at a time every {@link FloodScenario#PROBE_INTERVAL_NANOS}),
 * and the faults they saw.
 *
 * <p>Threading: created, started, switched and stopped by the scenario's thread; the clients run
 * on their own threads; the counters may be read from any thread.
 */
final class WellBehavedClients {
    final ConcurrentLinkedQueue<String> inbandFaults = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> oobFaults = new ConcurrentLinkedQueue<>();
    private final List<InbandFlooder> flooders = new ArrayList<>();
    private final List<OobProber> probers = new ArrayList<>();

    /** Connects {@code flooders} flooders and {@link FloodScenario#PROBERS} probers to {@code ep}. */
    WellBehavedClients(Endpoint ep, int flooders) throws IOException {
        for (int i = 0; i < flooders; i++) {
            this.flooders.add(new InbandFlooder(i, ep, FloodScenario.WINDOW, "well-behaved", inbandFaults::add));
        }
        for (int i = 0; i < FloodScenario.PROBERS; i++) {
            probers.add(new OobProber(i, ep, FloodScenario.PROBE_INTERVAL_NANOS, oobFaults::add));
        }
    }

    /** Starts flooding and probing, recording the probes' round trips into {@code probes}, phase {@code phase}. */
    void start(ConcurrentHistogram probes, String phase) {
        flooders.forEach(InbandFlooder::start);
        probers.forEach(p -> p.start(probes, phase));
    }

    /** From now on, records the probes into {@code probes} (the next phase, {@code phase}). */
    void record(ConcurrentHistogram probes, String phase) {
        probers.forEach(p -> p.record(probes, phase));
    }

    /** Waits until {@code stopAtNanos}, reporting every probe that stalls past the limit. */
    void runUntil(long stopAtNanos) {
        Stress.runUntil(stopAtNanos, () -> probers.forEach(p -> p.checkStalled(FloodScenario.STALL_LIMIT_NANOS)));
    }

    /** Stops sending and probing, waits for the outstanding answers until {@code drainDeadline}; returns those lost. */
    long stop(long drainDeadline) throws InterruptedException {
        flooders.forEach(InbandFlooder::stopSending);
        probers.forEach(OobProber::stop);
        long lost = 0;
        for (InbandFlooder f : flooders) {
            lost += f.finish(drainDeadline);
        }
        return lost;
    }

    long answered() {
        return flooders.stream().mapToLong(InbandFlooder::answered).sum();
    }

    long probesSent() {
        return probers.stream().mapToLong(OobProber::sent).sum();
    }

    long probesAnswered() {
        return probers.stream().mapToLong(OobProber::answered).sum();
    }
}
