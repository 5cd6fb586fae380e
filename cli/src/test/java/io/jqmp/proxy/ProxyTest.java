package io.jqmp.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.client.QmpClient;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import io.jqmp.internal.wire.JsonWriter;
import io.jqmp.schema.Declaration;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy in front of an in-process jqmp server: ids, order, out-of-band, events, policy, upstream loss. */
class ProxyTest {
    @TempDir
    Path dir;
    private QmpServer upstream;
    private QmpProxy proxy;
    private final CountDownLatch release = new CountDownLatch(1);
    private final Semaphore holdStarted = new Semaphore(0);
    /** One permit for each ping the upstream ran. */
    private final Semaphore pings = new Semaphore(0);

    @AfterEach
    void stop() {
        release.countDown();
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private QmpServer startUpstream() throws Exception {
        return QmpServer.builder().listen("unix:" + dir.resolve("up.sock"))
                .command(Declaration.command("echo").noGen().build(), ctx -> ctx.arguments())
                .command(Declaration.command("hold").build(), ctx -> {
                    holdStarted.release();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Map.of();
                })
                .command(Declaration.command("ping").allowOob().build(), ctx -> {
                    pings.release();
                    return Map.of("pong", true);
                })
                .declare(Declaration.event("TICK").build())
                .command(Declaration.command("tick").build(), ctx -> {
                    ctx.server().events().emit("TICK", null);
                    return Map.of();
                })
                .build().start();
    }

    private void startProxy(ProxyPolicy policy, boolean reconnect, boolean keepClients) throws Exception {
        upstream = startUpstream();
        proxy = QmpProxy.start(new QmpProxy.Config(Endpoint.parse("unix:" + dir.resolve("up.sock")),
                List.of(Endpoint.parse("unix:" + dir.resolve("proxy.sock"))), policy, reconnect, keepClients,
                Duration.ofMillis(200), null));
    }

    @Test
    void clientsBeyondTheLimitAreRefused() throws Exception {
        upstream = startUpstream();
        proxy = QmpProxy.start(new QmpProxy.Config(Endpoint.parse("unix:" + dir.resolve("up.sock")),
                List.of(Endpoint.parse("unix:" + proxySocket())), ProxyPolicy.OPEN, false, false,
                Duration.ofMillis(200), null, QmpProxy.Tls.NONE, 2));
        try (RawClient a = RawClient.negotiated(proxySocket()); RawClient b = RawClient.negotiated(proxySocket())) {
            try (RawClient third = new RawClient(proxySocket())) {
                assertEquals(RawClient.CLOSED, third.next(), "a third client is closed without a greeting");
            }
            a.send("{\"exec-oob\": \"ping\", \"id\": 1}");
            assertEquals("{\"return\": {\"pong\": true}, \"id\": 1}", a.next());
            b.send("{\"execute\": \"echo\", \"arguments\": {}, \"id\": 2}");
            assertEquals("{\"return\": {}, \"id\": 2}", b.next());
        }
    }

    /**
     * A client reads through the proxy what it reads from the upstream directly, byte for byte:
     * answers passed on as they came (plain JSON read whole) and answers rebuilt from their members
     * (escapes, UTF-8, floats), successes and errors, with ids of every kind or none. Keys that
     * share a QDict bucket ("micro" and "minor") keep the upstream's order either way.
     */
    @Test
    void answersReadTheSameThroughTheProxyAsDirectly() throws Exception {
        startProxy(ProxyPolicy.OPEN, false, false);
        List<String> arguments = List.of("{}", "{\"micro\": 1, \"minor\": 2}",
                "{\"minor\": 2, \"micro\": 1, \"x\": [1, {\"micro\": true, \"minor\": null}]}",
                "{\"micro\": \"a\\nb\", \"minor\": 2}", "{\"micro\": \"\u00e9\", \"minor\": 2}",
                "{\"micro\": 1.5, \"minor\": 2}");
        List<String> ids = List.of("", ", \"id\": 7", ", \"id\": \"a\"", ", \"id\": {\"minor\": [1, 2], \"micro\": 0}",
                ", \"id\": null", ", \"id\": -3");
        try (RawClient direct = RawClient.negotiated(dir.resolve("up.sock"));
             RawClient viaProxy = RawClient.negotiated(proxySocket())) {
            for (String command : List.of("echo", "no-such-command")) {
                for (String args : arguments) {
                    for (String id : ids) {
                        String request = "{\"execute\": \"" + command + "\", \"arguments\": " + args + id + "}";
                        direct.send(request);
                        viaProxy.send(request);
                        String expected = direct.next();
                        assertTrue(expected.startsWith("{\""), expected);
                        assertEquals(expected, viaProxy.next(), request);
                    }
                }
            }
        }
    }

    /**
     * The upstream's bytes reach the client unchanged but for the id, even in an order this
     * server would not write: an upstream (a jqmp server answering with fixed bytes) writes an
     * object's members against QDict order.
     */
    @Test
    void theUpstreamsBytesPassThroughUnchangedButForTheId() throws Exception {
        String canonical = JsonWriter.toJson(new LinkedHashMap<>(Map.of("a", 1L, "b", 2L)));
        String reversed = canonical.startsWith("{\"a\"") ? "{\"b\": 2, \"a\": 1}" : "{\"a\": 1, \"b\": 2}";
        byte[] success = ("{\"return\": " + reversed + ", \"id\": 0}").getBytes(StandardCharsets.US_ASCII);
        byte[] error = "{\"id\": 0, \"error\": {\"desc\": \"no\", \"class\": \"GenericError\"}}".getBytes(StandardCharsets.US_ASCII);
        upstream = QmpServer.builder().listen("unix:" + dir.resolve("up.sock"))
                .forwarder((request, reply) -> {
                    byte[] b = request.command().equals("fail") ? error : success;
                    int from = new String(b, StandardCharsets.US_ASCII).indexOf("\"id\": 0") + 6;
                    reply.answer(b, from, from + 1);
                })
                .build().start();
        proxy = QmpProxy.start(new QmpProxy.Config(Endpoint.parse("unix:" + dir.resolve("up.sock")),
                List.of(Endpoint.parse("unix:" + proxySocket())), ProxyPolicy.OPEN, false, false,
                Duration.ofMillis(200), null));
        try (RawClient c = RawClient.negotiated(proxySocket())) {
            c.send("{\"execute\": \"x\", \"id\": \"mine\"}");
            assertEquals("{\"return\": " + reversed + ", \"id\": \"mine\"}", c.next());
            c.send("{\"exec-oob\": \"x\"}");
            assertEquals("{\"return\": " + reversed + "}", c.next());
            c.send("{\"execute\": \"fail\", \"id\": [1]}");
            assertEquals("{\"id\": [1], \"error\": {\"desc\": \"no\", \"class\": \"GenericError\"}}", c.next());
        }
    }

    @Test
    void theProxysIdIsFoundFirstOrLastAtTheTopLevelOnly() {
        assertEquals(21, QmpProxy.idValueAt(bytes("{\"return\": {}, \"id\": 17}"), "17"));
        assertEquals(7, QmpProxy.idValueAt(bytes("{\"id\": 17, \"error\": {\"class\": \"GenericError\"}}"), "17"));
        assertEquals(-1, QmpProxy.idValueAt(bytes("{\"return\": {}, \"id\": 17}"), "7"), "another id");
        assertEquals(-1, QmpProxy.idValueAt(bytes("{\"return\": {}, \"id\": 117}"), "17"), "a longer id");
        assertEquals(-1, QmpProxy.idValueAt(bytes("{\"return\": {\"x\": 1, \"id\": 17}}"), "17"), "nested");
        assertEquals(-1, QmpProxy.idValueAt(bytes("{\"return\": 1, \"id\": 17, \"x\": 2}"), "17"), "in the middle");
        assertEquals(-1, QmpProxy.idValueAt(bytes("{\n    \"return\": {},\n    \"id\": 17\n}"), "17"), "pretty");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aLimitOfNoClientsIsRefusedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QmpProxy.Config(
                Endpoint.parse("unix:" + dir.resolve("up.sock")), List.of(Endpoint.parse("unix:" + proxySocket())),
                ProxyPolicy.OPEN, false, false, Duration.ofMillis(200), null, QmpProxy.Tls.NONE, 0));
        assertEquals("the limit of clients must be between 1 and 1048576, got 0", e.getMessage());
    }

    private Path proxySocket() {
        return dir.resolve("proxy.sock");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String line) {
        JsonStreamer s = new JsonStreamer();
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        s.feed(b, 0, b.length);
        if (s.poll() instanceof JsonResult.Value v && v.value() instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new AssertionError("not a JSON object: " + line);
    }

    private static String echo(String client, int n, String id) {
        return "{\"execute\": \"echo\", \"arguments\": {\"c\": \"" + client + "\", \"n\": " + n + "}"
                + (id == null ? "" : ", \"id\": " + id) + "}";
    }

    @Test
    void clientsReuseEachOthersIdsWithoutCrossing() throws Exception {
        startProxy(ProxyPolicy.OPEN, false, false);
        List<String> ids = List.of("1", "null", "{\"k\": [1, \"x\"]}");
        try (RawClient a = RawClient.negotiated(proxySocket()); RawClient b = RawClient.negotiated(proxySocket())) {
            StringBuilder as = new StringBuilder();
            StringBuilder bs = new StringBuilder();
            for (int i = 0; i < ids.size(); i++) {
                as.append(echo("A", i, ids.get(i)));
                bs.append(echo("B", i, ids.get(i)));
            }
            as.append(echo("A", 9, null));
            bs.append(echo("B", 9, null));
            a.send(as.toString());
            b.send(bs.toString());
            for (RawClient c : List.of(a, b)) {
                String name = c == a ? "A" : "B";
                for (int i = 0; i < ids.size(); i++) {
                    Map<String, Object> answer = json(c.next());
                    assertEquals(Map.of("c", name, "n", (long) i), answer.get("return"), answer.toString());
                    assertEquals(json("{\"id\": " + ids.get(i) + "}").get("id"), answer.get("id"));
                    assertTrue(answer.containsKey("id"));
                }
                Map<String, Object> last = json(c.next());
                assertEquals(Map.of("return", Map.of("c", name, "n", 9L)), last, "no id when the request had none");
            }
        }
    }

    @Test
    void outOfBandOvertakesInbandWorkBlockedUpstream() throws Exception {
        startProxy(ProxyPolicy.OPEN, false, false);
        try (RawClient a = RawClient.negotiated(proxySocket()); RawClient b = RawClient.negotiated(proxySocket())) {
            a.send("{\"execute\": \"hold\", \"id\": \"h\"}");
            assertTrue(holdStarted.tryAcquire(20, TimeUnit.SECONDS));
            b.send(echo("B", 1, "\"e\"") + "{\"exec-oob\": \"ping\", \"id\": \"p\"}");
            assertEquals("{\"return\": {\"pong\": true}, \"id\": \"p\"}", b.next());
            release.countDown();
            assertEquals("{\"return\": {}, \"id\": \"h\"}", a.next());
            assertEquals(Map.of("c", "B", "n", 1L), json(b.next()).get("return"));
        }
    }

    @Test
    void aClientThatStopsReadingHoldsUpNoOtherClientsOutOfBandAnswers() throws Exception {
        startProxy(ProxyPolicy.OPEN, false, false);
        int burst = 50;
        String pad = "x".repeat(8000); // answers of 8 kB: 400 kB fill the stuck client's socket
        try (SocketChannel stuck = SocketChannel.open(UnixDomainSocketAddress.of(proxySocket()));
             RawClient other = RawClient.negotiated(proxySocket())) {
            LineReader in = new LineReader(stuck);
            assertTrue(in.line().startsWith("{\"QMP\""));
            write(stuck, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
            assertEquals("{\"return\": {}}", in.line());
            // Out-of-band round trips first, so that the proxy answers this client directly from now on.
            for (int i = 0; i < 20; i++) {
                write(stuck, "{\"exec-oob\": \"ping\", \"id\": " + i + "}");
                assertEquals("{\"return\": {\"pong\": true}, \"id\": " + i + "}", in.line());
            }
            pings.drainPermits();
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < burst; i++) {
                requests.append("{\"exec-oob\": \"ping\", \"id\": \"").append(i).append(pad).append("\"}");
            }
            write(stuck, requests.toString()); // and read nothing
            // Upstream answered all of them before the other client's ping, on one connection: the
            // proxy's upstream reader must get past the stuck client's answers to reach it.
            assertTrue(pings.tryAcquire(burst, 20, TimeUnit.SECONDS), "the upstream ran the burst");
            other.send("{\"exec-oob\": \"ping\", \"id\": \"other\"}");
            assertEquals("{\"return\": {\"pong\": true}, \"id\": \"other\"}", other.next());
            for (int i = 0; i < burst; i++) {
                assertEquals("{\"return\": {\"pong\": true}, \"id\": \"" + i + pad + "\"}", in.line(), "answer " + i);
            }
        }
    }

    private static void write(SocketChannel ch, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Lines from a channel, read only when asked for. */
    private static final class LineReader {
        private final SocketChannel ch;
        private final ByteBuffer in = ByteBuffer.allocate(64 * 1024).flip();

        LineReader(SocketChannel ch) {
            this.ch = ch;
        }

        String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                if (!in.hasRemaining()) {
                    in.clear();
                    int n = ch.read(in);
                    in.flip();
                    if (n < 0) {
                        throw new AssertionError("the proxy closed the connection");
                    }
                }
                byte b = in.get();
                if (b == '\n') {
                    String s = line.toString(StandardCharsets.UTF_8);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                line.write(b);
            }
        }
    }

    @Test
    void eventsReachEveryClientUnchangedAndBeforeTheAnswer() throws Exception {
        startProxy(ProxyPolicy.OPEN, false, false);
        try (RawClient a = RawClient.negotiated(proxySocket()); RawClient b = RawClient.negotiated(proxySocket());
             QmpClient c = QmpClient.connect("unix:" + proxySocket())) {
            try (var ticks = c.listen("TICK")) {
                a.send("{\"execute\": \"tick\", \"id\": 1}");
                String event = a.next();
                assertEquals("TICK", json(event).get("event"));
                assertEquals("{\"return\": {}, \"id\": 1}", a.next());
                assertEquals(event, b.next(), "the same bytes, the upstream's timestamp");
                assertEquals("TICK", ticks.poll(Duration.ofSeconds(20)).name());
            }
            // and a client that never negotiated gets no events
        }
    }

    @Test
    void policyRefusesInbandAndOutOfBandAlike() throws Exception {
        startProxy(new ProxyPolicy(List.of(), List.of("ec*"), true), false, false);
        try (RawClient a = RawClient.negotiated(proxySocket())) {
            a.send(echo("A", 1, "1") + "{\"execute\": \"tick\", \"id\": 2}{\"exec-oob\": \"ping\", \"id\": 3}"
                    + "{\"execute\": \"query-version\", \"id\": 4}");
            String readOnly = "The command %s is refused by this QMP proxy's policy: --read-only passes only query-*"
                    + " and qmp_capabilities, x-query-*, qom-get, qom-list, qom-list-types, qom-list-properties,"
                    + " device-list-properties";
            assertEquals(json("{\"error\": {\"class\": \"GenericError\", \"desc\": \"The command echo is refused by"
                    + " this QMP proxy's policy: it matches --deny 'ec*'\"}, \"id\": 1}"), json(a.next()));
            // ping is out-of-band and may be answered before tick, which waits its turn
            List<Map<String, Object>> next = List.of(json(a.next()), json(a.next()));
            assertTrue(next.contains(json("{\"error\": {\"class\": \"GenericError\", \"desc\": \""
                    + readOnly.formatted("tick") + "\"}, \"id\": 2}")), next.toString());
            assertTrue(next.contains(json("{\"error\": {\"class\": \"GenericError\", \"desc\": \""
                    + readOnly.formatted("ping") + "\"}, \"id\": 3}")), next.toString());
            Map<String, Object> version = json(a.next());
            assertEquals(4L, version.get("id"));
            assertTrue(version.get("return") instanceof Map<?, ?> v && v.containsKey("qemu"), version.toString());
        }
    }

    @Test
    void answersForAVanishedClientAreDropped() throws Exception {
        startProxy(ProxyPolicy.OPEN, false, false);
        try (RawClient b = RawClient.negotiated(proxySocket())) {
            RawClient a = RawClient.negotiated(proxySocket());
            a.send("{\"execute\": \"hold\", \"id\": \"x\"}");
            assertTrue(holdStarted.tryAcquire(20, TimeUnit.SECONDS));
            a.close();
            b.send(echo("B", 1, "\"x\""));
            release.countDown();
            assertEquals(Map.of("return", Map.of("c", "B", "n", 1L), "id", "x"), json(b.next()));
            b.send(echo("B", 2, "2"));
            assertEquals(Map.of("return", Map.of("c", "B", "n", 2L), "id", 2L), json(b.next()));
        }
    }

    @Test
    void upstreamLossAnswersPendingRequestsThenDisconnects() throws Exception {
        startProxy(ProxyPolicy.OPEN, false, false);
        try (RawClient a = RawClient.negotiated(proxySocket())) {
            a.send("{\"execute\": \"hold\", \"id\": 7}");
            assertTrue(holdStarted.tryAcquire(20, TimeUnit.SECONDS));
            Thread closer = Thread.ofVirtual().start(upstream::close);
            Map<String, Object> answer = json(a.next());
            release.countDown();
            closer.join(20_000);
            assertEquals(7L, answer.get("id"));
            Map<?, ?> error = (Map<?, ?>) answer.get("error");
            assertEquals("GenericError", error.get("class"));
            assertTrue(((String) error.get("desc")).startsWith("the upstream QMP server unix:" + dir.resolve("up.sock")
                    + " went away before answering hold (it may or may not have run)"), error.toString());
            assertEquals(RawClient.CLOSED, a.next());
            assertTrue(proxy.ended().get(20, TimeUnit.SECONDS).startsWith("upstream unix:"));
        }
    }

    @Test
    void reconnectsAndKeepsClients() throws Exception {
        startProxy(ProxyPolicy.OPEN, true, true);
        try (RawClient a = RawClient.negotiated(proxySocket())) {
            upstream.close();
            a.send(echo("A", 1, "1"));
            Map<String, Object> refused = json(a.next());
            assertEquals("GenericError", ((Map<?, ?>) refused.get("error")).get("class"), refused.toString());
            upstream = startUpstream();
            for (int i = 0; i < 100; i++) { // bounded: each round waits for a reconnection or an answer
                proxy.upstreamReady().get(20, TimeUnit.SECONDS);
                a.send(echo("A", 2, "2"));
                Map<String, Object> answer = json(a.next());
                if (answer.containsKey("return")) {
                    assertEquals(Map.of("c", "A", "n", 2L), answer.get("return"));
                    assertTrue(proxy.upstreamConnected());
                    return;
                }
            }
            throw new AssertionError("the proxy did not reconnect");
        }
    }

    @Test
    void qmpClientWorksThroughTheProxyUnchanged() throws Exception {
        startProxy(ProxyPolicy.OPEN, false, false);
        try (QmpClient c = QmpClient.connect("unix:" + proxySocket())) {
            assertTrue(c.oobEnabled());
            assertEquals(Map.of("a", 1L), c.call("echo", Map.of("a", 1)));
            assertEquals(Map.of("pong", true), c.callOob("ping", null));
            assertEquals(7L, ((Map<?, ?>) ((Map<?, ?>) c.call("query-version", null)).get("qemu")).get("major"));
        }
    }
}
