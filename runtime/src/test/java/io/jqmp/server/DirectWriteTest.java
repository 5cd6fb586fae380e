package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.client.QmpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out-of-band answers written straight to the socket by the thread that has them (the monitor
 * thread here), once an out-of-band client's connection runs on platform threads: whole, in
 * order with everything else the writer sends, never waiting for a client that does not read,
 * and none lost at the end of input.
 */
class DirectWriteTest {
    private static final int SWITCH_ATTEMPTS = 50;

    @TempDir
    Path dir;

    private static Connection newest(TestServer s) {
        return s.server.openConnections().stream().max(Comparator.comparingLong(Connection::id)).orElseThrow();
    }

    private static String ping(String id) {
        return "{\"exec-oob\": \"test-oob-ping\", \"id\": \"" + id + "\"}";
    }

    private static String pong(String id) {
        return "{\"return\": {}, \"id\": \"" + id + "\"}";
    }

    /**
     * Pings out-of-band, one at a time, until an answer was written directly: the first ping moves
     * the connection to platform threads, and the reader switches the socket between two later reads.
     */
    private static void untilDirect(Connection conn, WireClient c) throws IOException {
        for (int i = 0; i < SWITCH_ATTEMPTS && conn.directWrites() == 0; i++) {
            c.send(ping("warm-" + i));
            c.expect(pong("warm-" + i));
        }
        assertTrue(conn.directWrites() > 0, "no answer written directly after " + SWITCH_ATTEMPTS + " pings");
    }

    @Test
    void onceSwitchedEveryOutOfBandAnswerOfAnIdleConnectionIsWrittenDirectly() throws Exception {
        try (TestServer s = new TestServer(dir); WireClient c = s.client(true)) {
            Connection conn = newest(s);
            untilDirect(conn, c);
            long before = conn.directWrites();
            for (int i = 0; i < 20; i++) {
                c.send(ping("p" + i));
                c.expect(pong("p" + i));
            }
            assertEquals(before + 20, conn.directWrites(), "each answer on the monitor thread, none through the writer");
            // In-band answers still go through the writer.
            c.send("{\"execute\": \"test-count\", \"id\": 1}");
            c.expect("{\"return\": {\"count\": 1}, \"id\": 1}");
            assertEquals(before + 20, conn.directWrites());
        }
    }

    @Test
    void aConnectionThatNeverUsedOutOfBandNeverSwitches() throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.listen(new Endpoint.Unix(dir.resolve("platform.sock")),
                ConnectionThreads.PLATFORM));
             WireClient c = WireClient.negotiated(s.server.endpoints().get(1), true)) {
            Connection conn = newest(s);
            assertTrue(!conn.readerThread().isVirtual() && !conn.writerThread().isVirtual());
            for (int i = 1; i <= 20; i++) {
                c.send("{\"execute\": \"test-count\", \"id\": " + i + "}");
                c.expect("{\"return\": {\"count\": " + i + "}, \"id\": " + i + "}");
            }
            assertEquals(0, conn.directWrites());
            untilDirect(conn, c); // and a connection on platform threads from the start switches too
        }
    }

    @Test
    void answersAndEventsFromManyThreadsArriveWholeAndInOrder() throws Exception {
        int pings = 300;
        int events = 300;
        try (TestServer s = new TestServer(dir); WireClient c = s.client(true)) {
            Connection conn = newest(s);
            untilDirect(conn, c);
            // Which answers go directly depends on timing (the writer is busy with events much of
            // the time); whichever do must not cut into or overtake anything.
            Thread emitter = Thread.ofPlatform().name("test-emitter").start(() -> {
                for (int i = 0; i < events; i++) {
                    s.server.events().emit("TEST_EVENT", Map.of("n", i));
                }
            });
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < pings; i++) {
                burst.append(ping("b" + i));
                if (i % 10 == 9) {
                    burst.append("{\"execute\": \"test-count\", \"id\": ").append(i).append('}');
                }
            }
            c.send(burst.toString());
            List<String> answers = new ArrayList<>();
            List<Integer> inband = new ArrayList<>();
            List<Integer> seen = new ArrayList<>();
            for (int i = 0; i < pings + pings / 10 + events; i++) {
                String line = c.next();
                if (line.startsWith("{\"timestamp\"")) {
                    seen.add(Integer.parseInt(line.replaceAll(".*\"data\": \\{\"n\": (\\d+)\\}.*", "$1")));
                } else if (line.startsWith("{\"return\": {\"count\"")) {
                    inband.add(Integer.parseInt(line.replaceAll(".*\"id\": (\\d+)\\}$", "$1")));
                } else {
                    answers.add(line);
                }
            }
            emitter.join();
            List<String> expected = new ArrayList<>();
            List<Integer> expectedInband = new ArrayList<>();
            for (int i = 0; i < pings; i++) {
                expected.add(pong("b" + i));
                if (i % 10 == 9) {
                    expectedInband.add(i);
                }
            }
            assertEquals(expected, answers, "out-of-band answers, whole and in order");
            assertEquals(expectedInband, inband, "in-band answers, whole and in order");
            List<Integer> expectedEvents = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                expectedEvents.add(i);
            }
            assertEquals(expectedEvents, seen, "events, whole and in order");
        }
    }

    @Test
    void aClientThatDoesNotReadNeverHoldsUpTheMonitorThread() throws Exception {
        int requests = 60;
        String pad = "x".repeat(8000); // answers of 8 kB: below the direct-write limit, and the socket fills
        CountDownLatch allRun = new CountDownLatch(requests);
        AtomicBoolean counting = new AtomicBoolean();
        try (TestServer s = new TestServer(dir, b -> b
                .maxOutputBacklog(8L << 20)
                .handler("test-oob-ping", ctx -> {
                    if (ctx.session().id() == 1 && counting.get()) {
                        allRun.countDown(); // the stuck client's pings after its warm-up
                    }
                    return null;
                }));
             RawClient stuck = new RawClient(s.endpoint)) {
            Connection conn = newest(s);
            assertEquals(1, conn.id());
            int warm = 0;
            while (warm < SWITCH_ATTEMPTS && conn.directWrites() == 0) {
                stuck.send(ping("warm-" + warm));
                assertEquals(pong("warm-" + warm), stuck.line());
                warm++;
            }
            assertTrue(conn.directWrites() > 0, "switched");
            counting.set(true);
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < requests; i++) {
                burst.append(ping(i + pad));
            }
            stuck.send(burst.toString()); // and no reading

            // The monitor thread ran every one of them, the socket is full, and it still serves others.
            assertTrue(allRun.await(WireClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                    "the monitor thread ran " + (requests - allRun.getCount()) + " of " + requests);
            try (QmpClient other = QmpClient.connect(s.endpoint.toString())) {
                other.callOob("test-oob-ping", Map.of());
            }
            assertTrue(conn.unreadOutput() > 0, "the stuck client's socket is full, the rest waits in the writer");

            for (int i = 0; i < requests; i++) {
                assertEquals(pong(i + pad), stuck.line(), "answer " + i);
            }
        }
    }

    @Test
    void everyAnswerIsWrittenBeforeTheConnectionClosesAtEndOfInput() throws Exception {
        for (int round = 0; round < 20; round++) {
            try (TestServer s = new TestServer(Files.createDirectories(dir.resolve("r" + round)));
                 RawClient c = new RawClient(s.endpoint)) {
                Connection conn = newest(s);
                for (int i = 0; i < SWITCH_ATTEMPTS && conn.directWrites() == 0; i++) {
                    c.send(ping("warm-" + i));
                    assertEquals(pong("warm-" + i), c.line());
                }
                assertTrue(conn.directWrites() > 0, "switched");
                StringBuilder burst = new StringBuilder();
                for (int i = 0; i < 50; i++) {
                    burst.append(ping("e" + i));
                }
                c.send(burst.toString());
                c.channel.shutdownOutput();
                for (int i = 0; i < 50; i++) {
                    assertEquals(pong("e" + i), c.line(), "round " + round + ", answer " + i);
                }
                assertEquals(null, c.line(), "then the end of the stream");
            }
        }
    }

    /** A negotiated out-of-band client that reads only when asked to. */
    private static final class RawClient implements AutoCloseable {
        final SocketChannel channel;
        private final ByteBuffer in = ByteBuffer.allocate(64 * 1024).flip();

        RawClient(Endpoint endpoint) throws IOException {
            channel = SocketChannel.open(endpoint.address());
            assertTrue(line().startsWith("{\"QMP\""));
            send("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
            assertEquals("{\"return\": {}}", line());
        }

        void send(String text) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        /** The next line without its CR LF, or null at the end of the stream. */
        String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                if (!in.hasRemaining()) {
                    in.clear();
                    int n = channel.read(in);
                    in.flip();
                    if (n < 0) {
                        assertEquals(0, line.size(), "a message cut short");
                        return null;
                    }
                }
                byte b = in.get();
                if (b == '\n') {
                    String s = line.toString(StandardCharsets.UTF_8);
                    assertTrue(s.endsWith("\r"), s);
                    return s.substring(0, s.length() - 1);
                }
                line.write(b);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
