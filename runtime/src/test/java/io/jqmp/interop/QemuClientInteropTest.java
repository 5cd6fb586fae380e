package io.jqmp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.client.QmpErrorException;
import io.jqmp.client.QmpEvent;
import java.io.FileOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real QEMU 7.2 ({@code -machine none}). Skipped when QEMU is not installed. */
class QemuClientInteropTest {
    @TempDir
    Path dir;
    Qemu qemu;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(Qemu.available(), Qemu.BINARY + " is not on the PATH (Debian package qemu-system-x86):"
                + " QEMU interoperability tests skipped");
        qemu = new Qemu(dir);
    }

    @AfterEach
    void stop() {
        if (qemu != null) {
            qemu.close();
        }
    }

    /** blockdev-add of blkdebug whose config is a FIFO: the main loop blocks until the FIFO is opened for writing. */
    static Map<String, Object> fifoBlocker(Path fifo, String node) {
        return Map.of("driver", "blkdebug", "node-name", node, "config", fifo.toString(),
                "image", Map.of("driver", "null-co", "read-zeroes", true));
    }

    static Path mkfifo(Path dir, String name) throws Exception {
        Path fifo = dir.resolve(name);
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        return fifo;
    }

    static void unblock(Path fifo) throws Exception {
        // Opening for writing completes QEMU's blocking open of the FIFO; closing gives it EOF.
        new FileOutputStream(fifo.toFile()).close();
    }

    /** End of stream, or a reset when the exiting QEMU left input unread: the two ways a connection ends. */
    boolean lostOrClosed(String message) {
        return message.equals("the server at " + qemu.endpoint() + " closed the connection")
                || message.equals("the connection to " + qemu.endpoint() + " was lost: Connection reset")
                || message.equals("writing to " + qemu.endpoint() + " failed: Broken pipe");
    }

    @Test
    void negotiatesExecutesAndRunsOutOfBand() throws Exception {
        try (QmpClient qmp = QmpClient.connect(qemu.endpoint())) {
            assertTrue(qmp.oobEnabled());
            assertEquals(List.of("oob"), qmp.offeredCapabilities());
            Map<?, ?> version = (Map<?, ?>) qmp.call("query-version", null);
            Map<?, ?> triple = (Map<?, ?>) version.get("qemu");
            assertEquals(7L, triple.get("major"));
            assertEquals(2L, triple.get("minor"));
            assertEquals(List.of(Map.of("type", "chardev", "id", "compat_monitor0")), qmp.callOob("query-yank", null));
            assertTrue(((List<?>) qmp.call("query-qmp-schema", null)).size() > 1000, "the ~200 kB schema");
        }
    }

    @Test
    void errorsCarryClassAndDesc() throws Exception {
        try (QmpClient qmp = QmpClient.connect(qemu.endpoint())) {
            QmpErrorException e = assertThrows(QmpErrorException.class, () -> qmp.call("nonexistent", null));
            assertEquals("CommandNotFound", e.errorClass());
            assertEquals("The command nonexistent has not been found", e.desc());
            e = assertThrows(QmpErrorException.class, () -> qmp.callOob("query-status", null));
            assertEquals("GenericError", e.errorClass());
            assertEquals("The command query-status does not support OOB", e.desc());
            e = assertThrows(QmpErrorException.class,
                    () -> qmp.call("yank", Map.of("instances", List.of(Map.of("type", "chardev", "id", "nope")))));
            assertEquals("DeviceNotFound", e.errorClass());
            assertEquals("Instance not found", e.desc());
        }
    }

    @Test
    void stopAndContGiveStopAndResumeEvents() throws Exception {
        LinkedBlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
        try (QmpClient qmp = QmpClient.builder(qemu.endpoint()).onEvent(e -> true, events::add).connect()) {
            assertEquals(Map.of(), qmp.call("stop", null));
            assertEquals(Map.of(), qmp.call("cont", null));
            QmpEvent stop = events.poll(10, TimeUnit.SECONDS);
            QmpEvent resume = events.poll(10, TimeUnit.SECONDS);
            assertEquals("STOP", stop.name());
            assertEquals("RESUME", resume.name());
            assertEquals(null, stop.data());
            assertTrue(stop.seconds() > 1_600_000_000L);
        }
    }

    @Test
    void manyInFlightAndOobOvertakesABlockedMainLoop() throws Exception {
        Path fifo = mkfifo(dir, "block.fifo");
        try (QmpClient qmp = QmpClient.connect(qemu.endpoint())) {
            CompletableFuture<Object> blocker = qmp.execute("blockdev-add", fifoBlocker(fifo, "b1"));
            List<CompletableFuture<Object>> queued = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                queued.add(qmp.execute("query-version", null));
            }
            // The main loop is stuck in open(); out-of-band still answers, ahead of 100 queued commands.
            assertEquals(List.of(Map.of("type", "chardev", "id", "compat_monitor0")),
                    qmp.executeOob("query-yank", null).get(10, TimeUnit.SECONDS));
            assertFalse(blocker.isDone());
            assertTrue(queued.stream().noneMatch(CompletableFuture::isDone));
            unblock(fifo);
            assertEquals(Map.of(), blocker.get(10, TimeUnit.SECONDS));
            Object first = queued.get(0).get(10, TimeUnit.SECONDS);
            for (CompletableFuture<Object> f : queued) {
                assertEquals(first, f.get(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void aDisconnectFailsOutstandingCommands() throws Exception {
        Path fifo = mkfifo(dir, "block.fifo");
        try (QmpClient qmp = QmpClient.connect(qemu.endpoint())) {
            CompletableFuture<Object> blocker = qmp.execute("blockdev-add", fifoBlocker(fifo, "b1"));
            CompletableFuture<Object> queued = qmp.execute("query-version", null);
            // A stuck QEMU ignores SIGTERM while its main loop is blocked: kill it, as a crash would.
            qemu.kill();
            for (CompletableFuture<Object> f : List.of(blocker, queued)) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertInstanceOf(QmpConnectionException.class, e.getCause());
                assertTrue(lostOrClosed(e.getCause().getMessage()), e.getCause().getMessage());
            }
            assertFalse(qmp.isOpen());
        }
    }

    @Test
    void quitIsAnsweredThenTheConnectionEnds() throws Exception {
        LinkedBlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
        try (QmpClient qmp = QmpClient.builder(qemu.endpoint()).onEvent(e -> true, events::add).connect()) {
            assertEquals(Map.of(), qmp.call("quit", null));
            assertEquals("SHUTDOWN", events.poll(10, TimeUnit.SECONDS).name());
            qmp.closedFuture().get(10, TimeUnit.SECONDS);
            assertTrue(lostOrClosed(qmp.closeCause().getMessage()), qmp.closeCause().getMessage());
        }
    }
}
