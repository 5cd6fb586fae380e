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
    void theReportGivesMediansOfTheRoundsAndProxyToDirectRatios() {
        ProxyBench.Results r = new ProxyBench.Results();
        for (long direct : new long[] {100, 300, 200}) {
            r.latency("idle", "direct", new long[] {direct * 1000});
            r.latency("idle", "proxy", new long[] {(direct + 50) * 1000});
        }
        r.throughput("16x8", "direct", 1000);
        r.throughput("16x8", "proxy", 250);
        String report = r.report("QEMU 7.2", 3, 1, 1, Instant.EPOCH, "1.0", "2.0");
        assertTrue(report.contains("| idle | direct | 200.0 (100, 300, 200) |"), report);
        assertTrue(report.contains("| idle | proxy | 250.0 (150, 350, 250) | 250.0 (150, 350, 250) | 250.0 (150, 350, 250)"
                + " | 1.25 | 1.25 | 1.25 | +50.0 |"), report);
        assertTrue(report.contains("| 16x8 | 1000 (1000) | 250 (250) | 0.25 |"), report);
        assertTrue(report.contains("load average 1.0 before, 2.0 after"), report);
    }
}
