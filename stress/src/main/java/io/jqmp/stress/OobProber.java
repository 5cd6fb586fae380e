package io.jqmp.stress;

import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * A client that sends one {@code exec-oob stress-probe} at a time, every {@code intervalNanos},
 * and records each round trip (send to answer) in the current histogram. A probe not answered
 * within the stall limit is a violation ({@link #checkStalled}).
 *
 * <p>Threading: one platform thread per prober (so its timing does not depend on the virtual
 * thread scheduler that the load shares); {@link #record}, {@link #checkStalled} and
 * {@link #stop} are called by the scenario's thread.
 */
final class OobProber {
    private final int index;
    private final QmpConnection conn;
    private final long intervalNanos;
    private final Consumer<String> violations;
    private volatile ConcurrentHistogram histogram;
    /** Names the probes' {@link ProbeEvent}s, so a recording can be split like the histograms. */
    private volatile String phase;
    private volatile boolean running = true;
    private volatile long inFlightSince; // 0 when no probe is outstanding
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private Thread thread;

    OobProber(int index, Endpoint endpoint, long intervalNanos, Consumer<String> violations) throws IOException {
        this.index = index;
        this.conn = QmpConnection.negotiated(endpoint, 4096);
        this.intervalNanos = intervalNanos;
        this.violations = violations;
    }

    /** Starts probing into {@code h}, the probes of {@code phaseName}. */
    void start(ConcurrentHistogram h, String phaseName) {
        histogram = h;
        phase = phaseName;
        thread = Thread.ofPlatform().daemon().name("oob-prober-" + index).start(this::loop);
    }

    /** Records the next probes into {@code h}, the probes of {@code phaseName} (to split a run into phases). */
    void record(ConcurrentHistogram h, String phaseName) {
        histogram = h;
        phase = phaseName;
    }

    /** At least one probe, even when {@link #stop} comes before this thread first runs (a starved machine). */
    private void loop() {
        long n = 0;
        try {
            do {
                String id = "p" + index + "-" + n++;
                ProbeEvent event = new ProbeEvent();
                event.begin();
                long t0 = System.nanoTime();
                inFlightSince = t0;
                sent.incrementAndGet();
                conn.send("{\"exec-oob\": \"" + StressServer.PROBE + "\", \"id\": \"" + id + "\"}");
                Object m = conn.readMessage();
                long t1 = System.nanoTime();
                inFlightSince = 0;
                if (event.shouldCommit()) {
                    event.requestId = "\"" + id + "\"";
                    event.phase = phase;
                    event.commit();
                }
                if (m == QmpConnection.EOF) {
                    if (running) {
                        violations.accept("prober " + index + ": the server closed the connection");
                    }
                    return;
                }
                if (!(m instanceof Map<?, ?> a) || !id.equals(a.get("id")) || !(a.get("return") instanceof Map<?, ?> r)
                        || !r.isEmpty()) {
                    violations.accept("prober " + index + ": expected {\"return\": {}, \"id\": \"" + id + "\"}, got "
                            + QmpConnection.describe(m));
                    continue;
                }
                answered.incrementAndGet();
                histogram.recordValue(t1 - t0);
                LockSupport.parkNanos(intervalNanos); // pacing between probes
            } while (running);
        } catch (IOException e) {
            if (running) {
                violations.accept("prober " + index + ": " + e.getMessage());
            }
        }
    }

    /** Reports and ends a probe outstanding for longer than {@code limitNanos}. Returns true if it did. */
    boolean checkStalled(long limitNanos) {
        long since = inFlightSince;
        if (running && since != 0 && System.nanoTime() - since > limitNanos) {
            violations.accept("prober " + index + ": an out-of-band probe got no answer within "
                    + limitNanos / 1_000_000 + " ms");
            running = false;
            conn.close();
            return true;
        }
        return false;
    }

    /**
     * Lets the outstanding probe finish, then closes. A probe is given what {@link #checkStalled}
     * gives it, {@link FloodScenario#STALL_LIMIT_NANOS} from its sending (a slow machine may take
     * seconds); one still unanswered then is reported.
     */
    void stop() {
        running = false;
        if (thread != null) {
            try {
                // The loop ends at its next turn; a probe sent meanwhile gets its full limit too.
                long deadline = System.nanoTime() + FloodScenario.STALL_LIMIT_NANOS + 1_000_000_000L;
                while (thread.isAlive() && System.nanoTime() < deadline) {
                    long since = inFlightSince;
                    long until = since == 0 ? System.nanoTime() + 100_000_000L
                            : Math.min(deadline, since + FloodScenario.STALL_LIMIT_NANOS);
                    thread.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
                    if (since != 0 && thread.isAlive() && inFlightSince == since) {
                        break;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive() && inFlightSince != 0) {
                violations.accept("prober " + index + ": an out-of-band probe got no answer within "
                        + FloodScenario.STALL_LIMIT_NANOS / 1_000_000 + " ms");
            }
        }
        conn.close();
    }

    long sent() {
        return sent.get();
    }

    long answered() {
        return answered.get();
    }
}
