package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server around a {@link RequestForwarder}. */
class ForwarderTest {
    @TempDir
    Path dir;

    /**
     * A proxy's forwarder writes to its upstream on the client's reader thread; a close of that
     * client from another thread must not interrupt it there, or the interrupt would close the
     * upstream channel for every client. The reader takes the interrupt once the forwarder returns.
     */
    @Test
    void aCloseFromAnotherThreadWaitsUntilTheReaderLeavesTheForwarder() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> seenInside = new CompletableFuture<>();
        Endpoint endpoint = new Endpoint.Unix(dir.resolve("fwd.sock"));
        QmpServer server = QmpServer.builder()
                .listen(endpoint)
                .forwarder((request, reply) -> {
                    inside.countDown();
                    try {
                        // Stands for a write that takes a while; an interrupt ends the wait early.
                        release.await(20, TimeUnit.SECONDS);
                        seenInside.complete(Thread.currentThread().isInterrupted() ? "interrupted" : "not interrupted");
                    } catch (InterruptedException e) {
                        seenInside.complete("interrupted");
                    }
                    reply.answer(Map.of("return", Map.of()));
                })
                .build()
                .start();
        try (WireClient client = WireClient.negotiated(endpoint, true)) {
            client.send("{\"execute\": \"stop\", \"id\": 1}");
            assertTrue(inside.await(20, TimeUnit.SECONDS), "the forwarder was called");
            List<Connection> open = server.openConnections();
            assertEquals(1, open.size());
            open.get(0).close("closed by the test"); // from this thread, not the reader's
            release.countDown();
            assertEquals("not interrupted", seenInside.get(20, TimeUnit.SECONDS));
            client.expectClosed();
            assertFalse(server.openConnections().contains(open.get(0)));
        } finally {
            server.close();
        }
    }
}
