package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell's syntax and completion as units, and the shell loop on a dumb terminal. */
class ShellTest {
    @TempDir
    Path dir;

    @Test
    void keyValueSyntaxAsQmpShell() {
        ShellSyntax.Command c = ShellSyntax.parse(
                "blockdev-add driver=null-co node-name=n0 read-zeroes=TRUE size=1024 ratio=0.5 opt=null"
                        + " name=\"two words\" list=[1,2] obj={\"a\":1} cache.direct=false cache.no-flush=true"
                        + " version=7.2.0 id=disk0");
        assertEquals(false, c.oob());
        assertEquals("blockdev-add", c.name());
        Map<String, Object> expected = new java.util.LinkedHashMap<>();
        expected.put("driver", "null-co");
        expected.put("node-name", "n0");
        expected.put("read-zeroes", true);
        expected.put("size", 1024L);
        expected.put("ratio", 0.5);
        expected.put("opt", null);
        expected.put("name", "two words");
        expected.put("list", List.of(1L, 2L));
        expected.put("obj", Map.of("a", 1L));
        expected.put("cache", Map.of("direct", false, "no-flush", true));
        expected.put("version", "7.2.0");
        expected.put("id", "disk0");
        assertEquals(expected, c.arguments());
        assertNull(ShellSyntax.parse("   "));
    }

    @Test
    void outOfBandPrefixesAndJsonRequests() {
        assertEquals(new ShellSyntax.Command(true, "query-yank", Map.of()), ShellSyntax.parse("!query-yank"));
        assertEquals(new ShellSyntax.Command(true, "x-oob-test", Map.of("lock", false)),
                ShellSyntax.parse("-o x-oob-test lock=false"));
        assertEquals(new ShellSyntax.Command(true, "migrate-pause", Map.of()),
                ShellSyntax.parse("{\"exec-oob\": \"migrate-pause\", \"id\": 42}"));
        assertEquals(new ShellSyntax.Command(false, "stop", Map.of("a", 1L)),
                ShellSyntax.parse("{'execute': 'stop', 'arguments': {'a': 1}}"));
    }

    @Test
    void syntaxErrorsSayWhatIsWrong() {
        assertEquals("Expected a key=value pair, got 'oops'",
                assertThrows(IllegalArgumentException.class, () -> ShellSyntax.parse("cmd oops")).getMessage());
        assertEquals("Cannot use \"a\" as both leaf and non-leaf key",
                assertThrows(IllegalArgumentException.class, () -> ShellSyntax.parse("cmd a=1 a.b=2")).getMessage());
        assertEquals("Cannot use \"a\" as both leaf and non-leaf key",
                assertThrows(IllegalArgumentException.class, () -> ShellSyntax.parse("cmd a.b=1 a=2")).getMessage());
        assertEquals("Cannot set \"a.b\" multiple times",
                assertThrows(IllegalArgumentException.class, () -> ShellSyntax.parse("cmd a.b=1 a.b=2")).getMessage());
        assertEquals("expected a command after -o",
                assertThrows(IllegalArgumentException.class, () -> ShellSyntax.parse("-o")).getMessage());
    }

    static final List<Object> SCHEMA = List.of(
            Map.of("name", "blockdev-add", "meta-type", "command", "arg-type", "1", "ret-type", "0"),
            Map.of("name", "query-version", "meta-type", "command", "arg-type", "0", "ret-type", "2"),
            Map.of("name", "0", "meta-type", "object", "members", List.of()),
            Map.of("name", "1", "meta-type", "object", "tag", "driver",
                    "members", List.of(Map.of("name", "driver", "type", "str"),
                            Map.of("name", "cache", "type", "3", "default", "null")),
                    "variants", List.of(Map.of("case", "null-co", "type", "4"))),
            Map.of("name", "3", "meta-type", "object",
                    "members", List.of(Map.of("name", "direct", "type", "bool"))),
            Map.of("name", "4", "meta-type", "object",
                    "members", List.of(Map.of("name", "read-zeroes", "type", "bool"),
                            Map.of("name", "loop", "type", "4"))),
            Map.of("name", "str", "meta-type", "builtin", "json-type", "string"));

    @Test
    void completesCommandsAndArguments() {
        ShellCompletion c = new ShellCompletion(List.of("query-version", "blockdev-add"), SCHEMA);
        assertEquals(Set.of("blockdev-add", "query-version"), c.commands());
        assertEquals(List.of("blockdev-add", "query-version"), c.candidates(List.of("q"), 0));
        assertEquals(List.of("!blockdev-add", "!query-version"), c.candidates(List.of("!q"), 0));
        assertEquals(List.of("blockdev-add", "query-version"), c.candidates(List.of("-o", ""), 1));
        // The recursive type 4 is not entered again through "loop".
        assertEquals(List.of("driver", "cache", "cache.direct", "read-zeroes", "loop"), c.arguments("blockdev-add"));
        assertEquals(List.of("cache=", "cache.direct=", "read-zeroes=", "loop="),
                c.candidates(List.of("blockdev-add", "driver=null-co", "c"), 2));
        assertEquals(List.of(), c.candidates(List.of("query-version", ""), 1));
        assertEquals(List.of(), new ShellCompletion(List.of("x"), null).candidates(List.of("x", ""), 1));
    }

    /** Runs the shell on a dumb terminal against {@code server}, types {@code input} once it prompts; returns the screen. */
    private String shell(QmpServer server, String input, String lastOutput) throws Exception {
        return shell(server, List.of(input), lastOutput);
    }

    /**
     * Runs the shell on a dumb terminal, typing each of {@code inputs} once the shell is prompting
     * and the one before it has printed {@code lastOutput}, as a person would: input typed ahead
     * while events are printed is redrawn below them, as on any terminal.
     */
    private String shell(QmpServer server, List<String> inputs, String lastOutput) throws Exception {
        Screen screen = new Screen();
        Screen err = new Screen();
        PipedOutputStream keyboard = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(keyboard, 65536);
        AtomicInteger status = new AtomicInteger(-1);
        try (Terminal t = TerminalBuilder.builder().system(false).type("dumb").streams(in, screen).build()) {
            Args args = Args.parse(List.of(server.endpoints().get(0).toString(), "--history",
                    dir.resolve("history").toString()), Set.of("--timeout", "--history"), Set.of("--no-oob"));
            Thread shell = Thread.ofVirtual().start(() -> status.set(ShellCommand.run(args, t, err.printStream())));
            screen.await("(QEMU) ");
            for (int i = 0; i < inputs.size(); i++) {
                keyboard.write(inputs.get(i).getBytes(StandardCharsets.UTF_8));
                keyboard.flush();
                screen.await(lastOutput, i + 1);
            }
            keyboard.close();
            shell.join(Screen.TIMEOUT.toMillis());
        }
        assertEquals(0, status.get());
        assertEquals("", err.toString());
        String text = screen.toString().replace("\r\n", "\n");
        return text.substring(0, text.lastIndexOf("(QEMU) ") + 7);
    }

    @Test
    void theShellRunsLinesOnADumbTerminal() throws Exception {
        try (QmpServer server = QmpServer.builder().listen(new Endpoint.Unix(dir.resolve("qmp.sock"))).xOobTest(true)
                .build().start()) {
            String text = shell(server, "query-version\n!x-oob-test lock=false\nx-oob-test lock=1\nbad syntax\n",
                    "error: Expected a key=value pair, got 'syntax'");
            assertEquals("Connected to " + server.endpoints().get(0) + " (QEMU 7.2.0, oob enabled). 5 commands;"
                    + " TAB completes, Ctrl-D quits.\n"
                    + "(QEMU) {\n    \"qemu\": {\n        \"micro\": 0,\n        \"minor\": 2,\n        \"major\": 7\n"
                    + "    },\n    \"package\": \"jqmp 0.1.0\"\n}\n"
                    + "(QEMU) {}\n"
                    + "(QEMU) GenericError: Invalid parameter type for 'lock', expected: boolean\n"
                    + "(QEMU) error: Expected a key=value pair, got 'syntax'\n"
                    + "(QEMU) ", text);
        }
    }

    @Test
    void eventsAndAnswersArePrintedInWireOrder() throws Exception {
        Path schema = dir.resolve("burst.json");
        java.nio.file.Files.writeString(schema, """
                { 'command': 'burst', 'data': { 'tag': 'str' } }
                { 'event': 'BURST', 'data': { 'tag': 'str', 'i': 'int' } }
                """);
        int events = 30;
        try (QmpServer server = QmpServer.builder().listen(new Endpoint.Unix(dir.resolve("qmp.sock"))).schemaFile(schema)
                .handler("burst", ctx -> {
                    // Emitted before the answer, so they precede it on the wire.
                    for (int i = 0; i < events; i++) {
                        ctx.server().events().emit("BURST", Map.of("tag", ctx.arguments().get("tag"), "i", (long) i));
                    }
                    return null;
                }).build().start()) {
            String text = shell(server, List.of("burst tag=a\n", "burst tag=b\n", "burst tag=c\n"), "{}");
            StringBuilder expected = new StringBuilder();
            for (String tag : List.of("a", "b", "c")) {
                expected.append("(QEMU) ");
                for (int i = 0; i < events; i++) {
                    expected.append("{\"timestamp\": T, \"event\": \"BURST\", \"data\": {\"i\": ").append(i)
                            .append(", \"tag\": \"").append(tag).append("\"}}\n");
                }
                expected.append("{}\n");
            }
            expected.append("(QEMU) ");
            assertEquals(expected.toString(), text.substring(text.indexOf("(QEMU) "))
                    .replaceAll("\\{\"seconds\": \\d+, \"microseconds\": \\d+\\}", "T"));
        }
    }
}
