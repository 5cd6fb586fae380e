package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.internal.tls.TestCertificates;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import io.jqmp.server.TlsCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jqmp call} and {@code jqmp events} in-process against a jqmp server. */
class ClientCliTest {
    @TempDir
    Path dir;
    QmpServer server;
    String endpoint;
    final Screen out = new Screen();
    final Screen err = new Screen();

    @BeforeEach
    void start() throws IOException {
        Path schema = dir.resolve("cli.json");
        Files.writeString(schema, """
                { 'command': 'cli-emit', 'data': { 'name': 'str' } }
                { 'event': 'CLI_EVENT', 'data': { 'n': 'int' } }
                { 'event': 'CLI_OTHER' }
                """);
        server = QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("qmp.sock")))
                .schemaFile(schema)
                .handler("cli-emit", ctx -> null)
                .xOobTest(true)
                .build()
                .start();
        endpoint = server.endpoints().get(0).toString();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    int main(String... argv) {
        return Main.run(List.of(argv), out.printStream(), err.printStream());
    }

    @Test
    void callPrintsTheReturnValue() {
        assertEquals(0, main("call", endpoint, "query-version"));
        // Printed in QEMU's member order for the map as received (minor and micro share a bucket).
        assertEquals("{\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"jqmp 0.1.0\"}\n",
                out.toString());
        assertEquals("", err.toString());
        out.reset();
        // Options after the positional arguments, out-of-band, arguments as JSON.
        assertEquals(0, main("call", endpoint, "x-oob-test", "{\"lock\": false}", "--oob", "--timeout", "5"));
        assertEquals("{}\n", out.toString());
    }

    @Test
    void callReportsQmpErrorsWithStatusOne() {
        assertEquals(1, main("call", "--timeout=5", endpoint, "nope"));
        assertEquals("CommandNotFound: The command nope has not been found\n", err.toString());
        assertEquals("", out.toString());
        err.reset();
        assertEquals(1, main("call", endpoint, "x-oob-test", "{\"lock\": 1}"));
        assertEquals("GenericError: Invalid parameter type for 'lock', expected: boolean\n", err.toString());
    }

    @Test
    void callReportsConnectionProblemsWithStatusTwo() {
        String missing = "unix:" + dir.resolve("missing.sock");
        assertEquals(2, main("call", missing, "query-version"));
        String text = err.toString();
        assertTrue(text.startsWith("jqmp call: cannot connect to " + missing + ": "), text);
        assertTrue(text.contains("check that QEMU (-qmp " + missing + ",server=on,wait=off) or 'jqmp serve --qmp "
                + missing + "' is running"), text);
        err.reset();
        assertEquals(2, main("call", endpoint, "query-version", "[1]"));
        assertTrue(err.toString().startsWith("jqmp call: the arguments must be one JSON object"), err.toString());
        err.reset();
        assertEquals(2, main("call", endpoint));
        assertTrue(err.toString().startsWith("jqmp call: expected [ENDPOINT] COMMAND"), err.toString());
        err.reset();
        assertEquals(2, main("call", "udp:1", "query-version"));
        assertTrue(err.toString().contains("expected unix:PATH, tcp:HOST:PORT or tls:HOST:PORT"), err.toString());
    }

    @Test
    void withoutAnEndpointTheClientCommandsUseServesDefaultSocket() {
        assertEquals(ServeCommand.DEFAULT_ENDPOINTS.get(0), ClientCommands.DEFAULT_ENDPOINT);
        assertEquals(new ClientCommands.Positional("unix:./jqmp.sock", true, List.of("query-status")),
                ClientCommands.positional(List.of("query-status")));
        assertEquals(new ClientCommands.Positional("tcp:127.0.0.1:1", false, List.of("stop", "{}")),
                ClientCommands.positional(List.of("tcp:127.0.0.1:1", "stop", "{}")));
        // Nothing listens on ./jqmp.sock in the module directory: the message says what was tried and the fix.
        assertEquals(2, main("call", "query-status", "--timeout", "5"));
        String text = err.toString();
        assertTrue(text.startsWith("jqmp call: cannot connect to unix:./jqmp.sock: "), text);
        assertTrue(text.contains("no ENDPOINT was given, so jqmp call tried unix:./jqmp.sock, where './jqmp serve' listens"
                + " by default: start './jqmp serve' in this directory, or name the server"), text);
    }

    @Test
    void eventsStreamsJsonLines() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger status = new AtomicInteger(-1);
        Thread t = Thread.ofVirtual().start(() -> status.set(EventsCommand.run(
                List.of(endpoint, "--filter", "CLI_EVENT", "--count", "2"), out.printStream(),
                err.printStream(), stop)));
        err.await("jqmp events: connected to " + endpoint + ", waiting for CLI_EVENT (Ctrl-C to stop)\n");
        server.events().emit("CLI_OTHER", null);
        server.events().emit("CLI_EVENT", Map.of("n", 1L));
        server.events().emit("CLI_EVENT", Map.of("n", 2L));
        t.join(10_000);
        assertEquals(0, status.get());
        String lines = out.toString().replaceAll("\"seconds\": \\d+, \"microseconds\": \\d+", "T");
        assertEquals("{\"timestamp\": {T}, \"event\": \"CLI_EVENT\", \"data\": {\"n\": 1}}\n"
                + "{\"timestamp\": {T}, \"event\": \"CLI_EVENT\", \"data\": {\"n\": 2}}\n", lines);
    }

    @Test
    void eventsEndsWithStatusTwoWhenTheServerGoesAway() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger status = new AtomicInteger(-1);
        Thread t = Thread.ofVirtual().start(() -> status.set(EventsCommand.run(
                List.of(endpoint), out.printStream(), err.printStream(), stop)));
        err.await("(Ctrl-C to stop)\n");
        server.events().emit("CLI_OTHER", null);
        out.await("\"event\": \"CLI_OTHER\"}\n");
        server.close();
        t.join(10_000);
        assertEquals(2, status.get());
        assertTrue(err.toString().endsWith("jqmp events: the server at " + endpoint + " closed the connection\n"),
                err.toString());
    }

    @Test
    void eventsStopsWhenAsked() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger status = new AtomicInteger(-1);
        Thread t = Thread.ofVirtual().start(() -> status.set(EventsCommand.run(
                List.of(endpoint), out.printStream(), err.printStream(), stop)));
        err.await("(Ctrl-C to stop)\n");
        stop.countDown();
        t.join(10_000);
        assertEquals(0, status.get());
        assertEquals("", out.toString());
    }

    /** call, events and the option's checks over a tls: endpoint, with certificates made for the run. */
    @Test
    void tlsEndpointsTakeTheCredentialsDirectory() throws Exception {
        TestCertificates certs = TestCertificates.create(dir.resolve("certs"));
        try (QmpServer tls = QmpServer.builder()
                .listen("tls:127.0.0.1:0")
                .tls(TlsCredentials.fromDirectory(certs.serverDir, TlsCredentials.Side.SERVER, true))
                .build()
                .start()) {
            String ep = "tls:localhost:" + ((Endpoint.Tls) tls.endpoints().get(0)).port();
            assertEquals(0, main("call", ep, "query-version", "--tls-creds", certs.adminDir.toString()), err.toString());
            assertTrue(out.toString().contains("\"qemu\""), out.toString());

            assertEquals(2, main("call", ep, "query-version"));
            assertTrue(err.toString().contains("is a TLS endpoint: give --tls-creds DIR"), err.toString());
            err.reset();
            assertEquals(2, main("call", endpoint, "query-version", "--tls-creds", certs.adminDir.toString()));
            assertTrue(err.toString().contains("--tls-creds is for tls:HOST:PORT endpoints"), err.toString());
            err.reset();
            // Without a certificate of its own: TLS 1.3 lets the client finish its handshake, then the
            // server refuses it with an alert.
            assertEquals(2, main("call", ep, "query-version", "--tls-creds", certs.anonymousDir.toString()));
            assertTrue(err.toString().contains("certificate_required"), err.toString());
            err.reset();
            assertEquals(2, main("call", ep, "query-version", "--tls-creds", dir.resolve("nowhere").toString()));
            assertTrue(err.toString().contains("does not exist"), err.toString());
        }
    }
}
