package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.schema.Declaration;
import io.jqmp.schema.Schema;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Schemas declared in Java, introspection through the server, and the built-in commands' switches. */
@ExtendWith(PinningRecorder.class)
class SchemaServingTest {
    @TempDir
    Path dir;

    @Test
    void commandsDeclaredInJavaAreServedAndValidated() throws Exception {
        Schema schema = Schema.builder()
                .declare(Declaration.struct("Sum").member("total", "int").build())
                .command(Declaration.command("add").member("a", "int").optionalMember("b", "int").returns("Sum").build())
                .build();
        try (QmpServer server = QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("s.sock")))
                .schema(schema)
                .handler("add", ctx -> {
                    long a = (Long) ctx.arguments().get("a");
                    long b = (Long) ctx.arguments().getOrDefault("b", 0L);
                    return Map.of("total", a + b);
                })
                .build().start();
                WireClient c = WireClient.negotiated(server.endpoints().get(0), true)) {
            c.send("{\"execute\": \"add\", \"arguments\": {\"a\": 2, \"b\": 40}, \"id\": 1}");
            c.expect("{\"return\": {\"total\": 42}, \"id\": 1}");
            c.send("{\"execute\": \"add\", \"arguments\": {\"b\": 1}, \"id\": 2}");
            c.expect(WireProtocolTest.err("2", "Parameter 'a' is missing"));
        }
    }

    @Test
    void introspectionShowsAllowOobOnlyWhenTrueAndMasksNames() throws Exception {
        try (TestServer s = new TestServer(dir); WireClient c = s.client(true)) {
            c.send("{\"execute\": \"query-qmp-schema\"}");
            String schema = c.next();
            // "0" is qmp_capabilities' arguments (the first type used), "1" the empty object.
            assertTrue(schema.contains("{\"name\": \"test-oob-ping\", \"ret-type\": \"1\", \"allow-oob\": true, "
                    + "\"meta-type\": \"command\", \"arg-type\": \"1\"}"), schema);
            assertFalse(schema.contains("\"allow-oob\": false"));
            assertFalse(schema.contains("\"TestCount\""), "type names are masked");
            assertFalse(schema.contains("COMMAND_DROPPED"), "COMMAND_DROPPED exists only in the 2.12 dialect");
        }
    }

    @Test
    void unmaskedIntrospectionShowsRealNames(@TempDir Path other) throws Exception {
        try (TestServer s = new TestServer(other, b -> b.unmaskSchema(true)); WireClient c = s.client(true)) {
            c.send("{\"execute\": \"query-qmp-schema\"}");
            assertTrue(c.next().contains("\"name\": \"TestCount\""));
        }
    }

    @Test
    void xOobTestCanBeRemoved(@TempDir Path other) throws Exception {
        try (TestServer s = new TestServer(other, b -> b.xOobTest(false)); WireClient c = s.client(true)) {
            c.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": false}}");
            c.expect("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command x-oob-test has not been found\"}}");
            c.send("{\"execute\": \"query-commands\"}");
            assertFalse(c.next().contains("x-oob-test"));
        }
    }

    @Test
    void queryCommandsListsInReverseDefinitionOrder() throws Exception {
        try (TestServer s = new TestServer(dir); WireClient c = s.client(false)) {
            c.send("{\"execute\": \"query-commands\"}");
            String list = c.next();
            assertTrue(list.startsWith("{\"return\": [{\"name\": \"test-raw\"}, {\"name\": \"test-args\"}"), list);
            assertTrue(list.endsWith("{\"name\": \"query-version\"}, {\"name\": \"qmp_capabilities\"}]}"), list);
        }
    }
}
