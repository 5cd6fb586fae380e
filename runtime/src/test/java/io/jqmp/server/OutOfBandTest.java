package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Out-of-band commands overtake a blocked main loop; in-band order and back-pressure hold. */
@ExtendWith(PinningRecorder.class)
class OutOfBandTest {
    @TempDir
    Path dir;
    TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer(dir);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String ok(String id) {
        return "{\"return\": {}, \"id\": \"" + id + "\"}";
    }

    @Test
    void oobOvertakesABlockedXOobTest() throws Exception {
        try (WireClient c = server.client(true)) {
            c.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": \"ib-blocks-1\"}");
            c.send("{\"execute\": \"test-oob-ping\", \"id\": \"ib-quick-1\"}");
            c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": \"oob-1\"}");
            // The main loop is blocked until lock=false arrives: only the OOB answer can come.
            c.expect(ok("oob-1"));
            c.send("{\"exec-oob\": \"x-oob-test\", \"arguments\": {\"lock\": false}, \"id\": \"oob-unlock\"}");
            List<String> rest = c.next(3);
            List<String> inband = rest.stream().filter(l -> l.contains("ib-")).toList();
            assertEquals(List.of(ok("ib-blocks-1"), ok("ib-quick-1")), inband, "in-band answers in order");
            assertTrue(rest.contains(ok("oob-unlock")), rest.toString());
        }
    }

    @Test
    void oobIsAnsweredWhileTheBqlIsHeldIndefinitely() throws Exception {
        try (WireClient c = server.client(true)) {
            server.server.bql().lock();
            try {
                c.send("{\"execute\": \"test-count\", \"id\": \"ib\"}");
                for (int i = 0; i < 20; i++) {
                    c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": \"oob-" + i + "\"}");
                    c.expect(ok("oob-" + i));
                }
                assertNull(c.poll(), "nothing in-band may be answered while the BQL is held");
            } finally {
                server.server.bql().unlock();
            }
            c.expect("{\"return\": {\"count\": 1}, \"id\": \"ib\"}");
        }
    }

    @Test
    void malformedInbandRequestsWaitTheirTurnButOobErrorsDoNot() throws Exception {
        try (WireClient c = server.client(true)) {
            c.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": \"ib-blocks-2\"}");
            c.send("{\"id\": \"err-2\"}");
            c.send("{\"execute\": }");
            c.send("{\"exec-oob\": \"query-version\", \"id\": \"oob-err\"}");
            c.expect(WireProtocolTest.err("\"oob-err\"", "The command query-version does not support OOB"));
            c.send("{\"exec-oob\": \"x-oob-test\", \"arguments\": {\"lock\": false}, \"id\": \"oob-unlock\"}");
            List<String> rest = new ArrayList<>(c.next(4));
            rest.remove(ok("oob-unlock"));
            assertEquals(List.of(ok("ib-blocks-2"),
                    WireProtocolTest.err("\"err-2\"", "QMP input lacks member 'execute'"),
                    WireProtocolTest.err("JSON parse error, expecting value")), rest);
        }
    }

    @Test
    void backPressureStopsReadingAfterEightQueued() throws Exception {
        try (WireClient c = server.client(true)) {
            StringBuilder burst = new StringBuilder();
            burst.append("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": \"blocker\"}");
            for (int i = 0; i <= 8; i++) {
                burst.append("{\"execute\": \"test-oob-ping\", \"id\": \"q").append(i).append("\"}");
            }
            burst.append("{\"exec-oob\": \"test-oob-ping\", \"id\": \"oob-late\"}");
            long before = server.server.readerSuspensions();
            c.send(burst.toString());
            // Wait until the reader stopped (q0..q7 queued behind the blocker); bounded.
            long deadline = System.nanoTime() + WireClient.TIMEOUT.toNanos();
            while (server.server.readerSuspensions() == before && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(server.server.readerSuspensions() > before, "reader never suspended");
            assertNull(c.poll(), "the OOB request behind a full queue must not have been read");
            server.unlockOobTest();
            List<String> all = c.next(11);
            List<String> inband = all.stream().filter(l -> !l.contains("oob-late")).toList();
            List<String> expected = new ArrayList<>();
            expected.add(ok("blocker"));
            for (int i = 0; i <= 8; i++) {
                expected.add(ok("q" + i));
            }
            assertEquals(expected, inband);
            assertTrue(all.indexOf(ok("oob-late")) > 0, "the OOB answer cannot precede the blocker's: " + all);
        }
    }

    @Test
    void withoutOobOneInbandCommandAtATime() throws Exception {
        try (WireClient c = server.client(false)) {
            long before = server.server.readerSuspensions();
            server.server.bql().lock();
            try {
                c.send("{\"execute\": \"test-count\", \"id\": 1}{\"execute\": \"test-count\", \"id\": 2}"
                        + "{\"execute\": \"test-count\", \"id\": 3}");
                // The first request is running (waiting for the BQL): the reader must stop.
                long deadline = System.nanoTime() + WireClient.TIMEOUT.toNanos();
                while (server.server.readerSuspensions() == before && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertEquals(before + 1, server.server.readerSuspensions());
            } finally {
                server.server.bql().unlock();
            }
            assertEquals(List.of("{\"return\": {\"count\": 1}, \"id\": 1}", "{\"return\": {\"count\": 2}, \"id\": 2}",
                    "{\"return\": {\"count\": 3}, \"id\": 3}"), c.next(3));
        }
    }

    @Test
    void inbandOrderHoldsUnderLoadFromManyClients() throws Exception {
        int clients = 16;
        int perClient = 200;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int k = 0; k < clients; k++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try (WireClient c = server.client(true)) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < perClient; i++) {
                        sb.append("{\"execute\": \"test-oob-ping\", \"id\": ").append(i).append('}');
                        if (i % 10 == 0) {
                            sb.append("{\"exec-oob\": \"test-oob-ping\", \"id\": \"o").append(i).append("\"}");
                        }
                    }
                    c.send(sb.toString());
                    int nextInband = 0;
                    int oob = 0;
                    while (nextInband < perClient || oob < perClient / 10) {
                        String l = c.next();
                        if (l.contains("\"o")) {
                            oob++;
                        } else {
                            assertEquals("{\"return\": {}, \"id\": " + nextInband + "}", l);
                            nextInband++;
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(failures.isEmpty(), failures.toString());
    }
}
