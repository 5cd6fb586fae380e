package io.jqmp.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two machines in one JVM, each behind its own QMP server, migrating over a Unix socket:
 * precopy, postcopy, and postcopy failures (cut, stall, double failure) recovered out-of-band
 * while the destination's main loop is blocked on a missing page.
 */
@Timeout(30)
class MigrationTest {
    private static final Logger LOG = Logger.getLogger(MigrationTest.class.getName());
    private static final MachineConfig SOURCE = MachineConfig.defaults().withMemory(8 << 20).withDirtyRate(2000);
    /** The destination's vCPU writes nothing, so its memory after migration is exactly what arrived. */
    private static final MachineConfig DEST = SOURCE.withDirtyRate(0);
    private static final String EVENTS_AND_POSTCOPY = "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}, "
            + "{\"capability\": \"postcopy-ram\", \"state\": true}]}";

    @TempDir
    Path dir;

    private String uri(String name) {
        return "unix:" + dir.resolve(name);
    }

    @Test
    void precopyCompletesWithIdenticalMemory() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", SOURCE.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            s.ok("migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}");
            d.ok("migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}");
            d.ok("stop", null); // no autostart: the destination's vCPU must not change what arrived
            s.ok("migrate", "{\"uri\": \"" + uri("mig") + "\"}");
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("setup", "active", "completed"), s.migrationStatuses());
            assertEquals(List.of("active", "completed"), d.migrationStatuses());
            assertEquals("{\"return\": {\"status\": \"postmigrate\", \"singlestep\": false, \"running\": false}}",
                    s.execute("query-status", null));
            assertEquals("{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}}",
                    d.execute("query-status", null));
            assertEquals(s.execute("x-guest-memory-checksum", null), d.execute("x-guest-memory-checksum", null));
            String info = s.execute("query-migrate", null);
            assertTrue(info.contains("\"status\": \"completed\""), info);
            assertTrue(info.contains("\"remaining\": 0,"), info);
            assertTrue(info.contains("\"total\": 8388608,"), info);
            assertEquals("{\"return\": {\"status\": \"completed\"}}", d.execute("query-migrate", null));
        }
    }

    @Test
    void postcopyCompletesAndTheDestinationRunsAtOnce() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", DEST.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 200 * 4096);
            d.awaitEvent("\"event\": \"RESUME\""); // as QEMU: MIGRATION postcopy-active, then the guest runs
            assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}",
                    d.execute("query-status", null));
            assertEquals("{\"return\": {\"status\": \"finish-migrate\", \"singlestep\": false, \"running\": false}}",
                    s.execute("query-status", null));
            s.ok("migrate-set-parameters", "{\"max-postcopy-bandwidth\": 0}");
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("setup", "active", "postcopy-active", "completed"), s.migrationStatuses());
            assertEquals(List.of("active", "postcopy-active", "completed"), d.migrationStatuses());
            assertEquals(s.execute("x-guest-memory-checksum", null), d.execute("x-guest-memory-checksum", null));
            assertEquals("{\"return\": {\"status\": \"postmigrate\", \"singlestep\": false, \"running\": false}}",
                    s.execute("query-status", null));
        }
    }

    @Test
    void precopyBrokenByYankFailsAndCancelCancelsAndTheSourceRunsOn() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", SOURCE.withIncoming(uri("mig")));
                MachineRig dst2 = new MachineRig(dir, "dst2", SOURCE.withIncoming(uri("mig2")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            s.ok("migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}");
            d.ok("migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}");
            s.ok("migrate-set-parameters", "{\"max-bandwidth\": 65536}"); // 2 minutes for 8 MiB: it cannot finish
            s.ok("migrate", "{\"uri\": \"" + uri("mig") + "\"}");
            s.awaitMigration("active");
            assertEquals(MachineTest.error("There's a migration process in progress"),
                    s.execute("migrate", "{\"uri\": \"" + uri("mig") + "\"}"));
            assertEquals("{\"return\": {}}", s.call("{\"exec-oob\": \"yank\", \"arguments\": {\"instances\": [{\"type\": \"migration\"}]}}"));
            s.awaitMigration("failed");
            d.awaitMigration("failed");
            assertEquals(List.of("setup", "active", "failed"), s.migrationStatuses());
            assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}",
                    s.execute("query-status", null));
            // A new migration may start after a failure; this one is cancelled.
            s.ok("migrate", "{\"uri\": \"" + uri("mig2") + "\"}");
            s.awaitMigration("active");
            s.ok("migrate_cancel", null);
            s.awaitMigration("cancelled");
            assertEquals(List.of("setup", "active", "failed", "setup", "active", "cancelling", "cancelled"),
                    s.migrationStatuses());
            assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}",
                    s.execute("query-status", null));
        }
    }

    @Test
    void theDestinationVcpuWaitsForPagesInPostcopy() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", SOURCE.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 20 * 4096);
            // Only the vCPU touches memory here: its waits make the source serve requests.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (dst.machine.pageWaits() < 5 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(dst.machine.pageWaits() >= 5, "vCPU page waits: " + dst.machine.pageWaits());
            s.ok("migrate-set-parameters", "{\"max-postcopy-bandwidth\": 0}");
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            String info = s.execute("query-migrate", null);
            long requests = Long.parseLong(info.replaceAll(".*\"postcopy-requests\": (\\d+).*", "$1"));
            assertTrue(requests >= 5, info);
        }
    }

    @Test
    void postcopyCutWhileTheMainLoopWaitsForAPageRecoversOutOfBand() throws Exception {
        recoverWhileBlocked(true);
    }

    @Test
    void postcopyStallEndedByMigratePauseRecoversOutOfBand() throws Exception {
        recoverWhileBlocked(false);
    }

    /**
     * Breaks a slow postcopy (cut, or stall then migrate-pause on the destination), blocks the
     * destination's main loop in x-guest-memory-checksum on a missing page, proves in-band
     * requests wait while out-of-band ones are answered, recovers, and checks the result.
     */
    private void recoverWhileBlocked(boolean cut) throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", DEST.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 20 * 4096);
            if (cut) {
                assertEquals("{\"return\": {}}", s.call("{\"exec-oob\": \"x-migration-fault\", \"arguments\": {\"action\": \"cut\"}}"));
                s.awaitMigration("postcopy-paused");
                d.awaitMigration("postcopy-paused");
            } else {
                assertEquals("{\"return\": {}}", s.call("{\"exec-oob\": \"x-migration-fault\", \"arguments\": {\"action\": \"stall\"}}"));
            }
            // The main loop blocks on the first missing page; query-status queues behind it.
            long waitsBefore = dst.machine.pageWaits();
            d.send("{\"execute\": \"x-guest-memory-checksum\", \"id\": \"sum\"}");
            d.send("{\"execute\": \"query-status\", \"id\": \"status\"}");
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (dst.machine.pageWaits() == waitsBefore && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(dst.machine.pageWaits() > waitsBefore, "the checksum never waited for a page");
            // Out-of-band is answered while both in-band requests are pending.
            assertEquals("{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}, {\"type\": \"migration\"}], \"id\": \"probe\"}",
                    d.call("{\"exec-oob\": \"query-yank\", \"id\": \"probe\"}"));
            long[] rtt = new long[1000];
            for (int i = 0; i < rtt.length; i++) {
                long t0 = System.nanoTime();
                String a = d.call("{\"exec-oob\": \"query-yank\", \"id\": " + i + "}");
                rtt[i] = System.nanoTime() - t0;
                assertTrue(a.endsWith("\"id\": " + i + "}"), a);
            }
            Arrays.sort(rtt);
            LOG.info(String.format("OOB round trip (query-yank) while the destination's main loop is blocked: p50 %.1f us, p99 %.1f us, max %.1f us",
                    rtt[500] / 1e3, rtt[990] / 1e3, rtt[999] / 1e3));
            if (!cut) {
                // A stall errors nowhere: migrate-pause breaks it.
                assertEquals("{\"return\": {}, \"id\": \"pause\"}", d.call("{\"exec-oob\": \"migrate-pause\", \"id\": \"pause\"}"));
                s.awaitMigration("postcopy-paused");
                d.awaitMigration("postcopy-paused");
            }
            assertNull(d.pollAnswer(50), "an in-band answer while the main loop is blocked");
            assertEquals("{\"return\": {}, \"id\": \"recover\"}",
                    d.call("{\"exec-oob\": \"migrate-recover\", \"arguments\": {\"uri\": \"" + uri("rec") + "\"}, \"id\": \"recover\"}"));
            long t0 = System.nanoTime();
            s.ok("migrate", "{\"uri\": \"" + uri("rec") + "\", \"resume\": true}");
            s.awaitMigration("postcopy-recover");
            d.awaitMigration("postcopy-recover");
            d.awaitMigration("postcopy-active");
            s.awaitMigration("postcopy-active");
            long bothActive = System.nanoTime() - t0;
            String sum = d.answer();
            long recovered = System.nanoTime() - t0;
            assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": \"status\"}", d.answer());
            LOG.info(String.format("postcopy recovery (%s): handshake (postcopy-recover to postcopy-active) destination "
                    + "%.1f ms, source %.1f ms; migrate resume sent to both MIGRATION postcopy-active events seen %.1f ms, "
                    + "to the blocked command's answer %.1f ms", cut ? "cut" : "stall + migrate-pause",
                    dst.machine.lastRecoveryNanos() / 1e6, src.machine.lastRecoveryNanos() / 1e6, bothActive / 1e6,
                    recovered / 1e6));
            s.ok("migrate-set-parameters", "{\"max-postcopy-bandwidth\": 0}");
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("setup", "active", "postcopy-active", "postcopy-paused", "postcopy-recover",
                    "postcopy-active", "completed"), s.migrationStatuses());
            assertEquals(List.of("active", "postcopy-active", "postcopy-paused", "postcopy-recover",
                    "postcopy-active", "completed"), d.migrationStatuses());
            String expected = s.execute("x-guest-memory-checksum", null);
            assertEquals(expected.replace("}}", "}, \"id\": \"sum\"}"), sum);
            assertEquals(expected, d.execute("x-guest-memory-checksum", null));
        }
    }

    @Test
    void doubleFailureFailedHandshakeThenACutDuringRecovery() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", DEST.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 20 * 4096);
            assertEquals("{\"return\": {}}", d.call("{\"exec-oob\": \"yank\", \"arguments\": {\"instances\": [{\"type\": \"migration\"}]}}"));
            s.awaitMigration("postcopy-paused");
            d.awaitMigration("postcopy-paused");
            // First failure: nobody listens where the source reconnects.
            s.ok("migrate", "{\"uri\": \"" + uri("nobody") + "\", \"resume\": true}");
            assertEquals(List.of("setup", "active", "postcopy-active", "postcopy-paused", "postcopy-recover"),
                    waitFor(s, "postcopy-recover", 5));
            assertEquals(List.of("setup", "active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-paused"),
                    waitFor(s, "postcopy-paused", 6));
            // Second failure: the recovered channel is cut after 5 pages.
            s.ok("migrate-set-parameters", "{\"max-postcopy-bandwidth\": 0}");
            assertEquals("{\"return\": {}}", s.call("{\"exec-oob\": \"x-migration-fault\", \"arguments\": {\"action\": \"cut\", \"after-pages\": 5}}"));
            assertEquals("{\"return\": {}}", d.call("{\"exec-oob\": \"migrate-recover\", \"arguments\": {\"uri\": \"" + uri("rec1") + "\"}}"));
            assertEquals(MachineTest.error("Migrate recovery is triggered already"),
                    d.call("{\"exec-oob\": \"migrate-recover\", \"arguments\": {\"uri\": \"" + uri("rec1") + "\"}}"));
            s.ok("migrate", "{\"uri\": \"" + uri("rec1") + "\", \"resume\": true}");
            assertEquals(List.of("active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-active",
                    "postcopy-paused"), waitFor(d, "postcopy-paused", 6));
            waitFor(s, "postcopy-paused", 9);
            // Third time lucky.
            d.ok("migrate-recover", "{\"uri\": \"" + uri("rec2") + "\"}");
            s.ok("migrate", "{\"uri\": \"" + uri("rec2") + "\", \"resume\": true}");
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-active",
                    "postcopy-paused", "postcopy-recover", "postcopy-active", "completed"), d.migrationStatuses());
            assertEquals(s.execute("x-guest-memory-checksum", null), d.execute("x-guest-memory-checksum", null));
        }
    }

    @Test
    void aRecoveryChannelThatBreaksBeforeItsHandshakePausesTheDestinationAgain() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", DEST.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 20 * 4096);
            assertEquals("{\"return\": {}}", d.call("{\"exec-oob\": \"yank\", \"arguments\": {\"instances\": [{\"type\": \"migration\"}]}}"));
            s.awaitMigration("postcopy-paused");
            waitFor(d, "postcopy-paused", 3);
            d.ok("migrate-recover", "{\"uri\": \"" + uri("rec0") + "\"}");
            // Something connects and hangs up before any handshake: as QEMU, the destination goes
            // to postcopy-recover when it accepts, then back to postcopy-paused.
            java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(uri("rec0").substring(5))).close();
            assertEquals(List.of("active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-paused"),
                    waitFor(d, "postcopy-paused", 5));
            d.ok("migrate-recover", "{\"uri\": \"" + uri("rec1") + "\"}");
            s.ok("migrate-set-parameters", "{\"max-postcopy-bandwidth\": 0}");
            s.ok("migrate", "{\"uri\": \"" + uri("rec1") + "\", \"resume\": true}");
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(s.execute("x-guest-memory-checksum", null), d.execute("x-guest-memory-checksum", null));
        }
    }

    /** Waits for the next MIGRATION {@code status}, which must be the {@code count}-th; returns the statuses up to it. */
    private static List<String> waitFor(QmpPeer p, String status, int count) throws InterruptedException {
        List<String> seen = p.awaitMigration(status);
        assertEquals(count, seen.size(), seen.toString());
        return seen;
    }

    /**
     * Enables events and postcopy on both sides, starts a slow precopy and switches to postcopy at
     * once, pushing {@code postcopyBandwidth} bytes per second; returns once both sides are in
     * postcopy-active.
     */
    private void startPostcopy(QmpPeer s, QmpPeer d, long postcopyBandwidth) throws Exception {
        s.ok("migrate-set-capabilities", EVENTS_AND_POSTCOPY);
        d.ok("migrate-set-capabilities", EVENTS_AND_POSTCOPY);
        s.ok("migrate-set-parameters", "{\"max-bandwidth\": 1048576, \"max-postcopy-bandwidth\": " + postcopyBandwidth + "}");
        s.ok("migrate", "{\"uri\": \"" + uri("mig") + "\"}");
        s.ok("migrate-start-postcopy", null);
        s.awaitMigration("postcopy-active");
        d.awaitMigration("postcopy-active");
    }
}
