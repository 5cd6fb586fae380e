package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.internal.jfr.CommandEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code io.jqmp.Command} JFR event: one per command run by an executor, with its stages. */
class CommandEventTest {
    @TempDir
    Path dir;
    TestServer server;
    RecordingStream stream;
    final List<Recorded> events = new CopyOnWriteArrayList<>();
    CountDownLatch arrived;

    /** What a test looks at of one event (stream events are reused, so they are copied). */
    record Recorded(long connection, String command, String requestId, boolean outOfBand, long requestSize,
            long answerSize, Instant start, Instant end, Map<String, Duration> stages) {
        long stageSum() {
            return stages.values().stream().mapToLong(Duration::toNanos).sum();
        }
    }

    static final List<String> STAGES = List.of("routing", "queueing", "execution", "outputQueueing", "writing");

    void record(int expected) {
        record(expected, true);
    }

    void record(int expected, boolean everyCommand) {
        arrived = new CountDownLatch(expected);
        stream = new RecordingStream();
        if (everyCommand) {
            stream.enable(CommandEvent.NAME).withoutThreshold();
        } else {
            stream.enable(CommandEvent.NAME);
        }
        stream.onEvent(CommandEvent.NAME, e -> {
            events.add(copy(e));
            arrived.countDown();
        });
        stream.startAsync();
    }

    static Recorded copy(RecordedEvent e) {
        Map<String, Duration> stages = new java.util.LinkedHashMap<>();
        for (String s : STAGES) {
            stages.put(s, e.getDuration(s));
        }
        return new Recorded(e.getLong("connection"), e.getString("command"), e.getString("requestId"),
                e.getBoolean("outOfBand"), e.getLong("requestSize"), e.getLong("answerSize"), e.getStartTime(),
                e.getEndTime(), stages);
    }

    List<Recorded> awaitEvents() throws InterruptedException {
        assertTrue(arrived.await(20, TimeUnit.SECONDS), "events recorded: " + events);
        return events;
    }

    Recorded event(String requestId) {
        return events.stream().filter(e -> requestId.equals(e.requestId())).findFirst()
                .orElseThrow(() -> new AssertionError("no event for " + requestId + " in " + events));
    }

    @BeforeEach
    void start() throws Exception {
        server = new TestServer(dir);
    }

    @AfterEach
    void stop() {
        if (stream != null) {
            stream.close();
        }
        server.close();
    }

    @Test
    void eachCommandIsRecordedWithItsStagesInOrder() throws Exception {
        record(5);
        String oob = "{\"exec-oob\": \"test-oob-ping\", \"id\": \"o1\"}";
        String count = "{\"execute\": \"test-count\", \"id\": \"i1\"}";
        String noReply = "{\"execute\": \"test-no-reply\", \"id\": 7}";
        String count2 = "{\"execute\": \"test-count\", \"id\": \"i2\"}";
        try (WireClient c = server.client(true); WireClient other = server.client(true)) {
            c.send(oob);
            c.expect("{\"return\": {}, \"id\": \"o1\"}");
            c.send(count + noReply + count2);
            String a1 = c.next();
            c.expect("{\"return\": {\"count\": 2}, \"id\": \"i2\"}");
            other.send("{\"exec-oob\": \"test-oob-ping\", \"id\": \"x1\"}");
            other.expect("{\"return\": {}, \"id\": \"x1\"}");
            awaitEvents();

            Recorded o1 = event("\"o1\"");
            Recorded i1 = event("\"i1\"");
            Recorded n = event("7");
            Recorded i2 = event("\"i2\"");
            Recorded x1 = event("\"x1\"");
            assertEquals(List.of("test-oob-ping", "test-count", "test-no-reply", "test-count"),
                    List.of(o1.command(), i1.command(), n.command(), i2.command()));
            assertEquals(List.of(true, false, false, false),
                    List.of(o1.outOfBand(), i1.outOfBand(), n.outOfBand(), i2.outOfBand()));
            assertEquals(1, List.of(o1, i1, n, i2).stream().map(Recorded::connection).distinct().count(),
                    "one connection");
            assertTrue(x1.connection() != o1.connection(), "the other client is another connection");
            // Request size: the bytes of the request (the first one also has the negotiation's line end, if any).
            assertEquals(count.length(), i1.requestSize());
            assertEquals(noReply.length(), n.requestSize());
            assertEquals(count2.length(), i2.requestSize());
            assertTrue(o1.requestSize() >= oob.length(), o1.toString());
            assertTrue(i1.answerSize() >= a1.getBytes(StandardCharsets.UTF_8).length, i1.toString());
            assertEquals(0, n.answerSize(), "success-response: false has no answer");
            assertEquals(Duration.ZERO, n.stages().get("outputQueueing"));
            assertEquals(Duration.ZERO, n.stages().get("writing"));
            for (Recorded e : List.of(o1, i1, n, i2, x1)) {
                for (Map.Entry<String, Duration> s : e.stages().entrySet()) {
                    assertFalse(s.getValue().isNegative(), s.getKey() + " of " + e);
                }
                assertFalse(e.end().isBefore(e.start()), e.toString());
                // The stages lie within the event (two clocks, so allow a millisecond between them).
                // They are not asserted to fill it: the event's begin and end are read next to the
                // first and last stage marks, and a starved machine can preempt a thread between
                // the two reads (seen: stages 9.85 ms of an 11.0 ms event).
                long total = Duration.between(e.start(), e.end()).toNanos();
                assertTrue(e.stageSum() < total + 1_000_000, "stages " + e.stageSum() + " ns of " + total + " ns: " + e);
            }
            // In-band requests are read, and so begin, in order.
            assertTrue(!i2.start().isBefore(n.start()) && !n.start().isBefore(i1.start()));
        }
    }

    @Test
    void queueingCoversTheTimeTheMainLoopWasHeld() throws Exception {
        record(2);
        long held;
        try (WireClient c = server.client(true)) {
            server.server.bql().lock();
            try {
                c.send("{\"execute\": \"test-count\", \"id\": \"i1\"}{\"exec-oob\": \"test-oob-ping\", \"id\": \"o1\"}");
                // The reader routes in order: once o1 is answered, i1 is queued for the main loop.
                c.expect("{\"return\": {}, \"id\": \"o1\"}");
                long t0 = System.nanoTime();
                LockSupport.parkNanos(20_000_000);
                held = System.nanoTime() - t0;
            } finally {
                server.server.bql().unlock();
            }
            c.expect("{\"return\": {\"count\": 1}, \"id\": \"i1\"}");
            awaitEvents();
        }
        Recorded i1 = event("\"i1\"");
        assertTrue(i1.stages().get("queueing").toNanos() >= held,
                "queued before the BQL was released, started after: " + i1 + ", held " + held + " ns");
    }

    @Test
    void byDefaultOnlyCommandsOfTenMillisecondsOrMoreAreRecorded() throws Exception {
        record(1, false);
        try (WireClient c = server.client(true)) {
            for (int i = 0; i < 20; i++) {
                c.send("{\"execute\": \"test-count\", \"id\": " + i + "}");
                c.next();
            }
            server.server.bql().lock();
            try {
                c.send("{\"execute\": \"test-count\", \"id\": \"slow\"}{\"exec-oob\": \"test-oob-ping\", \"id\": \"o\"}");
                c.expect("{\"return\": {}, \"id\": \"o\"}");
                long t0 = System.nanoTime();
                LockSupport.parkNanos(12_000_000);
                while (System.nanoTime() - t0 < 12_000_000) {
                    LockSupport.parkNanos(1_000_000);
                }
            } finally {
                server.server.bql().unlock();
            }
            c.next();
            awaitEvents();
        }
        event("\"slow\"");
        for (Recorded e : events) {
            assertTrue(Duration.between(e.start(), e.end()).toMillis() >= 10, "under the threshold: " + e);
        }
    }

    @Test
    void withoutARecordingNoEventIsMade() {
        assertEquals(null, CommandEvent.beginIfEnabled(1, 10));
        try (RecordingStream s = new RecordingStream()) {
            s.enable(CommandEvent.NAME);
            s.startAsync();
            assertTrue(CommandEvent.beginIfEnabled(1, 10) != null, "enabled by the recording");
        }
        assertEquals(null, CommandEvent.beginIfEnabled(1, 10), "disabled again");
    }
}
