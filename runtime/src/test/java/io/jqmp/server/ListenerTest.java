package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Socket files, TCP ports, and the configuration checks made before anything starts. */
class ListenerTest {
    @TempDir
    Path dir;

    /** The live platform threads (virtual threads are not listed) named {@code prefix} something. */
    static List<Thread> platformThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).toList();
    }

    @Test
    void aManagementListenerServesItsConnectionsOnPlatformThreads() throws Exception {
        Endpoint management = new Endpoint.Unix(dir.resolve("management.sock"));
        // No out-of-band client moves to platform threads here: only the management listener's do.
        try (TestServer s = new TestServer(dir, b -> b.listen(management, ConnectionThreads.PLATFORM)
                .oobPlatformConnections(0))) {
            try (WireClient ordinary = s.client(true)) {
                ordinary.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 1}");
                ordinary.expect("{\"return\": {}, \"id\": 1}");
                assertEquals(List.of(), platformThreads("qmp-reader-"), "the default listener's reader is virtual");
            }
            List<Thread> threads;
            try (WireClient c = WireClient.negotiated(management, true)) {
                c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 2}");
                c.expect("{\"return\": {}, \"id\": 2}");
                c.send("{\"execute\": \"test-count\", \"id\": 3}");
                c.expect("{\"return\": {\"count\": 1}, \"id\": 3}");
                threads = new ArrayList<>(platformThreads("qmp-reader-"));
                threads.addAll(platformThreads("qmp-writer-"));
                assertEquals(List.of("qmp-reader-2", "qmp-writer-2"), threads.stream().map(Thread::getName).sorted().toList());
                assertTrue(threads.stream().allMatch(Thread::isDaemon), "a stuck client cannot keep the JVM alive");
            }
            for (Thread t : threads) {
                t.join(WireClient.TIMEOUT.toMillis());
                assertFalse(t.isAlive(), t.getName() + " still runs after its client left");
            }
        }
    }

    @Test
    void aListenerCannotBeBothOrdinaryAndManagement() {
        QmpServer.Builder b = QmpServer.builder().listen("unix:" + dir.resolve("a.sock"))
                .listen("unix:" + dir.resolve("a.sock"), ConnectionThreads.PLATFORM);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().startsWith("a listener is given twice"), e.getMessage());
    }

    @Test
    void unixSocketIsOwnerOnlyAndRemovedOnClose() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        try (TestServer s = new TestServer(dir)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            try (WireClient c = s.client(false)) {
                c.send("{\"execute\": \"test-oob-ping\"}");
                c.expect("{\"return\": {}}");
            }
        }
        assertFalse(Files.exists(sock), "socket file left behind");
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "temporary bind directory left behind");
        }
    }

    @Test
    void staleSocketIsReplaced() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(sock));
        dead.close(); // the file stays, as after a crash
        assertTrue(Files.exists(sock));
        try (TestServer s = new TestServer(dir); WireClient c = s.client(false)) {
            c.send("{\"execute\": \"test-oob-ping\"}");
            c.expect("{\"return\": {}}");
        }
    }

    @Test
    void otherFilesAndLiveSocketsAreNeverReplaced() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        Files.writeString(sock, "precious");
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> new TestServer(dir));
        assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
        assertEquals("precious", Files.readString(sock));
        Files.delete(sock);
        try (TestServer live = new TestServer(dir)) {
            FileAlreadyExistsException e2 = assertThrows(FileAlreadyExistsException.class, () -> new TestServer(dir));
            assertTrue(e2.getMessage().contains("another server is listening"), e2.getMessage());
            try (WireClient c = live.client(false)) {
                c.send("{\"execute\": \"test-oob-ping\"}");
                c.expect("{\"return\": {}}");
            }
        }
    }

    @Test
    void tcpOnAnEphemeralPortAndUnixAtOnce() throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.listen("tcp:127.0.0.1:0"))) {
            Endpoint tcp = s.server.endpoints().get(1);
            assertTrue(tcp instanceof Endpoint.Tcp t && t.port() > 0, tcp.toString());
            try (WireClient c = WireClient.negotiated(tcp, true)) {
                c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 1}");
                c.expect("{\"return\": {}, \"id\": 1}");
            }
        }
    }

    @Test
    void configurationIsValidatedBeforeAnythingStarts() {
        assertThrows(IllegalArgumentException.class, () -> QmpServer.builder().build(), "no listener");
        assertThrows(IllegalArgumentException.class,
                () -> QmpServer.builder().listen("unix:" + dir.resolve("a")).maxPendingInband(0).build());
        assertThrows(IllegalArgumentException.class,
                () -> QmpServer.builder().listen("unix:" + dir.resolve("a")).handler("no-such-command", c -> null).build());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> QmpServer.builder().listen("unix:" + dir.resolve("a")).schemaResource("io/jqmp/server/test.json").build());
        assertTrue(missing.getMessage().startsWith("schema commands without a handler: test-oob-ping"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("udp:1.2.3.4:5"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("tcp:localhost"));
        assertFalse(Files.exists(dir.resolve("a")));
    }

    @Test
    void everyLimitIsCheckedOnceBeforeAnythingStarts() throws Exception {
        QmpServer.Builder b = QmpServer.builder().listen("unix:" + dir.resolve("a"));
        // A token count the JSON streamer cannot take used to pass here and kill the listener later.
        IllegalArgumentException tokens = assertThrows(IllegalArgumentException.class,
                () -> b.jsonLimits(new QmpServerConfig.JsonLimits(1 << 20, Long.MAX_VALUE, 8)).build());
        assertEquals("jsonLimits.maxTokenCount must be between 1 and 2147483583, got 9223372036854775807",
                tokens.getMessage());
        IllegalArgumentException nesting = assertThrows(IllegalArgumentException.class,
                () -> b.jsonLimits(new QmpServerConfig.JsonLimits(1 << 20, 1000, 1025)).build());
        assertTrue(nesting.getMessage().startsWith("jsonLimits.maxNesting must be between 1 and 1024"), nesting.getMessage());
        b.jsonLimits(QmpServerConfig.JsonLimits.QEMU);
        IllegalArgumentException queued = assertThrows(IllegalArgumentException.class,
                () -> b.maxConnections(1 << 20).maxPendingInband(1 << 16).build());
        assertTrue(queued.getMessage().startsWith("maxConnections × maxPendingInband must be at most"), queued.getMessage());
        b.maxConnections(4096).maxPendingInband(8);
        IllegalArgumentException throttle = assertThrows(IllegalArgumentException.class,
                () -> b.throttles(List.of(new Events.Throttle("STOP", Duration.ZERO, null))).build());
        assertTrue(throttle.getMessage().startsWith("a throttle needs an event and a positive period"), throttle.getMessage());
        assertFalse(Files.exists(dir.resolve("a")), "nothing was bound");
        // The extremes the check allows work end to end (with an input budget that holds such a request).
        try (TestServer s = new TestServer(dir, x -> x.jsonLimits(new QmpServerConfig.JsonLimits(
                QmpServerConfig.JsonLimits.QEMU.maxTokenSize(), Integer.MAX_VALUE - 64, 1024))
                .memoryBudget(new QmpServerConfig.MemoryBudget(8L << 30, 1L << 30, Duration.ofSeconds(10))));
                WireClient c = s.client(false)) {
            c.send("{\"execute\": \"test-oob-ping\"}");
            c.expect("{\"return\": {}}");
            // The deepest value the limit allows is parsed by the reader and echoed in the answer.
            String deepId = "[".repeat(1023) + "]".repeat(1023);
            c.send("{\"execute\": \"test-oob-ping\", \"id\": " + deepId + "}");
            c.expect("{\"return\": {}, \"id\": " + deepId + "}");
        }
    }

    @Test
    void defaultsAreWrittenOnceAndXOobTestIsOff() {
        QmpServerConfig built = QmpServer.builder().listen("unix:" + dir.resolve("a")).config();
        assertEquals(QmpServerConfig.DEFAULTS.maxPendingInband(), built.maxPendingInband());
        assertEquals(new QmpServerConfig(built.listeners(), QmpServerConfig.DEFAULTS.dialect(),
                QmpServerConfig.DEFAULTS.version(), 8, 4096, 16L << 20, 4096, QmpServerConfig.DEFAULTS.monitorIdle(),
                QmpServerConfig.DEFAULTS.mainLoopIdle(), true, false, false, Events.QEMU_THROTTLES,
                QmpServerConfig.JsonLimits.fitting(QmpServerConfig.MemoryBudget.ofHeap().input()), false, false,
                java.util.Set.of(), 16, ThreadPlacement.NONE, QmpServerConfig.MemoryBudget.ofHeap(), null), built);
        assertFalse(built.xOobTest(), "x-oob-test lets any client hold the main loop: off unless asked for");
    }

    @Test
    void theAcceptLoopSurvivesAClientWhoseAdmissionThrows() throws Exception {
        java.util.concurrent.LinkedBlockingQueue<java.nio.channels.SocketChannel> admitted =
                new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        Listener l = Listener.bind(new Endpoint.Unix(dir.resolve("a.sock")), ConnectionThreads.VIRTUAL,
                (client, endpoint, threads) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("boom"); // what a broken connection set-up would do
            }
            admitted.add(client);
        }, new ServerErrors(ErrorHandler.logging()), null);
        l.start();
        try {
            try (java.nio.channels.SocketChannel first = java.nio.channels.SocketChannel.open(l.endpoint().address())) {
                // The listener closes the client it could not admit: the first read sees the end.
                assertEquals(-1, first.read(java.nio.ByteBuffer.allocate(1)));
            }
            try (java.nio.channels.SocketChannel second = java.nio.channels.SocketChannel.open(l.endpoint().address())) {
                java.nio.channels.SocketChannel served = admitted.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(served != null, "the second client was not admitted");
                served.close();
            }
        } finally {
            l.close();
        }
    }
}
