package io.jqmp.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every event the machine emits follows the state it announces: at the moment of emission (seen
 * by an observer the machine calls just before the event goes to the server, on the emitting
 * thread) query-status and query-migrate would already answer what the event says. A client that
 * reacts to an event at once must never find the old state. No waiting on time: the recorded
 * moments are compared after the events arrived.
 */
@Timeout(60)
class EventOrderTest {
    @TempDir
    Path dir;

    /** One emission: the event, its {@code status} member (MIGRATION), and the machine's state then. */
    record Emission(String event, String announced, String runState, String migrationStatus) {
        @Override
        public String toString() {
            return event + (announced == null ? "" : " " + announced) + " [run state " + runState + ", migration "
                    + migrationStatus + "]";
        }
    }

    /** Records what a machine's state was at each of its emissions. */
    static final class Recorder {
        final List<Emission> emissions = new CopyOnWriteArrayList<>();

        Recorder(Machine m) {
            m.observeEmits((event, data) -> emissions.add(new Emission(event,
                    data == null ? null : (String) data.get("status"), m.runState(), m.migrationStatus())));
        }

        /** The emissions of {@code event} (and, for MIGRATION, {@code status}), in order. */
        List<Emission> of(String event, String status) {
            List<Emission> out = new ArrayList<>();
            for (Emission e : emissions) {
                if (e.event().equals(event) && (status == null || status.equals(e.announced()))) {
                    out.add(e);
                }
            }
            assertTrue(!out.isEmpty(), "no " + event + " " + status + " among " + emissions);
            return out;
        }

        /** Every {@code event} (MIGRATION: with {@code status}) was emitted in run state {@code runState}. */
        void assertRunState(String event, String status, String runState) {
            for (Emission e : of(event, status)) {
                assertEquals(runState, e.runState(), "run state when " + e + " was emitted; all: " + emissions);
            }
        }

        /** Every MIGRATION event was emitted with the migration status it announces already in place. */
        void assertMigrationStatusesInPlace() {
            for (Emission e : emissions) {
                if (e.event().equals("MIGRATION")) {
                    assertEquals(e.announced(), e.migrationStatus(), "migration status when " + e + " was emitted");
                }
            }
        }
    }

    private String uri(String name) {
        return "unix:" + dir.resolve(name);
    }

    @Test
    void stopAndContAnnounceTheRunStateTheyLeave() throws Exception {
        try (MachineRig vm = new MachineRig(dir, "vm", MachineTest.SMALL); QmpPeer qmp = vm.connect()) {
            Recorder r = new Recorder(vm.machine);
            qmp.ok("stop", null);
            qmp.ok("cont", null);
            qmp.awaitEvent("RESUME");
            r.assertRunState("STOP", null, "paused");
            r.assertRunState("RESUME", null, "running");
        }
    }

    @Test
    void shutdownAndResetAnnounceTheRunStateTheyLeave() throws Exception {
        try (MachineRig vm = new MachineRig(dir, "vm", MachineTest.SMALL); QmpPeer qmp = vm.connect()) {
            Recorder r = new Recorder(vm.machine);
            CountDownLatch quit = new CountDownLatch(1);
            vm.machine.onQuit(quit::countDown);
            qmp.ok("quit", null);
            assertTrue(quit.await(QmpPeer.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            qmp.ok("system_reset", null); // a shut down guest is reset to paused
            qmp.awaitEvent("RESET");
            r.assertRunState("SHUTDOWN", null, "shutdown");
            r.assertRunState("RESET", null, "paused");
        }
    }

    @Test
    void aPrecopyAnnouncesCompletedAfterBothGuestsReachTheirFinalRunState() throws Exception {
        for (boolean autostart : new boolean[] {true, false}) {
            String mig = autostart ? "mig" : "mig-stopped";
            try (MachineRig src = new MachineRig(dir, "src-" + mig, MigrationTest.SOURCE);
                    MachineRig dst = new MachineRig(dir, "dst-" + mig, MigrationTest.SOURCE.withIncoming(uri(mig)));
                    QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
                Recorder rs = new Recorder(src.machine);
                Recorder rd = new Recorder(dst.machine);
                s.ok("migrate-set-capabilities", MigrationTest.EVENTS);
                d.ok("migrate-set-capabilities", MigrationTest.EVENTS);
                if (!autostart) {
                    d.ok("stop", null); // while inmigrate: the guest stays paused after the migration
                }
                s.ok("migrate", Map.of("uri", uri(mig)));
                s.awaitMigration("completed");
                d.awaitMigration("completed");
                rs.assertMigrationStatusesInPlace();
                rd.assertMigrationStatusesInPlace();
                rs.assertRunState("MIGRATION", "active", "running");
                rs.assertRunState("STOP", null, "finish-migrate");
                rs.assertRunState("MIGRATION", "completed", "postmigrate");
                rd.assertRunState("MIGRATION", "active", "inmigrate");
                if (autostart) {
                    rd.assertRunState("RESUME", null, "running");
                }
                rd.assertRunState("MIGRATION", "completed", autostart ? "running" : "paused");
            }
        }
    }

    @Test
    void postcopyFailureAndRecoveryAnnounceEachStatusOnceInPlace() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", MigrationTest.SOURCE);
                MachineRig dst = new MachineRig(dir, "dst", MigrationTest.DEST.withIncoming(uri("mig")));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            Recorder rs = new Recorder(src.machine);
            Recorder rd = new Recorder(dst.machine);
            s.ok("migrate-set-capabilities", MigrationTest.EVENTS_AND_POSTCOPY);
            d.ok("migrate-set-capabilities", MigrationTest.EVENTS_AND_POSTCOPY);
            s.ok("migrate-set-parameters", Map.of("max-bandwidth", 1048576, "max-postcopy-bandwidth", 20 * 4096));
            s.ok("migrate", Map.of("uri", uri("mig")));
            s.ok("migrate-start-postcopy", null);
            d.awaitEvent("RESUME");
            s.okOob("x-migration-fault", Map.of("action", "cut"));
            s.awaitMigration("postcopy-paused");
            d.awaitMigration("postcopy-paused");
            d.okOob("migrate-recover", Map.of("uri", uri("rec")));
            s.ok("migrate", Map.of("uri", uri("rec"), "resume", true));
            s.awaitMigration("postcopy-active");
            d.awaitMigration("postcopy-active");
            s.ok("migrate-set-parameters", Map.of("max-postcopy-bandwidth", 0));
            s.awaitMigration("completed");
            d.awaitMigration("completed");
            assertEquals(List.of("setup", "active", "postcopy-active", "postcopy-paused", "postcopy-recover",
                    "postcopy-active", "completed"), s.migrationStatuses());
            rs.assertMigrationStatusesInPlace();
            rd.assertMigrationStatusesInPlace();
            // The source stops for postcopy before it announces postcopy-active.
            rs.assertRunState("STOP", null, "finish-migrate");
            rs.assertRunState("MIGRATION", "postcopy-active", "finish-migrate");
            rs.assertRunState("MIGRATION", "completed", "postmigrate");
            // As QEMU, the destination announces postcopy-active and then runs the guest (RESUME).
            assertEquals("inmigrate", rd.of("MIGRATION", "postcopy-active").get(0).runState());
            rd.assertRunState("RESUME", null, "running");
            rd.assertRunState("MIGRATION", "postcopy-paused", "running");
            rd.assertRunState("MIGRATION", "postcopy-recover", "running");
            rd.assertRunState("MIGRATION", "completed", "running");
        }
    }

    @Test
    void aFailedOrCancelledStopAndCopyRunsTheGuestAgainBeforeItIsAnnounced() throws Exception {
        for (boolean cancel : new boolean[] {false, true}) {
            String name = cancel ? "cancel" : "yank";
            try (MachineRig src = new MachineRig(dir, "src-" + name, MigrationTest.SOURCE);
                    MachineRig dst = new MachineRig(dir, "dst-" + name, MigrationTest.SOURCE.withIncoming(uri(name)));
                    QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
                Recorder rs = new Recorder(src.machine);
                s.ok("migrate-set-capabilities", MigrationTest.EVENTS);
                // The destination never acknowledges: the source stays in stop-and-copy.
                d.okOob("x-migration-fault", Map.of("action", "stall"));
                s.ok("migrate", Map.of("uri", uri(name)));
                s.awaitEvent("STOP");
                if (cancel) {
                    s.ok("migrate_cancel", null);
                } else {
                    s.okOob("yank", MigrationTest.YANK_MIGRATION);
                }
                String end = cancel ? "cancelled" : "failed";
                s.awaitMigration(end);
                rs.assertMigrationStatusesInPlace();
                rs.assertRunState("STOP", null, "finish-migrate");
                rs.assertRunState("RESUME", null, "running");
                rs.assertRunState("MIGRATION", end, "running");
                assertEquals(cancel ? List.of("MIGRATION setup", "MIGRATION active", "STOP", "MIGRATION cancelling",
                        "RESUME", "MIGRATION cancelled") : List.of("MIGRATION setup", "MIGRATION active", "STOP",
                        "RESUME", "MIGRATION failed"), rs.emissions.stream()
                        .map(e -> e.event() + (e.announced() == null ? "" : " " + e.announced())).toList());
            }
        }
    }
}
