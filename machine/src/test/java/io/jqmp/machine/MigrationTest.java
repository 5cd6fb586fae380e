package io.jqmp.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two machines in one JVM, each behind its own QMP server, migrating over a Unix socket:
 * precopy, postcopy, and postcopy failures (cut, stall, double failure) recovered out-of-band
 * while the destination's main loop is blocked on a missing page.
 */
@Timeout(60)
class MigrationTest {
    static final MachineConfig SOURCE = MachineConfig.defaults().withMemory(8 << 20).withDirtyRate(2000);
    /** The destination's vCPU writes nothing, so its memory after migration is exactly what arrived. */
    static final MachineConfig DEST = SOURCE.withDirtyRate(0);
    static final Map<String, Object> EVENTS = capabilities("events");
    static final Map<String, Object> EVENTS_AND_POSTCOPY = capabilities("events", "postcopy-ram");
    static final Map<String, Object> YANK_MIGRATION = Map.of("instances", List.of(Map.of("type", "migration")));

    @TempDir
    Path dir;

    /** migrate-set-capabilities arguments turning {@code names} on. */
    static Map<String, Object> capabilities(String... names) {
        return Map.of("capabilities", List.of(names).stream()
                .map(n -> Map.of("capability", n, "state", true)).toList());
    }

    private String uri(String name) {
        return "unix:" + dir.resolve(name);
    }

    private Map<String, Object> to(String name) {
        return Map.of("uri", uri(name));
    }

    private Map<String, Object> resume(String name) {
        return Map.of("uri", uri(name), "resume", true);
    }

    @Test
    void precopyCompletesWithIdenticalMemory() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", SOURCE.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            s.ok("migrate-set-capabilities", EVENTS);
            d.ok("migrate-set-capabilities", EVENTS);
            d.ok("stop", null); // no autostart: the destination's vCPU must not change what arrived
            s.ok("migrate", to("mig"));
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("setup", "active", "completed"), s.migrationStatuses());
            assertEquals(List.of("active", "completed"), d.migrationStatuses());
            // Both run states were final before completed was announced.
            assertEquals("postmigrate", s.status());
            assertEquals("paused", d.status());
            assertEquals(s.call("x-guest-memory-checksum", null), d.call("x-guest-memory-checksum", null));
            Map<?, ?> info = (Map<?, ?>) s.call("query-migrate", null);
            assertEquals("completed", info.get("status"));
            Map<?, ?> ram = (Map<?, ?>) info.get("ram");
            assertEquals(0L, ram.get("remaining"));
            assertEquals(8388608L, ram.get("total"));
            assertEquals(Map.of("status", "completed"), d.call("query-migrate", null));
        }
    }

    @Test
    void postcopyCompletesAndTheDestinationRunsAtOnce() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", DEST.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 200 * 4096);
            d.awaitEvent("RESUME"); // as QEMU: MIGRATION postcopy-active, then the guest runs
            assertEquals("running", d.status());
            assertEquals("finish-migrate", s.status());
            s.ok("migrate-set-parameters", Map.of("max-postcopy-bandwidth", 0));
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("setup", "active", "postcopy-active", "completed"), s.migrationStatuses());
            assertEquals(List.of("active", "postcopy-active", "completed"), d.migrationStatuses());
            assertEquals(s.call("x-guest-memory-checksum", null), d.call("x-guest-memory-checksum", null));
            assertEquals("postmigrate", s.status());
        }
    }

    @Test
    void precopyBrokenByYankFailsAndCancelCancelsAndTheSourceRunsOn() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", SOURCE.withIncoming(uri("mig")));
                MachineRig dst2 = new MachineRig(dir, "dst2", SOURCE.withIncoming(uri("mig2")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            s.ok("migrate-set-capabilities", EVENTS);
            d.ok("migrate-set-capabilities", EVENTS);
            s.ok("migrate-set-parameters", Map.of("max-bandwidth", 65536)); // 2 minutes for 8 MiB: it cannot finish
            s.ok("migrate", to("mig"));
            s.awaitMigration("active");
            s.fails("GenericError", "There's a migration process in progress", false, "migrate", to("mig"));
            s.okOob("yank", YANK_MIGRATION);
            s.awaitMigration("failed");
            d.awaitMigration("failed");
            assertEquals(List.of("setup", "active", "failed"), s.migrationStatuses());
            assertEquals("running", s.status());
            // A new migration may start after a failure; this one is cancelled.
            s.ok("migrate", to("mig2"));
            s.awaitMigration("active");
            s.ok("migrate_cancel", null);
            s.awaitMigration("cancelled");
            assertEquals(List.of("setup", "active", "failed", "setup", "active", "cancelling", "cancelled"),
                    s.migrationStatuses());
            assertEquals("running", s.status());
        }
    }

    @Test
    void theDestinationVcpuWaitsForPagesInPostcopy() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", SOURCE.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 20 * 4096);
            // Only the vCPU touches memory here: its waits make the source serve requests.
            assertTrue(dst.machine.awaitPageWaits(5, QmpPeer.TIMEOUT), "vCPU page waits: " + dst.machine.pageWaits());
            s.ok("migrate-set-parameters", Map.of("max-postcopy-bandwidth", 0));
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            Map<?, ?> ram = (Map<?, ?>) ((Map<?, ?>) s.call("query-migrate", null)).get("ram");
            assertTrue((Long) ram.get("postcopy-requests") >= 5, ram.toString());
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
            s.okOob("x-migration-fault", Map.of("action", cut ? "cut" : "stall"));
            if (cut) {
                s.awaitMigration("postcopy-paused");
                d.awaitMigration("postcopy-paused");
            }
            // The main loop blocks on the first missing page; query-status queues behind it.
            long waitsBefore = dst.machine.pageWaits();
            CompletableFuture<Object> sum = d.execute("x-guest-memory-checksum", null);
            CompletableFuture<Object> status = d.execute("query-status", null);
            assertTrue(dst.machine.awaitPageWaits(waitsBefore + 1, QmpPeer.TIMEOUT), "the checksum never waited for a page");
            // Out-of-band is answered while both in-band requests are pending.
            for (int i = 0; i < 20; i++) {
                assertEquals(List.of(Map.of("type", "chardev", "id", "compat_monitor0"), Map.of("type", "migration")),
                        d.callOob("query-yank", null));
            }
            if (!cut) {
                // A stall errors nowhere: migrate-pause breaks it.
                d.okOob("migrate-pause", null);
                s.awaitMigration("postcopy-paused");
                d.awaitMigration("postcopy-paused");
            }
            // The page cannot arrive while the migration is paused: both in-band requests still wait.
            assertFalse(sum.isDone() || status.isDone(), "an in-band answer while the main loop is blocked");
            d.okOob("migrate-recover", to("rec"));
            s.ok("migrate", resume("rec"));
            s.awaitMigration("postcopy-recover");
            d.awaitMigration("postcopy-recover");
            d.awaitMigration("postcopy-active");
            s.awaitMigration("postcopy-active");
            Object checksum = sum.get(QmpPeer.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(MachineTest.status("running"), status.get(QmpPeer.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(dst.machine.lastRecoveryNanos() > 0 && src.machine.lastRecoveryNanos() > 0);
            s.ok("migrate-set-parameters", Map.of("max-postcopy-bandwidth", 0));
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("setup", "active", "postcopy-active", "postcopy-paused", "postcopy-recover",
                    "postcopy-active", "completed"), s.migrationStatuses());
            assertEquals(List.of("active", "postcopy-active", "postcopy-paused", "postcopy-recover",
                    "postcopy-active", "completed"), d.migrationStatuses());
            Object expected = s.call("x-guest-memory-checksum", null);
            assertEquals(expected, checksum);
            assertEquals(expected, d.call("x-guest-memory-checksum", null));
        }
    }

    @Test
    void doubleFailureFailedHandshakeThenACutDuringRecovery() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", DEST.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 20 * 4096);
            d.okOob("yank", YANK_MIGRATION);
            s.awaitMigration("postcopy-paused");
            d.awaitMigration("postcopy-paused");
            // First failure: nobody listens where the source reconnects.
            s.ok("migrate", resume("nobody"));
            assertEquals(List.of("setup", "active", "postcopy-active", "postcopy-paused", "postcopy-recover"),
                    waitFor(s, "postcopy-recover", 5));
            assertEquals(List.of("setup", "active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-paused"),
                    waitFor(s, "postcopy-paused", 6));
            // Second failure: the recovered channel is cut after 5 pages.
            s.ok("migrate-set-parameters", Map.of("max-postcopy-bandwidth", 0));
            s.okOob("x-migration-fault", Map.of("action", "cut", "after-pages", 5));
            d.okOob("migrate-recover", to("rec1"));
            d.fails("GenericError", "Migrate recovery is triggered already", true, "migrate-recover", to("rec1"));
            s.ok("migrate", resume("rec1"));
            assertEquals(List.of("active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-active",
                    "postcopy-paused"), waitFor(d, "postcopy-paused", 6));
            waitFor(s, "postcopy-paused", 9);
            // Third time lucky.
            d.ok("migrate-recover", to("rec2"));
            s.ok("migrate", resume("rec2"));
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-active",
                    "postcopy-paused", "postcopy-recover", "postcopy-active", "completed"), d.migrationStatuses());
            assertEquals(s.call("x-guest-memory-checksum", null), d.call("x-guest-memory-checksum", null));
        }
    }

    @Test
    void aRecoveryChannelThatBreaksBeforeItsHandshakePausesTheDestinationAgain() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", DEST.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            startPostcopy(s, d, 20 * 4096);
            d.okOob("yank", YANK_MIGRATION);
            s.awaitMigration("postcopy-paused");
            waitFor(d, "postcopy-paused", 3);
            d.ok("migrate-recover", to("rec0"));
            // Something connects and hangs up before any handshake: as QEMU, the destination goes
            // to postcopy-recover when it accepts, then back to postcopy-paused.
            java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(dir.resolve("rec0"))).close();
            assertEquals(List.of("active", "postcopy-active", "postcopy-paused", "postcopy-recover", "postcopy-paused"),
                    waitFor(d, "postcopy-paused", 5));
            d.ok("migrate-recover", to("rec1"));
            s.ok("migrate-set-parameters", Map.of("max-postcopy-bandwidth", 0));
            s.ok("migrate", resume("rec1"));
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(s.call("x-guest-memory-checksum", null), d.call("x-guest-memory-checksum", null));
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
        s.ok("migrate-set-parameters", Map.of("max-bandwidth", 1048576, "max-postcopy-bandwidth", postcopyBandwidth));
        s.ok("migrate", to("mig"));
        s.ok("migrate-start-postcopy", null);
        s.awaitMigration("postcopy-active");
        d.awaitMigration("postcopy-active");
    }
}
