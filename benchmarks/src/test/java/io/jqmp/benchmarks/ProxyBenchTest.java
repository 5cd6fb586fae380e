package io.jqmp.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The proxy benchmark's arithmetic and report; the measurement itself needs QEMU and the cli jar. */
class ProxyBenchTest {
    @Test
    void percentilesAreNearestRankInMicroseconds() {
        long[] nanos = new long[1000];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = (i + 1) * 1000L; // 1 µs .. 1000 µs
        }
        assertEquals(500.0, ProxyBench.Results.pct(nanos, 0.50));
        assertEquals(990.0, ProxyBench.Results.pct(nanos, 0.99));
        assertEquals(999.0, ProxyBench.Results.pct(nanos, 0.999));
        assertEquals(7.0, ProxyBench.Results.pct(new long[] {7000}, 0.999));
        assertTrue(Double.isNaN(ProxyBench.Results.pct(new long[0], 0.5)));
    }

    @Test
    void noPathAlwaysFollowsAnotherInTheIdleTurns() {
        // The path probed right after a proxy pays for that proxy's work after its answer: over
        // many turns, every path must come right after every other one about equally often.
        int paths = 4;
        int turns = 4000;
        int[][] follows = new int[paths][paths];
        int[] first = new int[paths];
        java.util.Random order = new java.util.Random(5000);
        for (int t = 0; t < turns; t++) {
            java.util.List<Integer> turn = ProxyBench.turn(paths, order);
            assertEquals(java.util.Set.of(0, 1, 2, 3), java.util.Set.copyOf(turn));
            first[turn.get(0)]++;
            for (int i = 1; i < paths; i++) {
                follows[turn.get(i - 1)][turn.get(i)]++;
            }
        }
        double perPair = turns * (paths - 1) / (double) (paths * (paths - 1));
        for (int a = 0; a < paths; a++) {
            assertTrue(Math.abs(first[a] - turns / (double) paths) < 0.1 * turns / paths, "first: " + first[a]);
            for (int b = 0; b < paths; b++) {
                if (a != b) {
                    assertTrue(Math.abs(follows[a][b] - perPair) < 0.15 * perPair,
                            "path " + b + " right after path " + a + ": " + follows[a][b] + " times of " + turns);
                }
            }
        }
    }

    @Test
    void theReportGivesMediansOfTheRoundsAndProxyToDirectRatios() {
        ProxyBench.Results r = new ProxyBench.Results();
        for (long direct : new long[] {100, 300, 200}) {
            r.latency("idle", "direct", new long[] {direct * 1000});
            r.latency("idle", "proxy", new long[] {(direct + 50) * 1000});
        }
        r.throughput("16x8", "direct", 1000);
        r.throughput("16x8", "proxy", 250);
        String report = r.report("QEMU 7.2", 3, 1, 1, Instant.EPOCH, "1.0", "2.0", null, false);
        assertTrue(report.contains("| idle | direct | 200.0 (100, 300, 200) |"), report);
        assertTrue(report.contains("| idle | proxy | 250.0 (150, 350, 250) | 250.0 (150, 350, 250) | 250.0 (150, 350, 250)"
                + " | 1.25 | 1.25 | 1.25 | +50.0 |"), report);
        assertTrue(report.contains("| 16x8 | 1000 (1000) | 250 (250) | 0.25 |"), report);
        assertTrue(report.contains("load average 1.0 before, 2.0 after"), report);
        assertTrue(!report.contains("baseline"), report);
    }

    @Test
    void aBaselineProxyIsComparedRoundByRound() {
        ProxyBench.Results r = new ProxyBench.Results();
        long[][] rounds = {{100, 150, 200}, {300, 330, 300}, {200, 240, 300}}; // direct, proxy, baseline
        for (long[] round : rounds) {
            r.latency("idle", "direct", new long[] {round[0] * 1000});
            r.latency("idle", "proxy", new long[] {round[1] * 1000});
            r.latency("idle", "baseline", new long[] {round[2] * 1000});
        }
        r.throughput("1x8", "direct", 1000);
        r.throughput("1x8", "proxy", 900);
        r.throughput("1x8", "baseline", 600);
        String report = r.report("QEMU 7.2", 3, 1, 1, Instant.EPOCH, "1.0", "2.0", "/x/old.jar", true);
        assertTrue(report.contains("a second proxy started from old.jar"), report);
        assertTrue(report.contains("Relay: socat"), report);
        assertTrue(report.contains("| idle | baseline | 300.0 (200, 300, 300) | 300.0 (200, 300, 300) | 300.0 (200, 300, 300)"
                + " | 1.50 | 1.50 | 1.50 | +100.0 |"), report);
        // per-round ratios 0.75, 1.10, 0.80 -> median 0.80; differences -50, +30, -60 -> median -50
        assertTrue(report.contains("| idle | 0.80 (0.75, 1.10, 0.80) | 0.80 (0.75, 1.10, 0.80) | 0.80 (0.75, 1.10, 0.80)"
                + " | -50.0 (-50, 30, -60) |"), report);
        assertTrue(report.contains("| 1x8 | 1000 (1000) | 900 (900) | 600 (600) | 0.90 | 0.60 |"), report);
    }
}
