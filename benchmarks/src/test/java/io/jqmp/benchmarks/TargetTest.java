package io.jqmp.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class TargetTest {

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void embeddedServerAnswersTheBenchmarkCommands() throws IOException {
        try (Target t = Target.open("embedded", "unix", "park", true);
             Prober p = Prober.open(t.endpoint(0), true)) {
            assertTrue(p.oob());
            p.roundTrip(Prober.request(true, "query-yank", null, 1), 1);
            assertTrue(p.lastLineIsReturn(), p.lastLine());
            assertEquals(Target.QEMU_MONITORS, count(p.lastLine(), "\"compat_monitor"));
            p.roundTrip(Prober.request(false, "query-status", null, 2), 2);
            assertTrue(p.lastLine().contains("\"status\": \"running\""), p.lastLine());
        }
    }

    @Test
    void embeddedTcpTarget() throws IOException {
        try (Target t = Target.open("embedded", "tcp", "backoff", true);
             Prober p = Prober.open(t.endpoint(3), true)) {
            assertTrue(t.endpoint(3).startsWith("tcp:127.0.0.1:"), t.endpoint(3));
            p.roundTrip(Prober.request(true, "bench-ping", null, 1), 1);
            assertEquals("{\"return\": {}, \"id\": 1}", p.lastLine());
        }
    }

    @Test
    void baselineServerOffersNoOob() throws IOException {
        try (Target t = Target.open("embedded", "unix", "park", false);
             Prober p = Prober.open(t.endpoint(0), true)) {
            assertFalse(p.oob());
        }
    }

    @Test
    void externalPatternNamesOneSocketPerConnection() throws IOException {
        try (Target t = Target.open("unix:/tmp/q/m%d.sock", "unix", "park", true)) {
            assertEquals("unix:/tmp/q/m0.sock", t.endpoint(0));
            assertEquals("unix:/tmp/q/m16.sock", t.endpoint(16));
            assertEquals(null, t.server());
        }
        try (Target t = Target.open("tcp:127.0.0.1:4444", "unix", "park", true)) {
            assertEquals("tcp:127.0.0.1:4444", t.endpoint(5));
        }
    }

    /** The blocked load: an OOB request sent after an in-band one on the same connection overtakes it. */
    @Test
    void blockedMainLoopIsOvertakenByOob() throws IOException {
        try (Target t = Target.open("embedded", "unix", "park", true)) {
            t.blockMainLoop();
            try (Prober p = Prober.open(t.endpoint(0), true)) {
                p.send(Prober.request(false, "query-status", null, 7));
                p.send(Prober.request(true, "query-yank", null, 8));
                assertEquals(8, p.awaitLine());
                assertTrue(p.lastLineIsReturn(), p.lastLine());
                t.unblockEmbedded();
                assertEquals(7, p.awaitLine());
                assertTrue(p.lastLineIsReturn(), p.lastLine());
            }
        }
    }

    @Test
    @Timeout(120)
    void loaderKeepsCommandsInFlightWithoutErrors() throws IOException, InterruptedException {
        try (Target t = Target.open("embedded", "unix", "park", true)) {
            try (Loader l = Loader.start(t::endpoint, 2, 8, "query-status")) {
                // A count, not a rate: the deadline only bounds a loader that stopped (a starved
                // machine may answer 2,000 requests slowly).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (l.responses() < 2_000 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(1_000_000); // polling a counter, with a deadline
                }
                assertTrue(l.responses() >= 2_000, "answers: " + l.responses());
                assertEquals(0, l.errors());
            }
        }
    }
}
