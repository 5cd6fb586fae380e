package io.jqmp.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The {@code postcopy} scenario's event-order checker, and a short run of the scenario. */
class PostcopyScenarioTest {

    @Test
    void acceptsRecoveriesAndASecondFailureDuringRecovery() {
        assertNull(MigrationOrder.check(MigrationOrder.SOURCE, List.of("setup", "active", "postcopy-active",
                "postcopy-paused", "postcopy-recover", "postcopy-active", "completed")));
        assertNull(MigrationOrder.check(MigrationOrder.DESTINATION, List.of("active", "postcopy-active", "postcopy-paused",
                "postcopy-recover", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-paused",
                "postcopy-recover", "postcopy-active", "completed")));
    }

    @Test
    void rejectsSkippedStatusesAndUnfinishedMigrations() {
        assertEquals("#4 postcopy-paused -> postcopy-active is not allowed in [setup, active, postcopy-active, "
                + "postcopy-paused, postcopy-active, completed]", MigrationOrder.check(MigrationOrder.SOURCE,
                        List.of("setup", "active", "postcopy-active", "postcopy-paused", "postcopy-active", "completed")));
        assertEquals("#0 none -> setup is not allowed in [setup, active]",
                MigrationOrder.check(MigrationOrder.DESTINATION, List.of("setup", "active")));
        assertEquals("ended in postcopy-recover, not completed: [active, postcopy-active, postcopy-paused, postcopy-recover]",
                MigrationOrder.check(MigrationOrder.DESTINATION, List.of("active", "postcopy-active", "postcopy-paused",
                        "postcopy-recover")));
        assertEquals("ended in none, not completed: []", MigrationOrder.check(MigrationOrder.SOURCE, List.of()));
    }

    @Test
    @Timeout(180) // one iteration in a cold JVM on a starved machine took 53 s; the scenario's steps have their own limits
    void aShortRunRecoversEveryFailureAndHoldsEveryInvariant() throws Exception {
        StressOptions o = new StressOptions("postcopy", Duration.ofSeconds(8), 3, null, null, 4, 1_000, false);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Report report;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            report = StressMain.run(o, out);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        ScenarioResult r = report.results().get(0);
        assertEquals("postcopy", r.name());
        assertTrue(report.passed(), printed);
        assertEquals(5, r.invariants().size(), printed);
        long iterations = ((Number) r.metrics().get("iterations")).longValue();
        // How many iterations fit in 8 s depends on the machine's speed; each one must hold every invariant.
        assertTrue(iterations >= 1, printed);
        assertEquals(iterations, ((Number) r.metrics().get("migrations completed and verified")).longValue(), printed);
        long injected = List.of("cut", "stall", "slow").stream()
                .mapToLong(k -> ((Number) r.metrics().get("failures injected: " + k)).longValue()).sum();
        assertEquals(iterations, injected, printed);
        assertTrue(r.latencies().get("oob query-yank while the destination's main loop is blocked").count() > 0, printed);
    }
}
