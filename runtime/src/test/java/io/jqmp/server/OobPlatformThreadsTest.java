package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connection of a virtual-thread listener moves to platform threads at its first out-of-band
 * request, while places are free ({@link QmpServer.Builder#oobPlatformConnections}).
 */
class OobPlatformThreadsTest {
    private static final long JOIN_MILLIS = WireClient.TIMEOUT.toMillis();

    @TempDir
    Path dir;

    /** The only connection open, or the newest one. */
    private static Connection newest(TestServer s) {
        return s.server.openConnections().stream().max(Comparator.comparingLong(Connection::id)).orElseThrow();
    }

    /** Waits for the thread to end (a role handing over ends its old thread) and fails if it does not. */
    private static void ended(Thread t) throws InterruptedException {
        t.join(JOIN_MILLIS);
        assertFalse(t.isAlive(), t.getName() + " still runs");
    }

    private static void onPlatformThreads(Connection c) {
        for (Thread t : List.of(c.readerThread(), c.writerThread())) {
            assertFalse(t.isVirtual(), t + " should be a platform thread");
            assertTrue(t.isDaemon(), "a stuck client cannot keep the JVM alive: " + t);
            assertTrue(t.isAlive(), t + " should run");
        }
        assertEquals("qmp-reader-" + c.id(), c.readerThread().getName());
        assertEquals("qmp-writer-" + c.id(), c.writerThread().getName());
    }

    @Test
    void anOutOfBandClientMovesToPlatformThreadsWithoutLosingAByte() throws Exception {
        try (TestServer s = new TestServer(dir); WireClient c = s.client(true)) {
            Connection conn = newest(s);
            Thread reader = conn.readerThread();
            Thread writer = conn.writerThread();
            assertTrue(reader.isVirtual() && writer.isVirtual(), "virtual until the first exec-oob");

            // One write: the move happens while the rest of it is still to be parsed and answered.
            StringBuilder burst = new StringBuilder("{\"exec-oob\": \"test-oob-ping\", \"id\": \"oob-1\"}");
            for (int i = 1; i <= 20; i++) {
                burst.append("{\"execute\": \"test-count\", \"id\": ").append(i).append('}');
            }
            burst.append("{\"exec-oob\": \"test-oob-ping\", \"id\": \"oob-2\"}");
            c.send(burst.toString());
            List<String> inband = new ArrayList<>();
            List<String> oob = new ArrayList<>();
            for (String line : c.next(22)) {
                (line.contains("\"oob-") ? oob : inband).add(line);
            }
            List<String> expected = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                expected.add("{\"return\": {\"count\": " + i + "}, \"id\": " + i + "}");
            }
            assertEquals(expected, inband, "in-band answers, all and in order");
            assertEquals(List.of("{\"return\": {}, \"id\": \"oob-1\"}", "{\"return\": {}, \"id\": \"oob-2\"}"), oob);

            ended(reader);
            ended(writer);
            assertSame(conn, newest(s));
            onPlatformThreads(conn);

            c.send("{\"execute\": \"test-count\", \"id\": 21}");
            c.expect("{\"return\": {\"count\": 21}, \"id\": 21}");
            c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": \"oob-3\"}");
            c.expect("{\"return\": {}, \"id\": \"oob-3\"}");
            Thread platformReader = conn.readerThread();
            Thread platformWriter = conn.writerThread();
            c.close();
            ended(platformReader);
            ended(platformWriter);
        }
    }

    /**
     * Sends an {@code exec-oob} and checks its answer, then that the connection moved: its old
     * threads end once their new ones have started, and the new ones are platform threads.
     */
    private static void pingAndMove(WireClient client, Connection conn, int id) throws IOException, InterruptedException {
        Thread reader = conn.readerThread();
        Thread writer = conn.writerThread();
        client.send("{\"exec-oob\": \"test-oob-ping\", \"id\": " + id + "}");
        client.expect("{\"return\": {}, \"id\": " + id + "}");
        ended(reader);
        ended(writer);
        onPlatformThreads(conn);
    }

    @Test
    void placesAreBoundedAndFreedWhenAConnectionCloses() throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.oobPlatformConnections(1))) {
            WireClient first = s.client(true);
            Connection firstConn = newest(s);
            pingAndMove(first, firstConn, 1);

            try (WireClient second = s.client(true)) {
                Connection secondConn = newest(s);
                assertNotSame(firstConn, secondConn);
                second.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 2}");
                second.expect("{\"return\": {}, \"id\": 2}");
                // Moving, the reader would hand over before reading this request.
                second.send("{\"execute\": \"test-count\", \"id\": 3}");
                second.expect("{\"return\": {\"count\": 1}, \"id\": 3}");
                assertTrue(secondConn.readerThread().isVirtual(), "no place left: the second client stays virtual");

                Thread firstPlatformWriter = firstConn.writerThread();
                first.close();
                ended(firstPlatformWriter); // it closes the connection, which frees the place, before it ends

                pingAndMove(second, secondConn, 4);
            }
        }
    }

    @Test
    void zeroPlacesKeepEveryConnectionVirtual() throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.oobPlatformConnections(0)); WireClient c = s.client(true)) {
            Connection conn = newest(s);
            Thread writer = conn.writerThread();
            c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 1}");
            c.expect("{\"return\": {}, \"id\": 1}");
            c.send("{\"execute\": \"test-count\", \"id\": 2}");
            c.expect("{\"return\": {\"count\": 1}, \"id\": 2}");
            assertTrue(conn.readerThread().isVirtual());
            assertSame(writer, conn.writerThread());
        }
    }

    @Test
    void thePlacesAreCheckedBeforeAnythingStarts() {
        QmpServer.Builder b = QmpServer.builder().listen("unix:" + dir.resolve("a.sock"));
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> b.oobPlatformConnections(-1).build());
        assertEquals("oobPlatformConnections must be between 0 and 1048576, got -1", negative.getMessage());
        // More places than connections is no error: a small server keeps the default.
        b.maxConnections(1).oobPlatformConnections(16).build().close();
    }
}
