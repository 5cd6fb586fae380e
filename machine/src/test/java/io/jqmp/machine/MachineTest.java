package io.jqmp.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jqmp.testing.Await;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Run state, memory commands, QMP errors in the wrong migration state, and configuration parsing. */
@Timeout(30)
class MachineTest {
    static final MachineConfig SMALL = MachineConfig.defaults().withMemory(4 << 20).withDirtyRate(500);

    @TempDir
    Path dir;

    /**
     * The machine's threads (vCPU, migration streams) start through {@link Machine#startThread}: one
     * that dies stops the server, naming the thread, instead of leaving a machine with a dead part.
     */
    @Test
    void aMachineThreadThatDiesStopsTheServer() throws Exception {
        try (MachineRig vm = new MachineRig(dir, "vm1", SMALL); QmpPeer qmp = vm.connect()) {
            Thread t = vm.machine.startThread("migration-send", () -> {
                throw new IllegalStateException("a bug in the migration stream");
            });
            t.join(10_000);
            assertEquals("a bug in the migration stream", vm.server.failure().orElseThrow().getMessage());
            Await.until("the server stopped and removed its socket", () -> !Files.exists(vm.socket));
        }
    }

    @Test
    void theVcpuRunsAsAGuardedThread() throws Exception {
        try (MachineRig vm = new MachineRig(dir, "vm1", SMALL)) {
            Thread vcpu = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("vcpu"))
                    .findFirst().orElseThrow();
            // The guard wraps the body: its frames sit below Vcpu.run on the vCPU's stack.
            boolean guarded = false;
            for (StackTraceElement e : vcpu.getStackTrace()) {
                guarded |= e.getClassName().equals("io.jqmp.server.ServerErrors");
            }
            assertTrue(guarded, "the vcpu thread does not run under QmpServer.guard");
        }
    }

    static Map<String, Object> status(String status) {
        return Map.of("status", status, "singlestep", false, "running", status.equals("running"));
    }

    @Test
    void runStateCommandsAndEvents() throws Exception {
        try (MachineRig vm = new MachineRig(dir, "vm1", SMALL); QmpPeer qmp = vm.connect()) {
            assertEquals(status("running"), qmp.call("query-status", null));
            assertEquals(Map.of("name", "vm1"), qmp.call("query-name", null));
            List<?> schema = (List<?>) qmp.call("query-qmp-schema", null);
            for (String oob : List.of("migrate-pause", "migrate-recover", "yank", "query-yank", "x-migration-fault")) {
                assertTrue(schema.stream().anyMatch(e -> e instanceof Map<?, ?> m && oob.equals(m.get("name"))
                        && "command".equals(m.get("meta-type")) && Boolean.TRUE.equals(m.get("allow-oob"))), oob);
            }
            assertTrue(schema.stream().anyMatch(e -> e instanceof Map<?, ?> m && "MIGRATION".equals(m.get("name"))
                    && "event".equals(m.get("meta-type"))), "MIGRATION in the schema");
            qmp.ok("stop", null);
            qmp.awaitEvent("STOP");
            assertEquals(status("paused"), qmp.call("query-status", null));
            // A stopped guest does not change: two checksums agree.
            Object a = qmp.call("x-guest-memory-checksum", null);
            assertEquals(a, qmp.call("x-guest-memory-checksum", null));
            assertEquals(64, ((String) ((Map<?, ?>) a).get("checksum")).length(), a.toString());
            qmp.ok("cont", null);
            qmp.ok("system_reset", null);
            assertEquals(Map.of("guest", false, "reason", "host-qmp-system-reset"), qmp.awaitEvent("RESET").data());
            assertEquals(List.of("STOP", "RESUME", "RESET"), qmp.eventNames());

            CountDownLatch quit = new CountDownLatch(1);
            vm.machine.onQuit(quit::countDown);
            qmp.ok("quit", null);
            assertEquals(Map.of("guest", false, "reason", "host-qmp-quit"), qmp.awaitEvent("SHUTDOWN").data());
            assertTrue(quit.await(10, TimeUnit.SECONDS));
            assertEquals("shutdown", vm.machine.runState());
        }
    }

    @Test
    void checksumIsDeterministicAndPmemsaveWritesTheBytes() throws Exception {
        MachineConfig still = SMALL.withDirtyRate(0);
        try (MachineRig a = new MachineRig(dir, "a", still); MachineRig b = new MachineRig(dir, "b", still);
                QmpPeer qa = a.connect(); QmpPeer qb = b.connect()) {
            Map<String, Object> range = Map.of("start", 4000, "size", 10000);
            Object sumA = qa.call("x-guest-memory-checksum", range);
            assertEquals(sumA, qb.call("x-guest-memory-checksum", range));
            Path file = dir.resolve("mem.bin");
            qa.ok("pmemsave", Map.of("val", 4000, "size", 10000, "filename", file.toString()));
            byte[] bytes = Files.readAllBytes(file);
            assertEquals(10000, bytes.length);
            String hex = java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
            assertEquals(Map.of("checksum", hex), sumA);
            qa.fails("GenericError", "Invalid addr 0x400000/size 1 specified", false, "x-guest-memory-checksum",
                    Map.of("start", 4194304, "size", 1));
        }
    }

    @Test
    void migrationCommandsInTheWrongStateAnswerQemusErrors() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SMALL);
                MachineRig dst = new MachineRig(dir, "dst", SMALL.withIncoming("defer"));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            Map<String, Object> recoverUri = Map.of("uri", "unix:" + dir + "/r");
            Map<String, Object> uri = Map.of("uri", "unix:" + dir + "/m");
            s.fails("GenericError", "Migrate recover can only be run when postcopy is paused.", true, "migrate-recover",
                    recoverUri);
            d.fails("GenericError", "Migrate recover can only be run when postcopy is paused.", true, "migrate-recover",
                    recoverUri);
            s.fails("GenericError", "Cannot resume if there is no paused migration", false, "migrate",
                    Map.of("uri", "unix:" + dir + "/m", "resume", true));
            s.fails("GenericError", "migrate-pause is currently only supported during postcopy-active state", true,
                    "migrate-pause", null);
            s.fails("GenericError", "Enable postcopy with migrate_set_capability before the start of migration", false,
                    "migrate-start-postcopy", null);
            s.ok("migrate-set-capabilities", Map.of("capabilities", List.of(Map.of("capability", "postcopy-ram", "state", true))));
            s.fails("GenericError", "Postcopy must be started after migration has been started", false,
                    "migrate-start-postcopy", null);
            s.fails("GenericError", "'-incoming' was not specified on the command line", false, "migrate-incoming", uri);
            s.fails("GenericError", "Parameter 'uri' expects a valid migration protocol", false, "migrate",
                    Map.of("uri", "exec:cat"));
            d.fails("GenericError", "Guest is waiting for an incoming migration", false, "migrate", uri);
            assertEquals(status("inmigrate"), d.call("query-status", null));
            d.ok("migrate-incoming", uri);
            d.fails("GenericError", "The incoming migration has already been started", false, "migrate-incoming", uri);
            Map<String, Object> monitor = Map.of("type", "chardev", "id", "compat_monitor0");
            assertEquals(List.of(monitor), s.callOob("query-yank", null));
            assertEquals(List.of(monitor, Map.of("type", "migration")), d.callOob("query-yank", null));
            s.fails("DeviceNotFound", "Instance not found", true, "yank",
                    Map.of("instances", List.of(Map.of("type", "migration"))));
            assertEquals(Map.of(), s.call("query-migrate", null));
            s.fails("GenericError", "Parameter 'downtime_limit' expects an integer in the range of 0 to 2000000 milliseconds",
                    false, "migrate-set-parameters", Map.of("downtime-limit", 2000001));
            s.ok("migrate-set-parameters", Map.of("max-bandwidth", 1048576, "downtime-limit", 100));
            // QEMU 7.2's other parameters are declared (so its schema fits) but refused, never ignored.
            s.fails("GenericError", "Migration parameter 'compress-level' is not simulated by this machine", false,
                    "migrate-set-parameters", Map.of("max-bandwidth", 1, "compress-level", 1));
            assertEquals(Map.of("downtime-limit", 100L, "max-postcopy-bandwidth", 0L, "max-bandwidth", 1048576L),
                    s.call("query-migrate-parameters", null));
        }
    }

    @Test
    void sizesParseWithSuffixes() {
        assertEquals(256L << 20, MachineConfig.parseSize("256M"));
        assertEquals(64L << 10, MachineConfig.parseSize("64k"));
        assertEquals(1L << 30, MachineConfig.parseSize("1G"));
        assertEquals(8192, MachineConfig.parseSize("8192"));
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.parseSize("12X"));
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.defaults().withMemory(1000));
    }
}
