package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Events: shape, who gets them, order against responses, rate limiting. */
@ExtendWith(PinningRecorder.class)
class EventsTest {
    @TempDir
    Path dir;

    static final String TS = "{\"timestamp\": {\"seconds\": S, \"microseconds\": U}, ";

    @Test
    void eventsReachCommandModeClientsOnlyAndPrecedeTheResponse() throws Exception {
        try (TestServer s = new TestServer(dir);
                WireClient negotiating = WireClient.connectGreeted(s.endpoint);
                WireClient ready = s.client(true)) {
            ready.send("{\"execute\": \"test-emit\", \"arguments\": {\"event\": \"TEST_EVENT\", \"n\": 7}, \"id\": 1}");
            assertEquals(TS + "\"event\": \"TEST_EVENT\", \"data\": {\"n\": 7}}", ready.nextMasked());
            ready.expect("{\"return\": {}, \"id\": 1}");
            ready.send("{\"execute\": \"test-emit\", \"arguments\": {\"event\": \"TEST_PLAIN\"}, \"id\": 2}");
            assertEquals(TS + "\"event\": \"TEST_PLAIN\"}", ready.nextMasked());
            ready.expect("{\"return\": {}, \"id\": 2}");
            // The negotiating client got neither event: its next line is its own answer.
            negotiating.send("{\"execute\": \"qmp_capabilities\"}");
            negotiating.expect("{\"return\": {}}");
        }
    }

    @Test
    void timestampIsTheWallClock() throws Exception {
        try (TestServer s = new TestServer(dir); WireClient c = s.client(false)) {
            long before = System.currentTimeMillis() / 1000;
            c.send("{\"execute\": \"test-emit\", \"arguments\": {\"event\": \"TEST_PLAIN\"}}");
            String line = c.next();
            long seconds = Long.parseLong(line.replaceAll(".*\"seconds\": (\\d+).*", "$1"));
            long micros = Long.parseLong(line.replaceAll(".*\"microseconds\": (\\d+).*", "$1"));
            assertTrue(seconds >= before && seconds <= before + 60, line);
            assertTrue(micros >= 0 && micros < 1_000_000, line);
        }
    }

    @Test
    void throttledEventsKeepTheFirstAndTheLastOfABurst() throws Exception {
        List<Events.Throttle> throttles = List.of(new Events.Throttle("RTC_CHANGE", Duration.ofMillis(300), null));
        try (TestServer s = new TestServer(dir, b -> b.throttles(throttles)); WireClient c = s.client(true)) {
            c.send("{\"execute\": \"test-emit\", \"arguments\": {\"event\": \"RTC_CHANGE\", \"n\": 1}, \"id\": 1}"
                    + "{\"execute\": \"test-emit\", \"arguments\": {\"event\": \"RTC_CHANGE\", \"n\": 2}, \"id\": 2}"
                    + "{\"execute\": \"test-emit\", \"arguments\": {\"event\": \"RTC_CHANGE\", \"n\": 3}, \"id\": 3}");
            String rtc = "\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": %d, \"qom-path\": \"/machine/rtc\"}}";
            assertEquals(TS + rtc.formatted(1), c.nextMasked());
            c.expect("{\"return\": {}, \"id\": 1}");
            c.expect("{\"return\": {}, \"id\": 2}");
            c.expect("{\"return\": {}, \"id\": 3}");
            // n=2 was superseded; n=3 arrives when the period ends.
            assertEquals(TS + rtc.formatted(3), c.nextMasked());
        }
    }

    @Test
    void undeclaredEventsAreRejected() throws Exception {
        try (TestServer s = new TestServer(dir)) {
            assertThrows(IllegalArgumentException.class, () -> s.server.events().emit("NO_SUCH_EVENT", Map.of()));
        }
    }

    /**
     * An event emitted once the client has its {@code qmp_capabilities} answer reaches it, after
     * the answer: queueing the answer and entering command mode are one step for event senders.
     * Without that step the event is skipped whenever the client reads the answer and the event is
     * emitted before the reader has entered command mode, which 200 rounds make likely.
     */
    @Test
    void anEventEmittedOnceTheClientHasTheNegotiationAnswerReachesIt() throws Exception {
        try (TestServer s = new TestServer(dir)) {
            for (int i = 0; i < 200; i++) {
                try (WireClient c = WireClient.connectGreeted(s.endpoint)) {
                    c.send("{\"execute\": \"qmp_capabilities\"}");
                    c.expect("{\"return\": {}}");
                    s.server.events().emit("TEST_EVENT", Map.of("n", (long) i));
                    assertEquals("{\"timestamp\": {\"seconds\": S, \"microseconds\": U}, \"event\": \"TEST_EVENT\", "
                            + "\"data\": {\"n\": " + i + "}}", c.nextMasked());
                }
            }
        }
    }
}
