package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The request form out-of-band execution first shipped in (QEMU 2.12). */
@ExtendWith(PinningRecorder.class)
class Dialect212Test {
    @TempDir
    Path dir;
    TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer(dir, b -> b.dialect(Dialect.V2_12));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String err(String desc) {
        return WireProtocolTest.err(desc);
    }

    @Test
    void runOobOvertakesABlockedMainLoop() throws Exception {
        try (WireClient c = server.client(true)) {
            c.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": \"blocker\"}");
            c.send("{\"execute\": \"test-oob-ping\", \"control\": {\"run-oob\": true}, \"id\": \"oob\"}");
            c.expect("{\"return\": {}, \"id\": \"oob\"}");
            c.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": false}, \"control\": {\"run-oob\": true}, \"id\": \"unlock\"}");
            List<String> two = c.next(2);
            assertTrue(two.contains("{\"return\": {}, \"id\": \"blocker\"}"), two.toString());
            assertTrue(two.contains("{\"return\": {}, \"id\": \"unlock\"}"), two.toString());
        }
    }

    @Test
    void everyCommandNeedsAnIdOnceOobIsOn() throws Exception {
        try (WireClient c = server.client(true)) {
            c.send("{\"execute\": \"test-oob-ping\"}");
            c.expect(err("Out-Of-Band capability requires that every command contains an 'id' field"));
        }
        try (WireClient c = server.client(false)) {
            c.send("{\"execute\": \"test-oob-ping\"}");
            c.expect("{\"return\": {}}");
        }
    }

    @Test
    void errorsOfThe212Form() throws Exception {
        try (WireClient c = server.client(true)) {
            c.send("{\"execute\": \"test-count\", \"control\": {\"run-oob\": true}, \"id\": 1}");
            c.expect(err("The command test-count does not support OOB"));
            c.send("{\"execute\": \"test-count\", \"control\": [], \"id\": 2}");
            c.expect(err("QMP input member 'control' must be a dict"));
            c.send("{\"execute\": \"test-count\", \"control\": {\"run-oob\": true, \"urgent\": 1}, \"id\": 3}");
            c.expect(err("QMP input member 'control' has unknown member 'urgent'"));
            c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 4}");
            c.expect(err("QMP input member 'exec-oob' is unexpected"));
            c.send("{\"execute\": \"nonexistent\", \"id\": 5}");
            c.expect("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nonexistent has not been found\"}}");
            c.send("%");
            c.expect(err("Invalid JSON syntax"));
            c.send("{\"execute\": \"test-args\", \"arguments\": {}, \"id\": 6}");
            c.expect(WireProtocolTest.err("6", "Parameter 'name' is missing"));
        }
        try (WireClient c = server.client(false)) {
            c.send("{\"execute\": \"test-oob-ping\", \"control\": {\"run-oob\": true}, \"id\": 1}");
            c.expect(err("Please enable Out-Of-Band first for the session during capabilities negotiation"));
        }
    }

    @Test
    void aFullQueueDropsTheRequestAndSaysSo() throws Exception {
        try (WireClient c = server.client(true)) {
            server.server.bql().lock();
            try {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i <= 8; i++) {
                    sb.append("{\"execute\": \"test-oob-ping\", \"id\": \"q").append(i).append("\"}");
                }
                c.send(sb.toString());
                assertEquals("{\"timestamp\": {\"seconds\": S, \"microseconds\": U}, \"event\": \"COMMAND_DROPPED\", "
                        + "\"data\": {\"reason\": \"queue-full\", \"id\": \"q8\"}}", c.nextMasked());
            } finally {
                server.server.bql().unlock();
            }
            for (int i = 0; i < 8; i++) {
                c.expect("{\"return\": {}, \"id\": \"q" + i + "\"}");
            }
        }
    }

    @Test
    void introspectionShowsAllowOobOnEveryCommand() throws Exception {
        try (WireClient c = server.client(true)) {
            c.send("{\"execute\": \"query-qmp-schema\", \"id\": 1}");
            String schema = c.next();
            assertTrue(schema.contains("{\"name\": \"test-count\", \"ret-type\": "), schema);
            assertTrue(schema.contains("\"allow-oob\": false"), "allow-oob false shown in 2.12");
            assertTrue(schema.contains("\"allow-oob\": true"), "allow-oob true shown");
            assertTrue(schema.contains("\"name\": \"COMMAND_DROPPED\""), "COMMAND_DROPPED is part of the 2.12 schema");
        }
    }
}
