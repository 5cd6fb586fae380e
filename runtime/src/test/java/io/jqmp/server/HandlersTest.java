package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.schema.Declaration;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What handlers give and get: records and beans mapped by Jackson Jr, commands declared with
 * their handlers, QEMU's parameter errors for values that do not fit, stable texts for failures,
 * and the opt-in check of results and events against the schema.
 */
@ExtendWith(PinningRecorder.class)
class HandlersTest {
    /** A result record: components fooBar are members foo-bar. */
    public record Info(String nodeName, long sizeBytes, Mode mode) {
    }

    /** An enum written as QAPI values: read-only as read-only. */
    public enum Mode { READ_ONLY, READ_WRITE }

    /** Arguments mapped onto a record. */
    public record Resize(String nodeName, int size) {
    }

    /** Event data as a record. */
    public record Resized(String nodeName, long size) {
    }

    @TempDir
    Path dir;
    final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    // System.Logger goes to java.util.logging by default; hold the logger so the handler stays.
    final Logger commandsLog = Logger.getLogger(Commands.class.getName());

    @BeforeEach
    void captureLog() {
        commandsLog.addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        commandsLog.removeHandler(capture);
    }

    QmpServer server(boolean checkAnswers) throws IOException {
        return QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve(checkAnswers ? "checked.sock" : "plain.sock")))
                .declare(Declaration.enumeration("Mode", "read-only", "read-write"))
                .declare(Declaration.struct("Info").member("node-name", "str").member("size-bytes", "int")
                        .member("mode", "Mode").build())
                .declare(Declaration.event("RESIZED").member("node-name", "str").member("size", "int").build())
                .command(Declaration.command("query-info").returns("Info").build(),
                        ctx -> new Info("disk0", 1L << 40, Mode.READ_ONLY))
                .command(Declaration.command("resize").member("node-name", "str").member("size", "int").build(),
                        ctx -> {
                            Resize r = ctx.argumentsAs(Resize.class);
                            ctx.server().events().emit("RESIZED", new Resized(r.nodeName(), r.size()));
                            return null;
                        })
                .command(Declaration.command("bogus-info").returns("Info").build(), ctx -> Map.of("bogus", "x"))
                .command(Declaration.command("npe").build(), ctx -> {
                    throw new NullPointerException("boom");
                })
                .command(Declaration.command("opaque").returns("Info").build(), ctx -> new Object())
                .command(Declaration.command("bad-event").build(), ctx -> {
                    ctx.server().events().emit("RESIZED", Map.of("node-name", "d", "size", "big"));
                    return null;
                })
                .checkAnswers(checkAnswers)
                .build()
                .start();
    }

    @Test
    void recordsAndEnumsAreAnswersAndEventData() throws Exception {
        try (QmpServer s = server(false); WireClient c = WireClient.negotiated(s.endpoints().get(0), true)) {
            c.send("{\"execute\": \"query-info\", \"id\": 1}");
            // Member order is QEMU's (its hash table's), whatever the record's order.
            c.expect("{\"return\": {\"size-bytes\": 1099511627776, \"node-name\": \"disk0\", \"mode\": \"read-only\"},"
                    + " \"id\": 1}");
            c.send("{\"execute\": \"resize\", \"arguments\": {\"node-name\": \"disk0\", \"size\": 5}, \"id\": 2}");
            String event = c.next();
            assertTrue(event.contains("\"event\": \"RESIZED\", \"data\": {\"node-name\": \"disk0\", \"size\": 5}}"), event);
            c.expect("{\"return\": {}, \"id\": 2}");
        }
    }

    @Test
    void aValueThatDoesNotFitTheRecordGetsQemusParameterError() throws Exception {
        try (QmpServer s = server(false); WireClient c = WireClient.negotiated(s.endpoints().get(0), true)) {
            // The schema's 'int' is int64; the record's int is int32, as QEMU's int32 would be.
            c.send("{\"execute\": \"resize\", \"arguments\": {\"node-name\": \"d\", \"size\": 99999999999}, \"id\": 1}");
            c.expect(WireProtocolTest.err("1", "Parameter 'size' expects int32"));
        }
        assertTrue(logged.isEmpty(), "a client's bad value is not a server error: " + logged);
    }

    @Test
    void anUnexpectedExceptionNamesTheCommandAndNoJavaClass() throws Exception {
        try (QmpServer s = server(false); WireClient c = WireClient.negotiated(s.endpoints().get(0), true)) {
            c.send("{\"execute\": \"npe\", \"id\": 1}");
            c.expect(WireProtocolTest.err("1", "internal error in command npe (the server's log has the details)"));
            c.send("{\"execute\": \"opaque\", \"id\": 2}");
            c.expect(WireProtocolTest.err("2", "internal error in command opaque (the server's log has the details)"));
        }
        LogRecord npe = logged.stream().filter(r -> r.getThrown() instanceof NullPointerException).findFirst()
                .orElseThrow(() -> new AssertionError("the exception was not logged: " + logged));
        assertEquals("boom", npe.getThrown().getMessage());
        assertEquals(java.util.logging.Level.SEVERE, npe.getLevel());
    }

    @Test
    void resultsAndEventsAreNotCheckedUnlessAsked() throws Exception {
        try (QmpServer s = server(false); WireClient c = WireClient.negotiated(s.endpoints().get(0), true)) {
            c.send("{\"execute\": \"bogus-info\", \"id\": 1}");
            c.expect("{\"return\": {\"bogus\": \"x\"}, \"id\": 1}");
            c.send("{\"execute\": \"bad-event\", \"id\": 2}");
            assertTrue(c.next().contains("\"size\": \"big\""));
            c.expect("{\"return\": {}, \"id\": 2}");
        }
    }

    @Test
    void theOptInCheckFailsLoudlyOnResultsAndEvents() throws Exception {
        try (QmpServer s = server(true); WireClient c = WireClient.negotiated(s.endpoints().get(0), true)) {
            c.send("{\"execute\": \"bogus-info\", \"id\": 1}");
            c.expect(WireProtocolTest.err("1", "the result of bogus-info does not match its schema:"
                    + " Parameter 'node-name' is missing"));
            c.send("{\"execute\": \"bad-event\", \"id\": 2}");
            c.expect(WireProtocolTest.err("2", "internal error in command bad-event (the server's log has the details)"));
            c.send("{\"execute\": \"query-info\", \"id\": 3}");
            assertTrue(c.next().startsWith("{\"return\": {"), "a result that fits passes");
        }
        assertTrue(logged.stream().anyMatch(r -> r.getMessage().contains("bogus-info returned a result that does not"
                + " match its schema")), logged.toString());
        LogRecord event = logged.stream().filter(r -> r.getThrown() instanceof IllegalArgumentException).findFirst()
                .orElseThrow();
        assertEquals("the data of event RESIZED does not match its schema: Invalid parameter type for 'size',"
                + " expected: integer", event.getThrown().getMessage());
    }

    @Test
    void aCommandDeclaredInJavaHasItsHandlerInTheSameCall() {
        QmpServer.Builder b = QmpServer.builder().listen("unix:" + dir.resolve("x.sock"));
        CommandHandler h = ctx -> null;
        assertSame(b, b.command(Declaration.command("ping").build(), h));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> b.command(Declaration.command("ping").build(), h));
        assertEquals("command ping has a handler already", twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.command(Declaration.struct("S").build(), h));
        QmpServer s = b.build();
        assertTrue(s.schema().command("ping").isPresent());
        assertFalse(s.config().xOobTest());
        assertTrue(s.schema().command("x-oob-test").isEmpty(), "x-oob-test is off by default");
    }
}
