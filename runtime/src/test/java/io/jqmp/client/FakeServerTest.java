package io.jqmp.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.server.PinningRecorder;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The client against scripted servers that misbehave in the ways real ones may. */
@ExtendWith(PinningRecorder.class)
class FakeServerTest {
    static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7},"
            + " \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n";

    @TempDir
    Path dir;
    ServerSocketChannel listener;
    Thread serverThread;

    /** A script run against the one accepted connection. */
    interface Script {
        void run(SocketChannel c) throws Exception;
    }

    String serve(Script script) throws IOException {
        Path sock = dir.resolve("fake.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(sock));
        serverThread = Thread.ofVirtual().start(() -> {
            try (SocketChannel c = listener.accept()) {
                script.run(c);
            } catch (Exception e) {
                // the test sees the effect on the client side
            }
        });
        return "unix:" + sock;
    }

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            listener.close();
        }
        if (serverThread != null) {
            serverThread.interrupt();
            serverThread.join(5000);
        }
    }

    static void write(SocketChannel c, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /** Reads until {@code marker} was seen (bounded by the client's own behaviour and the test timeout). */
    static String readUntil(SocketChannel c, String marker) throws IOException {
        StringBuilder sb = new StringBuilder();
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (!sb.toString().contains(marker)) {
            b.clear();
            if (c.read(b) < 0) {
                throw new IOException("client closed");
            }
            sb.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    @Test
    void toleratesMemberOrderUnknownMembersUnknownIdsAndEarlyEvents() throws Exception {
        LinkedBlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
        CompletableFuture<String> seen = new CompletableFuture<>();
        String ep = serve(c -> {
            write(c, GREETING);
            // An event before negotiation (QEMU sends none then, other servers might).
            write(c, "{\"event\": \"EARLY\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n");
            String caps = readUntil(c, "\"id\": 1}");
            write(c, "{\"id\": 1, \"extra\": [1, 2], \"return\": {}}\r\n");
            seen.complete(caps + readUntil(c, "\"id\": 2}\r\n"));
            write(c, "{\"return\": {\"late\": true}, \"id\": 999}\r\n");
            write(c, "{\"return\": \"no id\"}\r\n");
            write(c, "{\"surprise\": 1}\r\n");
            write(c, "{\"error\": {\"desc\": \"nope\", \"class\": \"GenericError\", \"more\": 1}, \"id\": 2}");
            readUntil(c, "never");
        });
        try (QmpClient qmp = QmpClient.builder(ep).onEvent(e -> true, events::add)
                .connectTimeout(Duration.ofSeconds(10)).connect()) {
            assertTrue(qmp.oobEnabled());
            QmpErrorException e = assertThrows(QmpErrorException.class, () -> qmp.call("anything", Map.of("a", 1)));
            assertEquals("GenericError", e.errorClass());
            assertEquals("nope", e.desc());
            assertEquals("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}, \"id\": 1}\r\n"
                    + "{\"execute\": \"anything\", \"arguments\": {\"a\": 1}, \"id\": 2}\r\n", seen.get(10, TimeUnit.SECONDS));
            QmpEvent early = events.poll(10, TimeUnit.SECONDS);
            assertEquals("EARLY", early.name());
            assertEquals(1, early.seconds());
            assertEquals(2, early.microseconds());
            assertTrue(qmp.isOpen());
        }
    }

    @Test
    void automaticIdsSkipTheIdsACallerChose() throws Exception {
        CompletableFuture<String> seen = new CompletableFuture<>();
        String ep = serve(c -> {
            write(c, GREETING);
            readUntil(c, "\"id\": 1}");
            write(c, "{\"return\": {}, \"id\": 1}\r\n");
            String both = readUntil(c, "\"id\": 3}\r\n");
            seen.complete(both);
            write(c, "{\"return\": \"auto\", \"id\": 3}\r\n{\"return\": \"mine\", \"id\": 2}\r\n");
            readUntil(c, "never");
        });
        try (QmpClient qmp = QmpClient.connect(ep)) {
            CompletableFuture<Object> mine = qmp.executeMessage(Map.of("execute", "a", "id", 2));
            CompletableFuture<Object> auto = qmp.execute("b", null);
            assertEquals("{\"execute\": \"a\", \"id\": 2}\r\n{\"execute\": \"b\", \"id\": 3}\r\n",
                    seen.get(10, TimeUnit.SECONDS));
            assertEquals("auto", auto.get(10, TimeUnit.SECONDS));
            assertEquals("mine", mine.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aSilentServerTimesOutTheConnect() throws Exception {
        String ep = serve(c -> readUntil(c, "never"));
        long t0 = System.nanoTime();
        // Connecting is over when it times out: a connection failure, not a command timeout.
        QmpConnectionException e = assertThrows(QmpConnectionException.class,
                () -> QmpClient.builder(ep).connectTimeout(Duration.ofMillis(300)).connect());
        assertEquals("no QMP greeting from " + ep + " within the connect timeout"
                + " (is it a QMP socket, and is another client already connected to it?)", e.getMessage());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
    }

    @Test
    void aServerThatDiesFailsOutstandingCommands() throws Exception {
        String ep = serve(c -> {
            write(c, GREETING);
            readUntil(c, "\"id\": 1}");
            write(c, "{\"return\": {}, \"id\": 1}\r\n");
            readUntil(c, "\"id\": 2}");
            // and close without answering
        });
        try (QmpClient qmp = QmpClient.connect(ep)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> qmp.execute("query-status", null).get(10, TimeUnit.SECONDS));
            assertInstanceOf(QmpConnectionException.class, e.getCause());
            assertEquals("the server at " + ep + " closed the connection", e.getCause().getMessage());
            assertFalse(qmp.isOpen());
            assertTrue(qmp.closedFuture().isDone());
        }
    }

    @Test
    void notAQmpServer() throws Exception {
        String ep = serve(c -> {
            write(c, "{\"hello\": \"world\"}\r\n");
            readUntil(c, "never");
        });
        QmpConnectionException e = assertThrows(QmpConnectionException.class, () -> QmpClient.connect(ep));
        assertEquals(ep + " is not a QMP server: its first message was {\"hello\": \"world\"}", e.getMessage());
    }

    @Test
    void refusedNegotiationIsReported() throws Exception {
        String ep = serve(c -> {
            write(c, GREETING.replace("[\"oob\"]", "[]"));
            readUntil(c, "never");
        });
        QmpConnectionException e = assertThrows(QmpConnectionException.class,
                () -> QmpClient.builder(ep).oob(true).connect());
        assertEquals(ep + " does not offer the oob capability (offered: [])", e.getMessage());
    }
}
