package io.jqmp.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProberTest {
    @TempDir
    Path dir;

    @Test
    void requestBytesAreExact() {
        assertEquals("{\"exec-oob\": \"query-yank\", \"id\": 7}\n",
                new String(Prober.request(true, "query-yank", null, 7), StandardCharsets.US_ASCII));
        assertEquals("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": 12}\n",
                new String(Prober.request(false, "x-oob-test", "{\"lock\": true}", 12), StandardCharsets.US_ASCII));
    }

    @Test
    void roundTripAgainstTheUnixEchoServerMatchesTheId() throws IOException {
        try (EchoServer echo = EchoServer.unix(dir.resolve("e.sock"));
             Prober p = Prober.open(echo.endpoint(), true)) {
            assertTrue(p.oob());
            assertEquals(1, p.nextId());
            p.roundTrip(Prober.request(true, "query-yank", null, 1), 1);
            assertEquals("{\"exec-oob\": \"query-yank\", \"id\": 1}", p.lastLine());
            // Two requests in flight: awaitId skips the earlier answer.
            p.send(Prober.request(true, "a", null, 2));
            p.send(Prober.request(true, "b", null, 3));
            p.awaitId(3);
            assertEquals("{\"exec-oob\": \"b\", \"id\": 3}", p.lastLine());
        }
    }

    @Test
    void roundTripOverTcp() throws IOException {
        try (EchoServer echo = EchoServer.tcp(); Prober p = Prober.open(echo.endpoint(), false)) {
            assertTrue(echo.endpoint().startsWith("tcp:127.0.0.1:"));
            assertEquals(false, p.oob());
            p.roundTrip(Prober.request(false, "query-status", null, 42), 42);
            assertEquals("{\"execute\": \"query-status\", \"id\": 42}", p.lastLine());
        }
    }

    @Test
    void everyEchoThreadingEchoesInOrder() throws IOException {
        for (EchoServer.Threads t : EchoServer.Threads.values()) {
            try (EchoServer echo = EchoServer.unix(dir.resolve(t + ".sock"), t);
                 Prober p = Prober.open(echo.endpoint(), true)) {
                assertTrue(p.oob(), t.toString());
                for (long id = 1; id <= 20; id++) {
                    p.send(Prober.request(true, "query-yank", null, id));
                }
                for (long id = 1; id <= 20; id++) {
                    assertEquals(id, p.awaitLine(), t.toString());
                }
                assertEquals("{\"exec-oob\": \"query-yank\", \"id\": 20}", p.lastLine());
            }
        }
    }

    @Test
    void answersMeantForTheMonitorsPreviousClientAreSkippedBeforeTheGreeting() throws Exception {
        String greeting = "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}";
        try (Prober p = openAgainst(dir.resolve("stale.sock"), "{\"return\": {}, \"id\": 498}\n"
                + "{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}, \"id\": 499}\n" + greeting + "\n")) {
            assertEquals(greeting, p.greeting());
            assertTrue(p.oob());
        }
        IOException e = assertThrows(IOException.class,
                () -> openAgainst(dir.resolve("other.sock"), "{\"event\": \"STOP\"}\n" + greeting + "\n"));
        assertEquals("not a QMP greeting: {\"event\": \"STOP\"}", e.getMessage());
    }

    /** A one-client server that writes {@code first}, then answers the negotiation with id 0. */
    private static Prober openAgainst(Path socket, String first) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread.ofVirtual().start(() -> {
                try (SocketChannel c = server.accept()) {
                    c.write(ByteBuffer.wrap(first.getBytes(StandardCharsets.US_ASCII)));
                    ByteBuffer in = ByteBuffer.allocate(4096);
                    while (c.read(in) > 0 && in.get(in.position() - 1) != '\n') {
                        // the negotiation request, up to its newline
                    }
                    c.write(ByteBuffer.wrap("{\"return\": {}, \"id\": 0}\n".getBytes(StandardCharsets.US_ASCII)));
                    c.read(ByteBuffer.allocate(1)); // until the prober closes
                } catch (IOException ignored) {
                    // the prober gave up (the refused greeting)
                }
            });
            return Prober.open("unix:" + socket, true);
        }
    }

    @Test
    void badEndpointIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Prober.connect("pipe:x"));
        assertEquals("endpoint must be unix:PATH or tcp:HOST:PORT, not 'pipe:x'", e.getMessage());
    }
}
