package io.jqmp.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Run state, memory commands, QMP errors in the wrong migration state, and configuration parsing. */
@Timeout(30)
class MachineTest {
    private static final MachineConfig SMALL = MachineConfig.defaults().withMemory(4 << 20).withDirtyRate(500);

    @TempDir
    Path dir;

    @Test
    void runStateCommandsAndEvents() throws Exception {
        try (MachineRig vm = new MachineRig(dir, "vm1", SMALL); QmpPeer qmp = vm.connect()) {
            assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}",
                    qmp.execute("query-status", null));
            assertEquals("{\"return\": {\"name\": \"vm1\"}}", qmp.execute("query-name", null));
            String schema = qmp.execute("query-qmp-schema", null);
            for (String oob : List.of("migrate-pause", "migrate-recover", "yank", "query-yank", "x-migration-fault")) {
                assertTrue(schema.matches(".*\\{\"name\": \"" + oob + "\", [^}]*\"allow-oob\": true.*"), oob);
            }
            assertTrue(schema.contains("{\"name\": \"MIGRATION\", \"meta-type\": \"event\""), schema.substring(0, 200));
            qmp.ok("stop", null);
            assertEquals(List.of("STOP"), qmp.eventNames());
            assertEquals("{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}}",
                    qmp.execute("query-status", null));
            // A stopped guest does not change: two checksums agree.
            String a = qmp.execute("x-guest-memory-checksum", null);
            assertEquals(a, qmp.execute("x-guest-memory-checksum", null));
            assertEquals(64 + 28, a.length(), a);
            qmp.ok("cont", null);
            qmp.ok("system_reset", null);
            assertEquals(List.of("STOP", "RESUME", "RESET"), qmp.eventNames());
            assertTrue(qmp.awaitEvent("\"RESET\"").endsWith(
                    "\"event\": \"RESET\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-system-reset\"}}"));

            CountDownLatch quit = new CountDownLatch(1);
            vm.machine.onQuit(quit::countDown);
            qmp.ok("quit", null);
            assertTrue(qmp.awaitEvent("\"SHUTDOWN\"").endsWith(
                    "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}"));
            assertTrue(quit.await(10, TimeUnit.SECONDS));
            assertEquals("shutdown", vm.machine.runState());
        }
    }

    @Test
    void checksumIsDeterministicAndPmemsaveWritesTheBytes() throws Exception {
        MachineConfig still = SMALL.withDirtyRate(0);
        try (MachineRig a = new MachineRig(dir, "a", still); MachineRig b = new MachineRig(dir, "b", still);
                QmpPeer qa = a.connect(); QmpPeer qb = b.connect()) {
            String range = "{\"start\": 4000, \"size\": 10000}";
            String sumA = qa.execute("x-guest-memory-checksum", range);
            assertEquals(sumA, qb.execute("x-guest-memory-checksum", range));
            Path file = dir.resolve("mem.bin");
            qa.ok("pmemsave", "{\"val\": 4000, \"size\": 10000, \"filename\": \"" + file + "\"}");
            byte[] bytes = Files.readAllBytes(file);
            assertEquals(10000, bytes.length);
            String hex = java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
            assertEquals("{\"return\": {\"checksum\": \"" + hex + "\"}}", sumA);
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid addr 0x400000/size 1 specified\"}}",
                    qa.execute("x-guest-memory-checksum", "{\"start\": 4194304, \"size\": 1}"));
        }
    }

    @Test
    void migrationCommandsInTheWrongStateAnswerQemusErrors() throws Exception {
        try (MachineRig src = new MachineRig(dir, "src", SMALL);
                MachineRig dst = new MachineRig(dir, "dst", SMALL.withIncoming("defer"));
                QmpPeer s = src.connect(); QmpPeer d = dst.connect()) {
            assertEquals(error("Migrate recover can only be run when postcopy is paused."),
                    s.call("{\"exec-oob\": \"migrate-recover\", \"arguments\": {\"uri\": \"unix:" + dir + "/r\"}}"));
            assertEquals(error("Migrate recover can only be run when postcopy is paused."),
                    d.call("{\"exec-oob\": \"migrate-recover\", \"arguments\": {\"uri\": \"unix:" + dir + "/r\"}}"));
            assertEquals(error("Cannot resume if there is no paused migration"),
                    s.execute("migrate", "{\"uri\": \"unix:" + dir + "/m\", \"resume\": true}"));
            assertEquals(error("migrate-pause is currently only supported during postcopy-active state"),
                    s.call("{\"exec-oob\": \"migrate-pause\"}"));
            assertEquals(error("Enable postcopy with migrate_set_capability before the start of migration"),
                    s.execute("migrate-start-postcopy", null));
            s.ok("migrate-set-capabilities", "{\"capabilities\": [{\"capability\": \"postcopy-ram\", \"state\": true}]}");
            assertEquals(error("Postcopy must be started after migration has been started"),
                    s.execute("migrate-start-postcopy", null));
            assertEquals(error("'-incoming' was not specified on the command line"),
                    s.execute("migrate-incoming", "{\"uri\": \"unix:" + dir + "/m\"}"));
            assertEquals(error("Parameter 'uri' expects a valid migration protocol"),
                    s.execute("migrate", "{\"uri\": \"exec:cat\"}"));
            assertEquals(error("Guest is waiting for an incoming migration"),
                    d.execute("migrate", "{\"uri\": \"unix:" + dir + "/m\"}"));
            assertEquals("{\"return\": {\"status\": \"inmigrate\", \"singlestep\": false, \"running\": false}}",
                    d.execute("query-status", null));
            d.ok("migrate-incoming", "{\"uri\": \"unix:" + dir + "/m\"}");
            assertEquals(error("The incoming migration has already been started"),
                    d.execute("migrate-incoming", "{\"uri\": \"unix:" + dir + "/m\"}"));
            assertEquals("{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}]}",
                    s.call("{\"exec-oob\": \"query-yank\"}"));
            assertEquals("{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}, {\"type\": \"migration\"}]}",
                    d.call("{\"exec-oob\": \"query-yank\"}"));
            assertEquals("{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Instance not found\"}}",
                    s.call("{\"exec-oob\": \"yank\", \"arguments\": {\"instances\": [{\"type\": \"migration\"}]}}"));
            assertEquals("{\"return\": {}}", s.execute("query-migrate", null));
            assertEquals(error("Parameter 'downtime_limit' expects an integer in the range of 0 to 2000000 milliseconds"),
                    s.execute("migrate-set-parameters", "{\"downtime-limit\": 2000001}"));
            s.ok("migrate-set-parameters", "{\"max-bandwidth\": 1048576, \"downtime-limit\": 100}");
            // QEMU 7.2's other parameters are declared (so its schema fits) but refused, never ignored.
            assertEquals(error("Migration parameter 'compress-level' is not simulated by this machine"),
                    s.execute("migrate-set-parameters", "{\"max-bandwidth\": 1, \"compress-level\": 1}"));
            assertEquals("{\"return\": {\"downtime-limit\": 100, \"max-postcopy-bandwidth\": 0, \"max-bandwidth\": 1048576}}",
                    s.execute("query-migrate-parameters", null));
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

    static String error(String desc) {
        return "{\"error\": {\"class\": \"GenericError\", \"desc\": \"" + desc + "\"}}";
    }
}
