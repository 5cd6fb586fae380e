package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.server.QmpServer;
import io.jqmp.server.QmpServerConfig;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path dir;

    @Test
    void optionsMayComeBeforeOrAfterPositionalArguments() {
        Args a = Args.parse(List.of("--qmp", "unix:a", "pos", "--qmp=tcp:h:1", "--pretty", "--", "--not-an-option"),
                Set.of("--qmp"), Set.of("--pretty"));
        assertEquals(List.of("unix:a", "tcp:h:1"), a.all("--qmp"));
        assertTrue(a.flag("--pretty"));
        assertEquals(List.of("pos", "--not-an-option"), a.positional);
        Args.UsageException e = assertThrows(Args.UsageException.class,
                () -> Args.parse(List.of("--bogus"), Set.of(), Set.of()));
        assertEquals("unknown option --bogus", e.getMessage());
        assertThrows(Args.UsageException.class, () -> Args.parse(List.of("--qmp"), Set.of("--qmp"), Set.of()));
    }

    @Test
    void helpListsTheCommands() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, Main.run(List.of("--help"), new PrintStream(out), System.err));
        assertEquals(Main.USAGE, out.toString());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(List.of("frobnicate"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("unknown command 'frobnicate'"));
    }

    @Test
    void helpCommandPrintsThatCommandsUsage() {
        Map<String, String> usages = Map.of("serve", ServeCommand.USAGE, "call", CallCommand.USAGE,
                "shell", ShellCommand.USAGE, "events", EventsCommand.USAGE, "test", Main.LAUNCHER_USAGE);
        for (Map.Entry<String, String> u : usages.entrySet()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertEquals(0, Main.run(List.of("help", u.getKey()), new PrintStream(out), System.err), u.getKey());
            assertEquals(u.getValue(), out.toString(), u.getKey());
            assertTrue(out.toString().contains("jqmp " + u.getKey()), u.getKey());
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(List.of("help", "frobnicate"), System.out, new PrintStream(err)));
        assertTrue(err.toString().startsWith("jqmp help: no command 'frobnicate'; the commands are serve, call,"),
                err.toString());
    }

    @Test
    void badServeOptionsSayWhatToFix() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(List.of("serve", "--qmp", "udp:1:2"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("expected unix:PATH, tcp:HOST:PORT or tls:HOST:PORT"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--dialect", "3.0"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("unknown dialect '3.0'"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--monitor-idle", "nap"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("unknown idle strategy 'nap'"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--no-machine", "--memory", "1M"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("--memory needs the machine; drop --no-machine"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--memory", "12X"), System.out, new PrintStream(err)));
        assertTrue(err.toString().startsWith("jqmp serve: "), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--qmp", "tls:127.0.0.1:0"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("needs --tls-creds DIR"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--qmp", "tls:127.0.0.1:0", "--tls-creds", dir.toString()),
                System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("server-cert.pem (the server's certificate) is missing"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--oob-platform-clients", "-1"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("--oob-platform-clients must be 0 or more, got -1"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--define", "config_vnc"), System.out, new PrintStream(err)));
        assertTrue(err.toString().startsWith("jqmp serve: 'config_vnc' is not a name an 'if' condition can test"),
                err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--define-file", dir.resolve("none").toString()), System.out,
                new PrintStream(err)));
        assertTrue(err.toString().startsWith("jqmp serve: can't read define file '" + dir.resolve("none") + "'"),
                err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--schema", "/nonexistent"), System.out, new PrintStream(err)));
        assertEquals("jqmp serve: --schema /nonexistent: the file does not exist\n"
                + "run 'jqmp help serve' for the options\n", err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--schema", dir.toString()), System.out, new PrintStream(err)));
        assertTrue(err.toString().startsWith("jqmp serve: --schema " + dir + ": is a directory"), err.toString());
    }

    /** {@code jqmp serve} with a whole schema of its own, the names its conditions test, and a version to report. */
    @Test
    void serveImpersonatesAnotherBuild() throws Exception {
        Path sock = dir.resolve("whole.sock");
        Path schema = Files.writeString(dir.resolve("whole.json"), """
                { 'pragma': { 'command-name-exceptions': [ 'qmp_capabilities' ] } }
                { 'command': 'qmp_capabilities' }
                { 'struct': 'CommandInfo', 'data': { 'name': 'str' } }
                { 'command': 'query-commands', 'returns': [ 'CommandInfo' ] }
                { 'command': 'vnc-only', 'if': 'CONFIG_VNC' }
                { 'command': 'spice-only', 'if': 'CONFIG_SPICE' }
                { 'command': 'extra-only', 'if': 'CONFIG_EXTRA' }
                """);
        Path defines = Files.writeString(dir.resolve("build.defines"), "# this build\nCONFIG_VNC\n");
        java.io.PipedInputStream pipe = new java.io.PipedInputStream();
        PrintStream out = new PrintStream(new java.io.PipedOutputStream(pipe), true);
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger status = new AtomicInteger(-1);
        Thread serve = Thread.ofPlatform().start(() -> {
            status.set(ServeCommand.run(List.of("--qmp", "unix:" + sock, "--schema", schema.toString(), "--no-machine",
                    "--define-file", defines.toString(), "--define", "CONFIG_EXTRA", "--qemu-version", "7.2.22",
                    "--qemu-package", "Debian 1:7.2+dfsg-7"), out, System.err, stop));
            out.close();
        });
        BufferedReader lines = new BufferedReader(new InputStreamReader(pipe, StandardCharsets.UTF_8));
        String line;
        do {
            line = lines.readLine(); // blocks until the server is ready (or has failed and closed the pipe)
        } while (line != null && !line.startsWith("stop with Ctrl-C"));
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            assertEquals("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": "
                    + "\"Debian 1:7.2+dfsg-7\"}, \"capabilities\": [\"oob\"]}}", in.readLine());
            ch.write(StandardCharsets.UTF_8.encode("{\"execute\": \"qmp_capabilities\"}{\"execute\": \"query-commands\"}"
                    + "{\"execute\": \"vnc-only\"}{\"execute\": \"spice-only\"}"));
            assertEquals("{\"return\": {}}", in.readLine());
            assertEquals("{\"return\": [{\"name\": \"extra-only\"}, {\"name\": \"vnc-only\"}, {\"name\": \"query-commands\"}, "
                    + "{\"name\": \"qmp_capabilities\"}]}", in.readLine());
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Command vnc-only is declared in a schema "
                    + "but has no implementation in this server\"}}", in.readLine());
            assertEquals("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command spice-only has not been "
                    + "found\"}}", in.readLine());
        } finally {
            stop.countDown();
            serve.join(10_000);
        }
        assertEquals(0, status.get());
    }

    @Test
    void aSchemaWhoseDeclarationTheMachineCannotServeSaysWhichAndHowToServeIt() throws Exception {
        Path schema = dir.resolve("mine.json");
        Files.writeString(schema, "{ 'command': 'my-command' }\n{ 'command': 'stop', 'data': { 'force': 'int' } }\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(List.of("serve", "--qmp", "unix:" + dir.resolve("s.sock"), "--schema", schema.toString()),
                System.out, new PrintStream(err)));
        String text = err.toString();
        assertTrue(text.startsWith("jqmp serve: command 'stop' declared at " + schema + ":2 cannot be served by jqmp's"
                + " handler, written for its declaration at the simulated machine's schema: "), text);
        assertTrue(text.endsWith("change the declaration to fit, or serve without the machine (--no-machine)\n"), text);
        assertFalse(text.contains("io/jqmp"), text);
    }

    @Test
    void anEndpointInUseIsNamedWithTheFix() throws Exception {
        try (ServerSocketChannel busy = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            int port = ((InetSocketAddress) busy.getLocalAddress()).getPort();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(2, Main.run(List.of("serve", "--no-machine", "--qmp", "unix:" + dir.resolve("ok.sock"), "--qmp",
                    "tcp:127.0.0.1:" + port), System.out, new PrintStream(err)));
            assertEquals("jqmp serve: cannot listen on tcp:127.0.0.1:" + port + ": Address already in use\n"
                    + "another program (perhaps another 'jqmp serve') listens on port " + port + ": stop it, or choose"
                    + " another port with --qmp tcp:127.0.0.1:PORT (--qmp replaces the default endpoints)\n",
                    err.toString());
            assertFalse(Files.exists(dir.resolve("ok.sock")), "the endpoint bound before is released");
        }
        Path sock = dir.resolve("busy.sock");
        try (QmpServer other = QmpServer.builder().listen("unix:" + sock).build().start()) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(2, Main.run(List.of("serve", "--qmp", "unix:" + sock), System.out, new PrintStream(err)));
            assertEquals("jqmp serve: cannot listen on unix:" + sock + ": another server is listening on it\n"
                    + "stop the server that uses " + sock + " (or move the file away if it is not one), or listen"
                    + " elsewhere with --qmp unix:PATH (--qmp replaces the default endpoints)\n", err.toString());
        }
    }

    @Test
    void serveUsageShowsTheLibrarysDefaults() {
        assertTrue(ServeCommand.USAGE.contains("connections served at once (default "
                + QmpServerConfig.DEFAULTS.maxConnections() + ")"), ServeCommand.USAGE);
        assertTrue(ServeCommand.USAGE.contains("idle strategy: park, backoff, spin, yield (default park)"),
                ServeCommand.USAGE);
    }

    @Test
    void serveRunsUntilStoppedAndRemovesItsSocket() throws Exception {
        Path sock = dir.resolve("serve.sock");
        Path management = dir.resolve("management.sock");
        Path schema = dir.resolve("extra.json");
        Files.writeString(schema, "{ 'command': 'extra-command' }\n");
        CountDownLatch stop = new CountDownLatch(1);
        Screen out = new Screen();
        AtomicInteger status = new AtomicInteger(-1);
        Thread serve = Thread.ofPlatform().start(() -> status.set(ServeCommand.run(
                List.of("--qmp", "unix:" + sock, "--management", "unix:" + management, "--schema", schema.toString(), "--dialect", "2.12", "--memory", "4M",
                        "--name", "guest1"),
                out.printStream(), System.err, stop)));
        out.await("stop with Ctrl-C");
        assertTrue(out.toString().contains("listening on unix:" + sock), out.toString());
        assertTrue(out.toString().contains("unix:" + management), out.toString());
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(management))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            assertTrue(in.readLine().startsWith("{\"QMP\""), "the management socket greets");
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            assertTrue(in.readLine().startsWith("{\"QMP\""));
            ch.write(StandardCharsets.UTF_8.encode("{\"execute\": \"qmp_capabilities\"}{\"execute\": \"extra-command\"}"));
            assertEquals("{\"return\": {}}", in.readLine());
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Command extra-command is declared in a schema "
                    + "but has no implementation in this server\"}}", in.readLine());
            ch.write(StandardCharsets.UTF_8.encode("{\"execute\": \"query-name\"}"));
            assertEquals("{\"return\": {\"name\": \"guest1\"}}", in.readLine());
            // jqmp serve keeps x-oob-test (an embedded server has it only when asked).
            ch.write(StandardCharsets.UTF_8.encode("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": false}}"));
            assertEquals("{\"return\": {}}", in.readLine());
        }
        stop.countDown();
        serve.join(10_000);
        assertEquals(0, status.get());
        assertFalse(Files.exists(sock));
        assertFalse(Files.exists(management));
    }
}
