package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.internal.wire.JsonWriter;
import io.jqmp.schema.Declaration;
import io.jqmp.schema.IntrospectOptions;
import io.jqmp.schema.Schema;
import java.nio.file.Files;
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

    /** A whole QMP schema (it declares qmp_capabilities), as QEMU's is, for the tests below. */
    private static final String WHOLE = """
            { 'pragma': { 'command-name-exceptions': [ 'qmp_capabilities' ] } }
            { 'enum': 'QMPCapability', 'data': [ 'oob' ] }
            { 'command': 'qmp_capabilities', 'data': { '*enable': [ 'QMPCapability' ] } }
            { 'struct': 'VersionTriple', 'data': { 'major': 'int', 'minor': 'int', 'micro': 'int' } }
            { 'struct': 'VersionInfo', 'data': { 'qemu': 'VersionTriple', 'package': 'str' } }
            { 'command': 'query-version', 'returns': 'VersionInfo' }
            { 'struct': 'CommandInfo', 'data': { 'name': 'str' } }
            { 'command': 'query-commands', 'returns': [ 'CommandInfo' ] }
            { 'struct': 'SchemaInfo', 'data': { 'name': 'str' } }
            { 'command': 'query-qmp-schema', 'returns': [ 'SchemaInfo' ] }
            { 'struct': 'Count', 'data': { 'count': 'int' } }
            { 'command': 'test-count', 'returns': 'Count', 'features': [ 'unstable' ] }
            { 'command': 'guest-ping', 'if': 'CONFIG_PING' }
            { 'command': 'guest-pong', 'if': 'CONFIG_PONG' }
            { 'event': 'TEST_PLAIN' }
            """;

    /** A server with the handlers that come with io/jqmp/server/defaults.json, and {@code customize}. */
    private QmpServer.Builder withDefaults(String socket) {
        return QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve(socket)))
                .defaultSchemaResource("io/jqmp/server/defaults.json")
                .handler("test-count", ctx -> Map.of("count", 7L))
                .handler("test-oob-ping", ctx -> null);
    }

    /**
     * The given whole schema is served alone: its commands (those its conditions keep, with the
     * define file's names), its introspection; the built-in and default handlers run behind its
     * declarations, and a handler whose command it does not declare is not used.
     */
    @Test
    void aWholeSchemaIsServedAlone() throws Exception {
        Path schema = Files.writeString(dir.resolve("whole.json"), WHOLE);
        Path defines = Files.writeString(dir.resolve("x.defines"), "# what the build defines\nCONFIG_PING\n");
        try (QmpServer server = withDefaults("whole.sock").schemaFile(schema).defineFile(defines)
                .handler("guest-ping", ctx -> null).build().start();
                WireClient c = WireClient.negotiated(server.endpoints().get(0), true)) {
            c.send("{\"execute\": \"query-commands\"}");
            c.expect("{\"return\": [{\"name\": \"guest-ping\"}, {\"name\": \"test-count\"}, "
                    + "{\"name\": \"query-qmp-schema\"}, {\"name\": \"query-commands\"}, {\"name\": \"query-version\"}, "
                    + "{\"name\": \"qmp_capabilities\"}]}");
            Schema alone = Schema.builder().define("CONFIG_PING").load(schema).build();
            c.send("{\"execute\": \"query-qmp-schema\"}");
            c.expect("{\"return\": " + JsonWriter.toJson(alone.introspect(IntrospectOptions.DEFAULT)) + "}");
            c.send("{\"execute\": \"test-count\"}");
            c.expect("{\"return\": {\"count\": 7}}");
            c.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": false}}");
            c.expect("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command x-oob-test has not been found\"}}");
            c.send("{\"execute\": \"query-version\"}");
            assertTrue(c.next().startsWith("{\"return\": {\"qemu\": "));
        }
    }

    /** Without qmp_capabilities a given schema extends the built-in one, and its definitions replace those of the same name. */
    @Test
    void aGivenDeclarationReplacesTheBuiltinOne() throws Exception {
        Path schema = Files.writeString(dir.resolve("more.json"),
                "{ 'command': 'query-version', 'returns': 'VersionInfo', 'features': [ 'deprecated' ] }\n");
        try (QmpServer server = QmpServer.builder().listen(new Endpoint.Unix(dir.resolve("more.sock")))
                .schemaFile(schema).xOobTest(true).build().start();
                WireClient c = WireClient.negotiated(server.endpoints().get(0), true)) {
            c.send("{\"execute\": \"query-qmp-schema\"}");
            String schemaInfo = c.next();
            assertTrue(schemaInfo.matches(".*\\{\"name\": \"query-version\", [^}]*\"features\": \\[\"deprecated\"]}.*"),
                    schemaInfo);
            c.send("{\"execute\": \"query-version\"}");
            assertTrue(c.next().startsWith("{\"return\": {\"qemu\": "));
            c.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": false}}");
            c.expect("{\"return\": {}}");
        }
    }

    @Test
    void declarationsTheHandlersCannotServeAreRefusedNamingBoth() throws Exception {
        Path schema = Files.writeString(dir.resolve("bad.json"),
                "{ 'command': 'query-version', 'data': { 'verbose': 'bool' }, 'returns': 'VersionInfo' }\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("bad.sock"))).schemaFile(schema).build());
        assertEquals("command 'query-version' declared at " + schema + ":1 cannot be served by jqmp's handler, written"
                + " for its declaration at io/jqmp/schema/builtin.json:24: arguments.verbose is not a member the handler"
                + " takes", e.getMessage());

        Path oob = Files.writeString(dir.resolve("oob.json"), WHOLE.replace(
                "'returns': 'Count', 'features': [ 'unstable' ]", "'returns': 'Count', 'allow-oob': true"));
        e = assertThrows(IllegalArgumentException.class, () -> withDefaults("oob.sock").schemaFile(oob).build());
        assertEquals("command 'test-count' declared at " + oob + ":12 cannot be served by jqmp's handler, written for"
                + " its declaration at io/jqmp/server/defaults.json:4: it allows out-of-band execution, which the"
                + " handler was not written for", e.getMessage());
    }

    @Test
    void eventsTheHandlersEmitMustBeDeclared() throws Exception {
        Path schema = Files.writeString(dir.resolve("quiet.json"), WHOLE.replace("{ 'event': 'TEST_PLAIN' }", ""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> withDefaults("quiet.sock").schemaFile(schema).build());
        assertEquals("the schema does not declare event 'TEST_PLAIN', which jqmp's handlers emit (declared for them at"
                + " io/jqmp/server/defaults.json:6)", e.getMessage());
    }

    @Test
    void definesAreChecked() throws Exception {
        Path defines = Files.writeString(dir.resolve("bad.defines"), "CONFIG_A\nconfig_b\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("d.sock"))).defineFile(defines).build());
        assertEquals(defines + ":2: 'config_b' is not a name an 'if' condition can test (an upper-case letter, then"
                + " upper-case letters, digits and '_', e.g. CONFIG_VNC)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("d.sock"))).define("with space").build());
        assertTrue(e.getMessage().startsWith("'with space' is not a name"), e.getMessage());
    }
}
