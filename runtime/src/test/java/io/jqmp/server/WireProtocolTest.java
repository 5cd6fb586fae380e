package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a client sees on the wire: every case must match QEMU's answer byte for byte. */
@ExtendWith(PinningRecorder.class)
class WireProtocolTest {
    static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
            + "\"package\": \"jqmp 0.1.0\"}, \"capabilities\": [\"oob\"]}}";
    static final String NEGOTIATE_FIRST = "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
            + "\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}";

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(dir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static String err(String desc) {
        return "{\"error\": {\"class\": \"GenericError\", \"desc\": \"" + desc + "\"}}";
    }

    static String err(String id, String desc) {
        return "{\"id\": " + id + ", \"error\": {\"class\": \"GenericError\", \"desc\": \"" + desc + "\"}}";
    }

    @Test
    void greetingIsSentAtOnce() throws Exception {
        try (WireClient c = WireClient.connect(server.endpoint)) {
            c.expect(GREETING);
        }
    }

    static Stream<Arguments> negotiationCases() {
        return Stream.of(
                Arguments.of("{\"execute\": \"query-version\"}", NEGOTIATE_FIRST),
                Arguments.of("{\"execute\": \"nonexistent\", \"id\": 7}",
                        "{\"id\": 7, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                                + "\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}"),
                Arguments.of("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"foo\"]}}",
                        err("Parameter 'null' does not accept value 'foo'")),
                Arguments.of("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": 1}}",
                        err("Invalid parameter type for 'enable', expected: array")),
                Arguments.of("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [1]}}",
                        err("Invalid parameter type for 'enable[0]', expected: string")),
                Arguments.of("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"oob\": true}}",
                        err("Parameter 'oob' is unexpected")),
                Arguments.of("{\"exec-oob\": \"qmp_capabilities\"}", err("QMP input member 'exec-oob' is unexpected")),
                Arguments.of("[]", err("QMP input must be a JSON object")),
                Arguments.of("{\"execute\": }", err("JSON parse error, expecting value")));
    }

    @ParameterizedTest
    @MethodSource("negotiationCases")
    void negotiationModeAnswers(String request, String answer) throws Exception {
        try (WireClient c = WireClient.connectGreeted(server.endpoint)) {
            c.send(request);
            c.expect(answer);
            // Still in negotiation mode afterwards.
            c.send("{\"execute\": \"query-version\"}");
            c.expect(NEGOTIATE_FIRST);
        }
    }

    @Test
    void negotiationSucceedsOnceAndThenIsRefused() throws Exception {
        try (WireClient c = WireClient.connectGreeted(server.endpoint)) {
            c.send("{\"execute\": \"qmp_capabilities\", \"id\": \"n\"}");
            c.expect("{\"return\": {}, \"id\": \"n\"}");
            c.send("{\"execute\": \"qmp_capabilities\"}");
            c.expect("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                    + "\"Capabilities negotiation is already complete, command ignored\"}}");
            c.send("{\"execute\": \"query-version\", \"id\": 2}");
            c.expect("{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"jqmp 0.1.0\"}, \"id\": 2}");
        }
    }

    static Stream<Arguments> commandModeCases() {
        return Stream.of(
                // §1.4 request shape, in QEMU's order
                Arguments.of("[]", err("QMP input must be a JSON object")),
                Arguments.of("42 ", err("QMP input must be a JSON object")),
                Arguments.of("\"s\"", err("QMP input must be a JSON object")),
                Arguments.of("null ", err("QMP input must be a JSON object")),
                Arguments.of("{\"execute\": 1, \"id\": 5}", err("5", "QMP input member 'execute' must be a string")),
                Arguments.of("{\"exec-oob\": true, \"id\": 5}", err("5", "QMP input member 'exec-oob' must be a string")),
                Arguments.of("{\"execute\": \"test-count\", \"exec-oob\": \"test-oob-ping\"}",
                        err("QMP input member 'execute' clashes with 'exec-oob'")),
                Arguments.of("{\"exec-oob\": \"test-oob-ping\", \"execute\": \"test-count\"}",
                        err("QMP input member 'execute' clashes with 'exec-oob'")),
                Arguments.of("{\"execute\": \"test-count\", \"arguments\": []}",
                        err("QMP input member 'arguments' must be an object")),
                // two bad members: QEMU reports the first in its QDict order (execute before
                // arguments), whatever order they came in
                Arguments.of("{\"arguments\": 1, \"execute\": 2, \"id\": 5}",
                        err("5", "QMP input member 'execute' must be a string")),
                Arguments.of("{\"execute\": 2, \"arguments\": 1, \"id\": 5}",
                        err("5", "QMP input member 'execute' must be a string")),
                Arguments.of("{\"execute\": \"test-count\", \"control\": {\"run-oob\": true}}",
                        err("QMP input member 'control' is unexpected")),
                Arguments.of("{\"id\": \"x\"}", err("\"x\"", "QMP input lacks member 'execute'")),
                Arguments.of("{\"execute\": \"nonexistent\", \"id\": 1}",
                        "{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nonexistent has not been found\"}}"),
                Arguments.of("{\"exec-oob\": \"query-version\", \"id\": 1}",
                        err("1", "The command query-version does not support OOB")),
                // §1.7 arguments (the schema module tests every row; these prove the server applies them)
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {}}", err("Parameter 'name' is missing")),
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {\"name\": \"a\", \"junk\": 1}}",
                        err("Parameter 'junk' is unexpected")),
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {\"name\": 1}}",
                        err("Invalid parameter type for 'name', expected: string")),
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {\"name\": \"a\", \"count\": 256}}",
                        err("Parameter 'count' expects uint8_t")),
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {\"name\": \"a\", \"nested\": {\"name\": \"b\", \"junk\": 1}}}",
                        err("Parameter 'nested.junk' is unexpected")),
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {\"name\": \"a\", \"items\": [{}]}}",
                        err("Parameter 'items[0].name' is missing")),
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {\"name\": \"a\", \"nested\": {\"name\": \"b\", \"mode\": \"x\"}}}",
                        err("Parameter 'mode' does not accept value 'x'")),
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {\"name\": \"a\", \"big\": -1}}", "{\"return\": {}}"),
                Arguments.of("{\"execute\": \"test-args\", \"arguments\": {\"name\": \"a\", \"big\": 1.5}}",
                        err("Parameter 'big' expects uint64")),
                Arguments.of("{\"execute\": \"test-raw\", \"arguments\": {\"anything\": [1]}}",
                        "{\"return\": {\"echo\": {\"anything\": [1]}}}"),
                // §1.5 handler errors
                Arguments.of("{\"execute\": \"test-fail\", \"id\": 3}", err("3", "test failure")),
                // §3 JSON errors and recovery
                Arguments.of("{\"execute\": }", err("JSON parse error, expecting value")),
                Arguments.of("{\"execute\" \"q\"}", err("JSON parse error, missing : in object pair")),
                Arguments.of("{1: 2}", err("JSON parse error, key is not a string in object")),
                Arguments.of("%", err("JSON parse error, stray '%'")),
                Arguments.of("{\"execute\": \"a\", \"execute\": \"b\"}", err("JSON parse error, duplicate key")),
                Arguments.of("\u0001{\"execute\": \"test-oob-ping\"}", err("JSON parse error, stray '\\u0001'") + "\n{\"return\": {}}"),
                Arguments.of("tru ", err("JSON parse error, invalid keyword 'tru'")),
                // ids: any JSON value, echoed after re-serialisation
                Arguments.of("{\"execute\": \"test-oob-ping\", \"id\": null}", "{\"return\": {}, \"id\": null}"),
                Arguments.of("{\"execute\": \"test-oob-ping\", \"id\": {\"b\": [1, 'x'], \"a\": {}}}",
                        "{\"return\": {}, \"id\": {\"a\": {}, \"b\": [1, \"x\"]}}"),
                Arguments.of("{\"execute\": \"test-oob-ping\", \"id\": 1.5e3}", "{\"return\": {}, \"id\": 1500}"),
                Arguments.of("{\"execute\": \"test-oob-ping\", \"id\": -9223372036854775809}",
                        "{\"return\": {}, \"id\": -9.2233720368547758e+18}"),
                Arguments.of("{\"execute\": \"test-oob-ping\", \"id\": 18446744073709551615}",
                        "{\"return\": {}, \"id\": 18446744073709551615}"),
                Arguments.of("{\"execute\": \"test-oob-ping\", \"id\": \"\u00e9\ud83d\ude00/\\u0000\"}",
                        "{\"return\": {}, \"id\": \"\\u00E9\\uD83D\\uDE00/\\u0000\"}"));
    }

    @ParameterizedTest
    @MethodSource("commandModeCases")
    void commandModeAnswers(String request, String answers) throws Exception {
        try (WireClient c = server.client(true)) {
            c.send(request);
            for (String line : answers.split("\n")) {
                assertEquals(line, c.next(), "answer to " + request);
            }
            // The connection stays usable.
            c.send("{\"execute\": \"test-oob-ping\", \"id\": \"after\"}");
            c.expect("{\"return\": {}, \"id\": \"after\"}");
        }
    }

    @Test
    void requestsMayBeSplitAnywhereOrConcatenated() throws Exception {
        try (WireClient c = server.client(false)) {
            byte[] two = "{\"execute\":\"test-oob-ping\",\"id\":1}{\"execute\":\"test-oob-ping\",\"id\":2}\n"
                    .getBytes(StandardCharsets.UTF_8);
            for (byte b : two) {
                c.sendBytes(new byte[] {b});
            }
            assertEquals(List.of("{\"return\": {}, \"id\": 1}", "{\"return\": {}, \"id\": 2}"), c.next(2));
        }
    }

    @Test
    void execOobWithoutOobEnabledIsUnexpected() throws Exception {
        try (WireClient c = server.client(false)) {
            c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 1}");
            c.expect(err("1", "QMP input member 'exec-oob' is unexpected"));
        }
    }

    @Test
    void commandsWithoutSuccessResponseSendNothingOnSuccess() throws Exception {
        try (WireClient c = server.client(true)) {
            c.send("{\"execute\": \"test-no-reply\", \"id\": 1}{\"execute\": \"test-oob-ping\", \"id\": 2}");
            c.expect("{\"return\": {}, \"id\": 2}");
        }
    }

    @Test
    void internalHandlerFailureIsAGenericError() throws Exception {
        try (WireClient c = server.client(true)) {
            c.send("{\"execute\": \"test-fail\", \"arguments\": {\"internal\": true}, \"id\": 1}");
            // The command's name and nothing of Java: the exception and its stack trace go to the log.
            c.expect(err("1", "internal error in command test-fail (the server's log has the details)"));
        }
    }

    @Test
    void capabilityNotOfferedIsRefused(@TempDir Path other) throws Exception {
        try (TestServer s = new TestServer(other, b -> b.offerOob(false));
                WireClient c = WireClient.connect(s.endpoint)) {
            c.expect(GREETING.replace("[\"oob\"]", "[]"));
            c.send("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
            c.expect(err("Capability oob not available"));
            c.send("{\"execute\": \"qmp_capabilities\"}");
            c.expect("{\"return\": {}}");
        }
    }

    @Test
    void inputLimitsAreConfigurable(@TempDir Path other) throws Exception {
        try (TestServer s = new TestServer(other, b -> b.jsonLimits(new QmpServerConfig.JsonLimits(64 * 1024, 1000, 4)));
                WireClient c = s.client(true)) {
            c.send("{\"execute\": \"test-oob-ping\", \"id\": [[[\"ok\"]]]}");
            c.expect("{\"return\": {}, \"id\": [[[\"ok\"]]]}");
            c.send("{\"execute\": \"test-oob-ping\", \"id\": [[[[\"deep\"]]]]}");
            c.expect(err("JSON nesting depth limit exceeded"));
            // The rest of the oversized value gives follow-up errors, as in QEMU; then all is clean again.
            c.send("\u0001{\"execute\": \"test-oob-ping\", \"id\": \"clean\"}");
            String line;
            while (!(line = c.next()).equals("{\"return\": {}, \"id\": \"clean\"}")) {
                assertTrue(line.startsWith("{\"error\": {\"class\": \"GenericError\""), line);
            }
            c.send("{\"execute\": \"test-oob-ping\", \"id\": \"" + "x".repeat(70 * 1024) + "\"}");
            c.expect(err("JSON token size limit exceeded"));
        }
    }

    @Test
    void prettyOutputAsQemu(@TempDir Path other) throws Exception {
        try (TestServer s = new TestServer(other, b -> b.pretty(true));
                WireClient c = WireClient.connect(s.endpoint)) {
            assertEquals(List.of("{", "    \"QMP\": {", "        \"version\": {", "            \"qemu\": {",
                    "                \"micro\": 0,", "                \"minor\": 2,", "                \"major\": 7",
                    "            },", "            \"package\": \"jqmp 0.1.0\"", "        },",
                    "        \"capabilities\": [", "            \"oob\"", "        ]", "    }", "}"), c.next(15));
            c.send("{\"execute\": \"qmp_capabilities\"}");
            assertEquals(List.of("{", "    \"return\": {", "    }", "}"), c.next(4));
        }
    }
}
