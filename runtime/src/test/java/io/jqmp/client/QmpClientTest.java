package io.jqmp.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.server.Endpoint;
import io.jqmp.server.PinningRecorder;
import io.jqmp.server.QmpServer;
import io.jqmp.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The client against an in-process jqmp server. */
@ExtendWith(PinningRecorder.class)
class QmpClientTest {
    static final String SCHEMA = """
            { 'struct': 'ClientCount', 'data': { 'count': 'int' } }
            { 'command': 'client-count', 'returns': 'ClientCount' }
            { 'command': 'client-emit', 'data': { 'n': 'int' } }
            { 'command': 'client-blob', 'data': { 'size': 'int' }, 'returns': 'str' }
            { 'command': 'client-ping', 'allow-oob': true }
            { 'event': 'CLIENT_EVENT', 'data': { 'n': 'int' } }
            { 'event': 'OTHER_EVENT' }
            """;

    @TempDir
    Path dir;
    QmpServer server;
    String endpoint;
    final AtomicLong counter = new AtomicLong();

    @BeforeEach
    void start() throws IOException {
        Path schema = dir.resolve("client.json");
        Files.writeString(schema, SCHEMA + "{ 'pragma': { 'command-returns-exceptions': [ 'client-blob' ] } }\n");
        server = QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("qmp.sock")))
                .schemaFile(schema)
                .xOobTest(true)
                .checkAnswers(true)
                .handler("client-count", ctx -> Map.of("count", counter.incrementAndGet()))
                .handler("client-emit", ctx -> {
                    ctx.server().events().emit("CLIENT_EVENT", Map.of("n", ctx.arguments().get("n")));
                    return null;
                })
                .handler("client-blob", ctx -> "x".repeat(((Long) ctx.arguments().get("size")).intValue()))
                .handler("client-ping", ctx -> null)
                .build()
                .start();
        endpoint = server.endpoints().get(0).toString();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Unblocks an in-band {@code x-oob-test} from a connection of its own, as any client could. */
    void unlockOobTest() throws Exception {
        try (QmpClient other = QmpClient.connect(endpoint)) {
            other.callOob("x-oob-test", Map.of("lock", false));
        }
    }

    @Test
    void negotiatesOobAndExecutes() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            assertTrue(qmp.oobEnabled());
            assertEquals(List.of("oob"), qmp.offeredCapabilities());
            assertEquals(Map.of("qemu", Map.of("major", 7L, "minor", 2L, "micro", 0L), "package", "jqmp 0.1.0"),
                    qmp.call("query-version", null));
            assertEquals(Map.of("count", 1L), qmp.execute("client-count", Map.of()).get(10, TimeUnit.SECONDS));
            assertEquals(Map.of(), qmp.callOob("x-oob-test", Map.of("lock", false)));
        }
        try (QmpClient qmp = QmpClient.builder(endpoint).oob(false).connect()) {
            assertFalse(qmp.oobEnabled());
            QmpErrorException e = assertThrows(QmpErrorException.class,
                    () -> qmp.callOob("x-oob-test", Map.of("lock", false)));
            assertEquals("GenericError", e.errorClass());
            assertEquals("QMP input member 'exec-oob' is unexpected", e.desc());
        }
    }

    @Test
    void errorsCarryClassAndDesc() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            QmpErrorException e = assertThrows(QmpErrorException.class, () -> qmp.call("nonexistent", null));
            assertEquals("CommandNotFound", e.errorClass());
            assertEquals("The command nonexistent has not been found", e.desc());
            assertEquals("nonexistent", e.command());
            ExecutionException ee = assertThrows(ExecutionException.class,
                    () -> qmp.execute("client-emit", Map.of("n", "one")).get(10, TimeUnit.SECONDS));
            QmpErrorException arg = assertInstanceOf(QmpErrorException.class, ee.getCause());
            assertEquals("GenericError", arg.errorClass());
            assertEquals("Invalid parameter type for 'n', expected: integer", arg.desc());
            // The connection stays usable after errors.
            assertEquals(Map.of("count", 1L), qmp.call("client-count", null));
        }
    }

    /**
     * exchange: the whole answer, success or error, with the id it went out with and the bytes as
     * the server wrote them when they came as plain JSON in one read; none for an answer with an
     * escape (the message all the same).
     */
    @Test
    void exchangeGivesTheWholeAnswerAndItsBytes() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            QmpAnswer ok = qmp.exchange(Map.of("execute", "client-count", "id", "c-1")).get(10, TimeUnit.SECONDS);
            assertFalse(ok.isError());
            assertEquals(Map.of("return", Map.of("count", 1L), "id", "c-1"), ok.message());
            assertEquals("{\"return\": {\"count\": 1}, \"id\": \"c-1\"}", new String(ok.bytes(), StandardCharsets.US_ASCII));
            QmpAnswer error = qmp.exchange(Map.of("exec-oob", "nonexistent")).get(10, TimeUnit.SECONDS);
            assertTrue(error.isError());
            assertEquals("{\"id\": " + error.message().get("id") + ", \"error\": {\"class\": \"CommandNotFound\", "
                    + "\"desc\": \"The command nonexistent has not been found\"}}",
                    new String(error.bytes(), StandardCharsets.US_ASCII));
            QmpAnswer escaped = qmp.exchange(Map.of("execute", "no\"such")).get(10, TimeUnit.SECONDS);
            assertEquals(Map.of("class", "CommandNotFound", "desc", "The command no\"such has not been found"),
                    escaped.message().get("error"));
            assertNull(escaped.bytes());
        }
    }

    @Test
    void keepsAtMostEightInBandOutstandingSoOobGetsThrough() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            CompletableFuture<Object> blocker = qmp.execute("x-oob-test", Map.of("lock", true));
            List<CompletableFuture<Object>> counts = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                counts.add(qmp.execute("client-count", null));
            }
            // 50 in-band commands wait behind the blocked main loop, but the client sent only 7 of
            // them, so the server keeps reading and the out-of-band unlock overtakes them all.
            assertEquals(Map.of(), qmp.executeOob("x-oob-test", Map.of("lock", false)).get(10, TimeUnit.SECONDS));
            assertEquals(Map.of(), blocker.get(10, TimeUnit.SECONDS));
            for (int i = 0; i < 50; i++) {
                assertEquals(Map.of("count", (long) i + 1), counts.get(i).get(10, TimeUnit.SECONDS));
            }
            assertEquals(0, qmp.outstanding());
        }
    }

    @Test
    void callersWritingTheirOwnRequestsKeepTheOrderTheInBandLimitAndOutOfBandFirst() throws Exception {
        try (QmpClient qmp = QmpClient.builder(endpoint).writeOnCallingThread(true).connect()) {
            long before = qmp.requestsWritten();
            CompletableFuture<Object> blocker = qmp.execute("x-oob-test", Map.of("lock", true));
            // Nothing else was being written: the call itself wrote the request before returning.
            assertEquals(before + 1, qmp.requestsWritten());
            List<CompletableFuture<Object>> counts = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                counts.add(qmp.execute("client-count", null));
            }
            Await.until("the blocker and seven more written", () -> qmp.requestsWritten() >= before + 8);
            assertEquals(before + 8, qmp.requestsWritten(), "eight in-band outstanding at most, the rest queued");
            // The main loop is blocked, so nothing else can be written meanwhile: the count is exact.
            CompletableFuture<Object> ping = qmp.executeOob("client-ping", null);
            assertEquals(before + 9, qmp.requestsWritten(), "the out-of-band request goes out at once");
            assertEquals(Map.of(), ping.get(10, TimeUnit.SECONDS));
            assertEquals(before + 9, qmp.requestsWritten(), "the in-band ones still wait");
            CompletableFuture<Object> unlock = qmp.executeOob("x-oob-test", Map.of("lock", false));
            assertEquals(Map.of(), unlock.get(10, TimeUnit.SECONDS));
            assertEquals(Map.of(), blocker.get(10, TimeUnit.SECONDS));
            for (int i = 0; i < 50; i++) {
                assertEquals(Map.of("count", (long) i + 1), counts.get(i).get(10, TimeUnit.SECONDS));
            }
            assertEquals(0, qmp.outstanding());
            assertEquals(before + 53, qmp.requestsWritten());
        }
    }

    @Test
    void anInterruptedCallerLeavesItsRequestToTheWriterAndTheConnectionStaysOpen() throws Exception {
        try (QmpClient qmp = QmpClient.builder(endpoint).writeOnCallingThread(true).connect()) {
            CompletableFuture<Object> count;
            Thread.currentThread().interrupt();
            try {
                count = qmp.execute("client-count", null);
            } finally {
                Thread.interrupted();
            }
            assertEquals(Map.of("count", 1L), count.get(10, TimeUnit.SECONDS));
            assertTrue(qmp.isOpen());
        }
    }

    @Test
    void noTimeoutSetsNoTimer() throws Exception {
        try (QmpClient qmp = QmpClient.builder(endpoint).commandTimeout(QmpClient.NO_TIMEOUT).connect()) {
            // Timers of answered commands are cancelled right after their answer: let those go.
            Await.until("no timers left of earlier commands", () -> QmpClient.timersPending() == 0);
            int timers = 0;
            CompletableFuture<Object> blocked = qmp.execute("x-oob-test", Map.of("lock", true));
            CompletableFuture<Object> behind = qmp.execute("client-count", null);
            assertEquals(timers, QmpClient.timersPending(), "no timer for commands without a timeout");
            CompletableFuture<Object> timed = qmp.execute("client-count", null, Duration.ofMinutes(5));
            assertEquals(timers + 1, QmpClient.timersPending(), "a timeout still sets its timer");
            unlockOobTest();
            assertEquals(Map.of(), blocked.get(10, TimeUnit.SECONDS));
            assertEquals(Map.of("count", 1L), behind.get(10, TimeUnit.SECONDS));
            assertEquals(Map.of("count", 2L), timed.get(10, TimeUnit.SECONDS));
            Await.until("the answer cancelled its timer", () -> QmpClient.timersPending() == 0);
        }
    }

    @Test
    void withNineInBandOutstandingTheOobCommandWouldBeStuck() throws Exception {
        // The counter-proof of the test above: one more outstanding command fills the server's
        // queue, it stops reading, and the out-of-band command behind it is not read in time.
        try (QmpClient qmp = QmpClient.builder(endpoint).maxInbandInFlight(9).connect()) {
            CompletableFuture<Object> blocker = qmp.execute("x-oob-test", Map.of("lock", true));
            List<CompletableFuture<Object>> counts = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                counts.add(qmp.execute("client-count", null));
            }
            Await.until("the client wrote qmp_capabilities, the blocker and eight more", () -> qmp.requestsWritten() >= 10);
            assertEquals(10, qmp.requestsWritten(), "qmp_capabilities, the blocker and eight more");
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> qmp.executeOob("x-oob-test", Map.of("lock", false), Duration.ofMillis(500))
                            .get(10, TimeUnit.SECONDS));
            assertInstanceOf(QmpTimeoutException.class, e.getCause());
            unlockOobTest();
            assertEquals(Map.of(), blocker.get(10, TimeUnit.SECONDS));
            assertEquals(Map.of("count", 9L), counts.get(8).get(10, TimeUnit.SECONDS));
            assertTrue(server.readerSuspensions() > 0);
        }
    }

    @Test
    void aCommandTimesOutAndTheConnectionStaysUsable() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            CompletableFuture<Object> blocked = qmp.execute("x-oob-test", Map.of("lock", true), Duration.ofMillis(200));
            ExecutionException e = assertThrows(ExecutionException.class, () -> blocked.get(10, TimeUnit.SECONDS));
            assertInstanceOf(QmpTimeoutException.class, e.getCause());
            assertEquals("no answer to x-oob-test (id 2) from " + endpoint + " within 200 ms",
                    e.getCause().getMessage());
            assertTrue(qmp.isOpen());
            assertEquals(1, qmp.outstanding(), "the late answer is still expected");
            assertEquals(Map.of(), qmp.callOob("x-oob-test", Map.of("lock", false)));
            assertEquals(Map.of("count", 1L), qmp.call("client-count", null));
            assertEquals(0, qmp.outstanding());
        }
    }

    @Test
    void closeFailsOutstandingCommands() throws Exception {
        QmpClient qmp = QmpClient.connect(endpoint);
        CompletableFuture<Object> blocked = qmp.execute("x-oob-test", Map.of("lock", true));
        CompletableFuture<Object> queued = qmp.execute("client-count", null);
        qmp.close();
        for (CompletableFuture<Object> f : List.of(blocked, queued)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertEquals("the client was closed", e.getCause().getMessage());
        }
        assertFalse(qmp.isOpen());
        ExecutionException after = assertThrows(ExecutionException.class,
                () -> qmp.execute("client-count", null).get(10, TimeUnit.SECONDS));
        assertEquals("the client was closed", after.getCause().getMessage());
        unlockOobTest();
    }

    @Test
    void eventsByNameAndPredicate() throws Exception {
        LinkedBlockingQueue<QmpEvent> byName = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<QmpEvent> all = new LinkedBlockingQueue<>();
        try (QmpClient qmp = QmpClient.builder(endpoint).onEvent(e -> true, all::add).connect()) {
            qmp.subscribe("CLIENT_EVENT", byName::add);
            qmp.call("client-emit", Map.of("n", 7));
            server.events().emit("OTHER_EVENT", null);
            QmpEvent e = byName.poll(10, TimeUnit.SECONDS);
            assertEquals("CLIENT_EVENT", e.name());
            assertEquals(Map.of("n", 7L), e.data());
            assertTrue(e.seconds() > 1_600_000_000L, "a wall-clock timestamp: " + e.seconds());
            assertTrue(e.microseconds() >= 0 && e.microseconds() < 1_000_000);
            assertEquals("CLIENT_EVENT", all.poll(10, TimeUnit.SECONDS).name());
            QmpEvent other = all.poll(10, TimeUnit.SECONDS);
            assertEquals("OTHER_EVENT", other.name());
            assertNull(other.data());
            assertNull(byName.poll(0, TimeUnit.SECONDS), "OTHER_EVENT does not match the name");
        }
    }

    @Test
    void aSlowListenerLosesEventsButNeverStallsCommands() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (QmpClient qmp = QmpClient.builder(endpoint).eventBufferCapacity(2).connect()) {
            EventSubscription slow = qmp.subscribe("CLIENT_EVENT", e -> {
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            });
            qmp.call("client-emit", Map.of("n", 0));
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            for (int i = 1; i <= 10; i++) {
                qmp.call("client-emit", Map.of("n", i));
            }
            // Ten answers came while the listener was stuck: two events buffered, eight dropped.
            assertEquals(Map.of("count", 1L), qmp.call("client-count", null));
            assertEquals(8, slow.dropped());
            release.countDown();
            Await.until("the listener had the two buffered events too", () -> slow.delivered() >= 3);
            assertEquals(3, slow.delivered());
        }
    }

    record ClientCount(long count) {
    }

    record Emit(int n) {
    }

    record CountAsText(String count) {
    }

    @Test
    void typedResultsAndArguments() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            assertEquals(new ClientCount(1), qmp.call("client-count", null, ClientCount.class));
            assertEquals(new ClientCount(2), qmp.execute("client-count", null, ClientCount.class).get(10, TimeUnit.SECONDS));
            try (EventQueue events = qmp.listen("CLIENT_EVENT")) {
                assertEquals(Map.of(), qmp.call("client-emit", new Emit(7), Map.class));
                assertEquals(Map.of("n", 7L), events.poll(Duration.ZERO).data());
            }
            // The answer does not fit: the caller learns which member, and the connection stays usable.
            QmpResultException e = assertThrows(QmpResultException.class,
                    () -> qmp.call("client-count", null, CountAsText.class));
            assertEquals("the answer to client-count does not fit " + CountAsText.class.getName()
                    + ": Invalid parameter type for 'count', expected: string", e.getMessage());
            assertThrows(QmpResultException.class, () -> qmp.call("client-blob", Map.of("size", 3), Long.class));
            assertEquals(new ClientCount(4), qmp.call("client-count", null, ClientCount.class));
        }
    }

    @Test
    void rawMessagesWithCallerChosenIds() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            assertEquals(Map.of("count", 1L), qmp.callMessage(Map.of("execute", "client-count", "id", "mine")));
            CompletableFuture<Object> blocked = qmp.executeMessage(Map.of("execute", "x-oob-test",
                    "arguments", Map.of("lock", true), "id", Map.of("any", List.of("json"))));
            IllegalArgumentException inUse = assertThrows(IllegalArgumentException.class,
                    () -> qmp.executeMessage(Map.of("execute", "client-count", "id", Map.of("any", List.of("json")))));
            assertEquals("id {\"any\": [\"json\"]} is in use by an outstanding command", inUse.getMessage());
            // exec-oob makes it out-of-band: it overtakes the blocked in-band command.
            assertEquals(Map.of(), qmp.callMessage(Map.of("exec-oob", "x-oob-test", "arguments", Map.of("lock", false),
                    "id", 3)));
            assertEquals(Map.of(), blocked.get(10, TimeUnit.SECONDS));
            QmpErrorException err = assertThrows(QmpErrorException.class,
                    () -> qmp.callMessage(Map.of("execute", "client-count", "id", 4, "bogus", 1)));
            assertEquals("QMP input member 'bogus' is unexpected", err.desc());
            assertThrows(IllegalArgumentException.class, () -> qmp.executeMessage(Map.of("id", 5)));
        }
    }

    @Test
    void platformThreadsReadAndWriteWhenAsked() throws Exception {
        try (QmpClient qmp = QmpClient.builder(endpoint).platformThreads(true).connect()) {
            assertEquals(Map.of(), qmp.callOob("x-oob-test", Map.of("lock", false)));
            // Thread.getAllStackTraces lists platform threads only.
            List<Thread> platform = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("qmp-client-reader") || t.getName().equals("qmp-client-writer"))
                    .toList();
            assertEquals(2, platform.size(), platform.toString());
            assertTrue(platform.stream().allMatch(Thread::isDaemon), "a client must not keep the JVM alive");
        }
    }

    @Test
    void aTimeoutIsNotAConnectionFailure() throws Exception {
        try (QmpClient qmp = QmpClient.builder(endpoint).commandTimeout(Duration.ofMillis(200)).connect()) {
            QmpTimeoutException e = assertThrows(QmpTimeoutException.class,
                    () -> qmp.call("x-oob-test", Map.of("lock", true)));
            assertFalse(QmpConnectionException.class.isInstance(e), "a timeout must not look like a lost connection");
            assertTrue(qmp.isOpen());
            assertEquals(Map.of(), qmp.callOob("x-oob-test", Map.of("lock", false)));
        }
    }

    @Test
    void anEventQueueHoldsEveryEventSentBeforeAnAnswer() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint);
                EventQueue client = qmp.listen("CLIENT_EVENT");
                EventQueue all = qmp.listen()) {
            for (int i = 0; i < 20; i++) {
                qmp.call("client-emit", Map.of("n", i));
                // No waiting: the reader queued the event before it completed the answer.
                assertEquals(Map.of("n", (long) i), client.poll(Duration.ZERO).data());
            }
            assertEquals(20, all.drain().size());
            server.events().emit("OTHER_EVENT", null);
            assertEquals("OTHER_EVENT", all.take().name());
            assertNull(client.poll(Duration.ofMillis(50)), "OTHER_EVENT does not match");
            assertEquals(0, client.dropped());
            qmp.close();
            QmpConnectionException end = assertThrows(QmpConnectionException.class, client::take);
            assertEquals("the client was closed", end.getMessage());
        }
    }

    @Test
    void aFullEventQueueDropsAndCounts() throws Exception {
        try (QmpClient qmp = QmpClient.builder(endpoint).eventBufferCapacity(3).connect();
                EventQueue q = qmp.listen("CLIENT_EVENT")) {
            for (int i = 0; i < 5; i++) {
                qmp.call("client-emit", Map.of("n", i));
            }
            assertEquals(2, q.dropped());
            assertEquals(List.of(0L, 1L, 2L), q.drain().stream().map(e -> e.data().get("n")).toList());
            q.close();
            assertThrows(IllegalStateException.class, () -> q.poll(Duration.ZERO));
        }
    }

    @Test
    void callbacksRunInWireOrderAcrossSubscriptions() throws Exception {
        int n = 200;
        List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(n);
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            qmp.subscribe(e -> true, e -> log.add("a" + e.data().get("n")));
            qmp.subscribe(e -> true, e -> {
                log.add("b" + e.data().get("n"));
                done.countDown();
            });
            for (int i = 0; i < n; i++) {
                server.events().emit("CLIENT_EVENT", Map.of("n", i));
            }
            assertTrue(done.await(10, TimeUnit.SECONDS));
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                expected.add("a" + i);
                expected.add("b" + i);
            }
            assertEquals(expected, log);
        }
    }

    @Test
    void largeRepliesUpToTheLimit() throws Exception {
        try (QmpClient qmp = QmpClient.connect(endpoint)) {
            assertEquals(3_000_000, ((String) qmp.call("client-blob", Map.of("size", 3_000_000))).length());
        }
        try (QmpClient qmp = QmpClient.builder(endpoint).maxReplySize(1 << 20).connect()) {
            QmpConnectionException e = assertThrows(QmpConnectionException.class,
                    () -> qmp.call("client-blob", Map.of("size", 2_000_000)));
            assertTrue(e.getMessage().contains("over the 1048576-byte limit: JSON token size limit exceeded"),
                    e.getMessage());
            assertFalse(qmp.isOpen());
        }
    }

    @Test
    void connectingToNothingSaysWhere() {
        QmpConnectionException e = assertThrows(QmpConnectionException.class,
                () -> QmpClient.connect("unix:" + dir.resolve("missing.sock")));
        assertTrue(e.getMessage().startsWith("cannot connect to unix:" + dir.resolve("missing.sock")), e.getMessage());
    }
}
