package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /** Answers "fail" with an upstream's error bytes, anything else with its success bytes (upstream id 55). */
    private QmpServer encodedAnswers(Endpoint endpoint, boolean pretty) throws Exception {
        byte[] success = "{\"return\": {\"micro\": 1, \"minor\": 2}, \"id\": 55}".getBytes(StandardCharsets.US_ASCII);
        byte[] error = "{\"id\": 55, \"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}"
                .getBytes(StandardCharsets.US_ASCII);
        return QmpServer.builder().listen(endpoint).pretty(pretty)
                .forwarder((request, reply) -> {
                    byte[] b = request.command().equals("fail") ? error : success;
                    int from = new String(b, StandardCharsets.US_ASCII).indexOf("55");
                    reply.answer(b, from, from + 2);
                })
                .build().start();
    }

    /**
     * A forwarder that answers with its upstream's bytes: the client reads them unchanged (the
     * members in the upstream's order, which is not the order this server would write them in)
     * with its own id in place of the upstream's, or without the member when it sent none.
     */
    @Test
    void encodedAnswersGoOutUnchangedWithTheClientsId() throws Exception {
        Endpoint endpoint = new Endpoint.Unix(dir.resolve("fwd.sock"));
        try (QmpServer server = encodedAnswers(endpoint, false);
             WireClient client = WireClient.negotiated(endpoint, true)) {
            client.send("{\"execute\": \"a\", \"id\": 1}");
            assertEquals("{\"return\": {\"micro\": 1, \"minor\": 2}, \"id\": 1}", client.next());
            client.send("{\"execute\": \"a\", \"id\": {\"minor\": \"x\", \"micro\": [true]}}");
            assertEquals("{\"return\": {\"micro\": 1, \"minor\": 2}, \"id\": {\"micro\": [true], \"minor\": \"x\"}}",
                    client.next(), "an object id as QEMU echoes it");
            client.send("{\"execute\": \"a\"}");
            assertEquals("{\"return\": {\"micro\": 1, \"minor\": 2}}", client.next());
            client.send("{\"exec-oob\": \"fail\", \"id\": \"e\"}");
            assertEquals("{\"id\": \"e\", \"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}", client.next());
            client.send("{\"execute\": \"fail\"}");
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}", client.next());
        }
    }

    /** In pretty mode the server writes the encoded answer's members its own way, in the upstream's order. */
    @Test
    void aPrettyServerRewritesEncodedAnswers() throws Exception {
        Endpoint endpoint = new Endpoint.Unix(dir.resolve("fwd.sock"));
        try (QmpServer server = encodedAnswers(endpoint, true); WireClient client = WireClient.connect(endpoint)) {
            message(client); // the greeting
            client.send("{\"execute\": \"qmp_capabilities\"}");
            assertEquals(List.of("{", "    \"return\": {", "    }", "}"), message(client));
            client.send("{\"execute\": \"a\", \"id\": 1}");
            assertEquals(List.of("{", "    \"return\": {", "        \"micro\": 1,", "        \"minor\": 2", "    },",
                    "    \"id\": 1", "}"), message(client));
        }
    }

    /** The lines of one pretty message: up to the closing brace at the start of a line. */
    private static List<String> message(WireClient client) {
        List<String> lines = new ArrayList<>();
        String line;
        do {
            line = client.next();
            lines.add(line);
        } while (!line.equals("}"));
        return lines;
    }

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
