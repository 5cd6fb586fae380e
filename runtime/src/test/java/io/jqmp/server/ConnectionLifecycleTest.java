package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Clients that vanish, stop reading, or come in numbers. */
@ExtendWith(PinningRecorder.class)
class ConnectionLifecycleTest {
    @TempDir
    Path dir;

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WireClient.TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /**
     * A client that closes its socket entirely looks, at the end of its input, like one that only
     * shut its write side; the server finds out when the answer to it cannot be written, closes
     * the connection then, and the answer goes nowhere else.
     */
    @Test
    void aVanishedClientIsClosedAtItsFirstFailedAnswerWhichGoesNowhere() throws Exception {
        try (TestServer s = new TestServer(dir)) {
            WireClient a = s.client(true);
            a.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": \"a-block\"}");
            a.send("{\"exec-oob\": \"test-oob-ping\", \"id\": \"a-sync\"}");
            a.expect("{\"return\": {}, \"id\": \"a-sync\"}"); // a-block was read
            a.close();
            // A new client negotiates although the main loop is still blocked.
            try (WireClient b = s.client(true)) {
                b.send("{\"exec-oob\": \"x-oob-test\", \"arguments\": {\"lock\": false}, \"id\": \"b-unlock\"}");
                b.expect("{\"return\": {}, \"id\": \"b-unlock\"}");
                await("the server saw that a is gone", () -> s.server.connectionCount() == 1);
                b.send("{\"execute\": \"test-count\", \"id\": \"b-count\"}");
                // a-block's answer was not delivered here.
                b.expect("{\"return\": {\"count\": 1}, \"id\": \"b-count\"}");
            }
        }
    }

    /** Disconnecting, even with an answer still to come, is a normal end: nothing above DEBUG. */
    @Test
    void aClientThatGoesAwayIsNotAWarning() throws Exception {
        java.util.List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(Connection.class.getName());
        log.addHandler(capture);
        try (TestServer s = new TestServer(dir)) {
            try (WireClient quiet = s.client(true)) {
                quiet.send("{\"execute\": \"test-count\", \"id\": 1}");
                quiet.expect("{\"return\": {\"count\": 1}, \"id\": 1}");
            }
            WireClient a = s.client(true);
            a.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": \"a-block\"}");
            a.send("{\"exec-oob\": \"test-oob-ping\", \"id\": \"a-sync\"}");
            a.expect("{\"return\": {}, \"id\": \"a-sync\"}");
            a.close();
            s.unlockOobTest(); // a-block's answer now fails to reach a: the write fails
            await("both clients are gone", () -> s.server.connectionCount() == 0);
        } finally {
            log.removeHandler(capture);
        }
        assertTrue(logged.stream().noneMatch(r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()),
                () -> "warnings: " + logged.stream().map(java.util.logging.LogRecord::getMessage).toList());
    }

    @Test
    void aClientThatNeverReadsIsDisconnectedWithoutHurtingOthers() throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.maxOutputBacklog(64 * 1024));
                WireClient good = s.client(true)) {
            SocketChannel bad = SocketChannel.open(s.endpoint.address());
            StringBuilder sb = new StringBuilder("{\"execute\": \"qmp_capabilities\"}");
            for (int i = 0; i < 100; i++) {
                sb.append("{\"execute\": \"test-blob\", \"arguments\": {\"size\": 60000}}");
            }
            ByteBuffer requests = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    while (requests.hasRemaining()) {
                        bad.write(requests);
                    }
                } catch (IOException expected) {
                    // the server hung up on us
                }
            });
            await("the non-reading client was disconnected", () -> s.server.connectionCount() == 1);
            good.send("{\"execute\": \"test-oob-ping\", \"id\": 1}{\"exec-oob\": \"test-oob-ping\", \"id\": 2}");
            List<String> answers = good.next(2);
            assertTrue(answers.contains("{\"return\": {}, \"id\": 1}") && answers.contains("{\"return\": {}, \"id\": 2}"));
            bad.close();
            writer.join();
        }
    }

    @Test
    void aReadingClientGetsAnAnswerLargerThanTheBacklogBound() throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.maxOutputBacklog(64 * 1024)); WireClient c = s.client(true)) {
            c.send("{\"execute\": \"test-blob\", \"arguments\": {\"size\": 300000}, \"id\": 1}");
            String answer = c.next();
            assertTrue(answer.equals("{\"return\": {\"data\": \"" + "x".repeat(300000) + "\"}, \"id\": 1}"),
                    "answer of " + answer.length() + " bytes");
            c.send("{\"execute\": \"test-oob-ping\", \"id\": 2}");
            c.expect("{\"return\": {}, \"id\": 2}");
        }
    }

    @Test
    void manyConcurrentClientsEachWithTheirOwnSession() throws Exception {
        int n = 200;
        try (TestServer s = new TestServer(dir)) {
            List<WireClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    clients.add(i % 2 == 0 ? s.client(true) : WireClient.connectGreeted(s.endpoint));
                }
                for (int i = 0; i < n; i++) {
                    clients.get(i).send("{\"execute\": \"test-oob-ping\", \"id\": " + i + "}");
                }
                for (int i = 0; i < n; i++) {
                    String expected = i % 2 == 0 ? "{\"return\": {}, \"id\": " + i + "}"
                            : "{\"id\": " + i + ", \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                                    + "\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}";
                    assertEquals(expected, clients.get(i).next());
                }
                assertEquals(n, s.server.connectionCount());
            } finally {
                for (WireClient c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitAreRefused() throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.maxConnections(1));
                WireClient first = s.client(true);
                WireClient second = WireClient.connect(s.endpoint)) {
            second.expectClosed();
            assertEquals(1, s.server.refusedConnections());
            first.send("{\"execute\": \"test-oob-ping\"}");
            first.expect("{\"return\": {}}");
        }
    }

    @Test
    void closeDeliversWhatIsAlreadyQueued() throws Exception {
        TestServer s = new TestServer(dir);
        SocketChannel ch = SocketChannel.open(s.endpoint.address());
        ch.write(ByteBuffer.wrap(("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}"
                + "{\"execute\": \"test-blob\", \"arguments\": {\"size\": 2000000}, \"id\": 1}")
                .getBytes(StandardCharsets.UTF_8)));
        // Not reading: the 2 MB answer cannot all leave the server before close() starts.
        await("the answer was built", () -> s.blobs.get() == 1);
        java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
        s.server.runInMainLoop(ran::countDown); // runs after test-blob's answer was queued
        ran.await();
        Thread closer = Thread.ofPlatform().start(s::close);
        await("close() started", () -> !java.nio.file.Files.exists(dir.resolve("qmp.sock")));
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(65536);
        while (ch.read(buf) >= 0) {
            all.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        closer.join();
        ch.close();
        String[] lines = all.toString(StandardCharsets.US_ASCII).split("\r\n");
        assertEquals(3, lines.length);
        assertEquals("{\"return\": {}}", lines[1]);
        String expected = "{\"return\": {\"data\": \"" + "x".repeat(2000000) + "\"}, \"id\": 1}";
        assertTrue(expected.equals(lines[2]), "the 2 MB answer was cut short: " + lines[2].length() + " bytes arrived");
    }

    @Test
    void closeDisconnectsClientsAndReturnsWhileAHandlerIsStuck() throws Exception {
        TestServer s = new TestServer(dir);
        WireClient c = s.client(true);
        c.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": 1}");
        c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 2}");
        c.expect("{\"return\": {}, \"id\": 2}");
        long t0 = System.nanoTime();
        s.close();
        s.close(); // idempotent
        c.expectClosed();
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "close() took too long");
        c.close();
    }
}
