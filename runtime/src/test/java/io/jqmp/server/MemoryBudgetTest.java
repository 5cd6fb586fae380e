package io.jqmp.server;

import io.jqmp.testing.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server-wide memory budget: input room shared by large requests, unread output shared by all. */
class MemoryBudgetTest {
    @TempDir
    Path dir;

    /** 1 MiB of input budget; requests up to 300 KiB (cost up to 664 KiB). */
    private TestServer server(Duration inputWait, long output) throws IOException {
        return new TestServer(dir, b -> b
                .memoryBudget(new QmpServerConfig.MemoryBudget(1 << 20, output, inputWait))
                .jsonLimits(new QmpServerConfig.JsonLimits(300 * 1024, 1024, 64)));
    }

    /** The start of a test-args request whose name is {@code size} bytes long, not yet complete. */
    private static String partialRequest(int size, int id) {
        return "{\"execute\": \"test-args\", \"id\": " + id + ", \"arguments\": {\"name\": \"" + "a".repeat(size);
    }

    @Test
    void aLargeRequestWaitsForInputRoomWhileSmallOnesGoOn() throws Exception {
        try (TestServer s = server(Duration.ofSeconds(30), 1 << 20);
                WireClient holder = s.client(true);
                WireClient waiter = s.client(true);
                WireClient small = s.client(true)) {
            holder.send(partialRequest(280 * 1024, 1));
            Await.until("the holder's request reserved its cost", () -> s.server.memoryUse().inputUsed() >= 560 * 1024);
            waiter.send(partialRequest(200 * 1024, 2));
            Await.until("the second large request waits for room", () -> s.server.memoryUse().inputWaits() == 1);

            // Small requests need no room: in-band and out-of-band, they are answered.
            small.send("{\"exec-oob\": \"test-oob-ping\", \"id\": \"o\"}");
            small.expect("{\"return\": {}, \"id\": \"o\"}");
            small.send("{\"execute\": \"test-count\", \"id\": \"c\"}");
            small.expect("{\"return\": {\"count\": 1}, \"id\": \"c\"}");

            holder.send("\"}}");
            holder.expect("{\"return\": {}, \"id\": 1}");
            waiter.send("\"}}");
            waiter.expect("{\"return\": {}, \"id\": 2}");
            Await.until("everything given back once answered", () -> s.server.memoryUse().inputUsed() == 0);
        }
    }

    @Test
    void aReaderWithoutRoomForTooLongIsDisconnected() throws Exception {
        try (TestServer s = server(Duration.ofMillis(200), 1 << 20);
                WireClient holder = s.client(true);
                WireClient waiter = s.client(true)) {
            holder.send(partialRequest(280 * 1024, 1));
            Await.until("the holder's request reserved its cost", () -> s.server.memoryUse().inputUsed() >= 560 * 1024);
            waiter.send(partialRequest(200 * 1024, 2));
            waiter.expectClosed();
            holder.send("\"}}");
            holder.expect("{\"return\": {}, \"id\": 1}");
            Await.until("everything given back", () -> s.server.memoryUse().inputUsed() == 0);
        }
    }

    @Test
    void theClientHoldingTheMostUnreadOutputIsDisconnected() throws Exception {
        try (TestServer s = server(Duration.ofSeconds(10), 1 << 20);
                SocketChannel neverReads = SocketChannel.open(s.endpoint.address());
                WireClient reads = s.client(true)) {
            StringBuilder requests = new StringBuilder("{\"execute\": \"qmp_capabilities\"}");
            for (int i = 0; i < 60; i++) {
                requests.append("{\"execute\": \"test-blob\", \"arguments\": {\"size\": 100000}}");
            }
            write(neverReads, requests.toString());
            // A client that reads gets answers as large, and more of them, and is never cut off.
            for (int i = 0; i < 30; i++) {
                reads.send("{\"execute\": \"test-blob\", \"arguments\": {\"size\": 100000}, \"id\": " + i + "}");
                assertTrue(reads.next().endsWith("\"}, \"id\": " + i + "}"));
            }
            Await.until("the client that does not read is cut off", () -> s.server.memoryUse().outputDisconnects() == 1);
            Await.until("only the reading client is left", () -> s.server.connectionCount() == 1);
            Await.until("its queue is off the budget", () -> s.server.memoryUse().outputQueued() == 0);
            reads.send("{\"exec-oob\": \"test-oob-ping\", \"id\": \"o\"}");
            reads.expect("{\"return\": {}, \"id\": \"o\"}");
        }
    }

    @Test
    void limitsThatTheInputBudgetCannotHoldAreRefusedBeforeStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("x.sock")))
                .memoryBudget(new QmpServerConfig.MemoryBudget(1 << 20, 1 << 20, Duration.ofSeconds(1)))
                .jsonLimits(QmpServerConfig.JsonLimits.QEMU)
                .build());
        assertTrue(e.getMessage().contains("could never be read"), e.getMessage());
    }

    @Test
    void defaultLimitsFitTheBudget() {
        assertEquals(QmpServerConfig.JsonLimits.QEMU, QmpServerConfig.JsonLimits.fitting(512L << 20));
        QmpServerConfig.JsonLimits small = QmpServerConfig.JsonLimits.fitting(64L << 20); // a 256 MiB heap
        assertEquals(16L << 20, small.maxTokenSize());
        assertEquals(256L << 10, small.maxTokenCount());
        assertTrue(small.maxRequestCost() <= 48L << 20, "a request at the limits takes at most 3/4 of the budget");
    }

    private static void write(SocketChannel ch, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
