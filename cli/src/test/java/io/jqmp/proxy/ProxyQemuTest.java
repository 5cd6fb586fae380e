package io.jqmp.proxy;

import static io.jqmp.proxy.ProxyTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jqmp.client.EventQueue;
import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.client.QmpErrorException;
import io.jqmp.client.QmpEvent;
import io.jqmp.interop.Qemu;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.File;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy in front of a real QEMU 7.2 ({@code -machine none}); skipped when QEMU is not installed. */
class ProxyQemuTest {
    @TempDir
    Path dir;
    private Process qemu;
    private QmpProxy proxy;

    static boolean qemuAvailable() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "qemu-system-x86_64"))) {
                return true;
            }
        }
        return false;
    }

    @BeforeEach
    void start() throws Exception {
        assumeTrue(qemuAvailable(), "qemu-system-x86_64 is not installed");
        startQemu();
    }

    /**
     * Starts QEMU with its monitor at dir/qemu.sock (QEMU replaces a socket file left there) and
     * one more monitor per name in {@code more} (dir/NAME); returns once every one listens.
     */
    private void startQemu(String... more) throws Exception {
        List<Path> sockets = new ArrayList<>(List.of(dir.resolve("qemu.sock")));
        for (String name : more) {
            sockets.add(dir.resolve(name));
        }
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-machine", "none", "-nodefaults",
                "-display", "none"));
        for (Path sock : sockets) {
            cmd.addAll(List.of("-qmp", "unix:" + sock + ",server=on,wait=off"));
        }
        qemu = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
        for (Path sock : sockets) {
            awaitCondition(() -> {
                assertTrue(qemu.isAlive(), "QEMU exited: " + Files.readString(dir.resolve("qemu.log")));
                return Qemu.listening(sock);
            }, "QEMU to listen on " + sock);
        }
    }

    private void startProxy(ProxyPolicy policy, Recorder recorder) throws Exception {
        startProxy(new QmpProxy.Config(Endpoint.parse("unix:" + dir.resolve("qemu.sock")),
                List.of(Endpoint.parse("unix:" + proxySocket())), policy, false, false, Duration.ofSeconds(1), recorder));
    }

    private void startProxy(QmpProxy.Config config) throws Exception {
        for (int i = 0; ; i++) {
            try {
                proxy = QmpProxy.start(config);
                return;
            } catch (QmpConnectionException e) {
                // QEMU creates its socket file (bind) a moment before it listens
                if (i == 200 || !e.getMessage().endsWith("Connection refused")) {
                    throw e;
                }
                Thread.sleep(10);
            }
        }
    }

    private Path proxySocket() {
        return dir.resolve("proxy.sock");
    }

    private String proxyEndpoint() {
        return "unix:" + proxySocket();
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (qemu != null) {
            qemu.destroyForcibly();
            qemu.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Path mkfifo(String name) throws Exception {
        Path fifo = dir.resolve(name);
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return fifo;
    }

    /** blockdev-add of blkdebug whose config is a FIFO: QEMU's main loop blocks until the FIFO is opened for writing. */
    private static Map<String, Object> blocker(Path fifo, String node) {
        return Map.of("driver", "blkdebug", "node-name", node, "config", fifo.toString(),
                "image", Map.of("driver", "null-co", "read-zeroes", true));
    }

    private static void unblock(Path fifo) throws Exception {
        new FileOutputStream(fifo.toFile()).close();
    }

    @Test
    void greetingIsQemusAndClientsPipelineWithReusedIds() throws Exception {
        startProxy(ProxyPolicy.OPEN, null);
        try (RawClient a = new RawClient(proxySocket()); RawClient b = RawClient.negotiated(proxySocket());
             QmpClient c = QmpClient.connect(proxyEndpoint())) {
            Map<String, Object> greeting = json(a.next());
            assertEquals(List.of("oob"), ((Map<?, ?>) greeting.get("QMP")).get("capabilities"));
            assertEquals(Map.of("major", 7L, "minor", 2L, "micro", ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) greeting.get("QMP"))
                    .get("version")).get("qemu")).get("micro")), ((Map<?, ?>) ((Map<?, ?>) greeting.get("QMP")).get("version")).get("qemu"));
            a.send("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
            assertEquals("{\"return\": {}}", a.next());
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                burst.append("{\"execute\": \"query-name\", \"id\": ").append(i % 2 == 0 ? "1" : "null").append("}");
            }
            burst.append("{\"execute\": \"query-status\"}");
            a.send(burst.toString());
            b.send(burst.toString());
            CompletableFuture<Object> fromC = c.executeMessage(Map.of("execute", "query-name", "id", 1L));
            for (RawClient r : List.of(a, b)) {
                for (int i = 0; i < 20; i++) {
                    assertEquals(i % 2 == 0 ? "{\"return\": {}, \"id\": 1}" : "{\"return\": {}, \"id\": null}", r.next());
                }
                assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}", r.next());
            }
            assertEquals(Map.of(), fromC.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void execOobIsAnsweredWhileQemusMainLoopIsBlocked() throws Exception {
        startProxy(ProxyPolicy.OPEN, null);
        Path fifo = mkfifo("block.fifo");
        try (QmpClient a = QmpClient.connect(proxyEndpoint()); RawClient b = RawClient.negotiated(proxySocket())) {
            CompletableFuture<Object> blocked = a.execute("blockdev-add", blocker(fifo, "b1"));
            List<CompletableFuture<Object>> queued = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                queued.add(a.execute("query-name", null));
            }
            // a's requests reached the proxy, in order, before this out-of-band one: b's come after them
            assertEquals(List.of(Map.of("type", "chardev", "id", "compat_monitor0")),
                    a.executeOob("query-yank", null).get(20, TimeUnit.SECONDS));
            b.send("{\"execute\": \"query-name\", \"id\": \"in\"}{\"exec-oob\": \"query-yank\", \"id\": \"oob\"}");
            assertEquals("{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}], \"id\": \"oob\"}", b.next());
            assertFalse(blocked.isDone());
            assertTrue(queued.stream().noneMatch(CompletableFuture::isDone));
            unblock(fifo);
            assertEquals(Map.of(), blocked.get(20, TimeUnit.SECONDS));
            for (CompletableFuture<Object> f : queued) {
                assertEquals(Map.of(), f.get(20, TimeUnit.SECONDS));
            }
            assertEquals("{\"return\": {}, \"id\": \"in\"}", b.next());
        }
    }

    @Test
    void stopAndResumeReachEveryClient() throws Exception {
        startProxy(ProxyPolicy.OPEN, null);
        try (QmpClient a = QmpClient.connect(proxyEndpoint()); QmpClient b = QmpClient.connect(proxyEndpoint());
             RawClient r = RawClient.negotiated(proxySocket());
             EventQueue ea = a.listen("STOP", "RESUME"); EventQueue eb = b.listen("STOP", "RESUME")) {
            a.call("stop", null);
            // QEMU sends STOP before the answer; through the proxy too
            assertEquals("STOP", ea.poll(Duration.ZERO).name());
            a.call("cont", null);
            QmpEvent stop = eb.poll(Duration.ofSeconds(20));
            assertEquals("STOP", stop.name());
            assertEquals("RESUME", eb.poll(Duration.ofSeconds(20)).name());
            assertEquals("RESUME", ea.poll(Duration.ofSeconds(20)).name());
            Map<String, Object> rawStop = json(r.next());
            assertEquals("STOP", rawStop.get("event"));
            assertEquals(stop.message(), rawStop, "QEMU's timestamp, unchanged");
            assertEquals("RESUME", json(r.next()).get("event"));
        }
    }

    @Test
    void aClientVanishingMidCommandLeavesNothingBehind() throws Exception {
        startProxy(ProxyPolicy.OPEN, null);
        Path fifo = mkfifo("block.fifo");
        try (RawClient b = RawClient.negotiated(proxySocket())) {
            RawClient a = RawClient.negotiated(proxySocket());
            a.send("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": \"blkdebug\", \"node-name\": \"nb\", \"config\": \""
                    + fifo + "\", \"image\": {\"driver\": \"null-co\"}}, \"id\": \"x\"}{\"execute\": \"query-name\", \"id\": \"y\"}");
            // the blockdev-add is upstream when an out-of-band request sent after it is answered
            a.send("{\"exec-oob\": \"query-yank\", \"id\": \"o\"}");
            assertTrue(a.next().endsWith("\"id\": \"o\"}"));
            a.close();
            b.send("{\"execute\": \"query-name\", \"id\": \"x\"}");
            unblock(fifo);
            assertEquals("{\"return\": {}, \"id\": \"x\"}", b.next());
            b.send("{\"execute\": \"query-block-jobs\", \"id\": \"y\"}");
            assertEquals("{\"return\": [], \"id\": \"y\"}", b.next());
            assertEquals(RawClient.NO_ANSWER, b.next(200), "nothing of the vanished client's");
        }
    }

    @Test
    void qemuKilledUnderLoadAnswersEveryPendingRequest() throws Exception {
        startProxy(ProxyPolicy.OPEN, null);
        Path fifo = mkfifo("block.fifo");
        try (QmpClient a = QmpClient.connect(proxyEndpoint()); RawClient b = RawClient.negotiated(proxySocket())) {
            b.send("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": \"blkdebug\", \"node-name\": \"k1\","
                    + " \"config\": \"" + fifo + "\", \"image\": {\"driver\": \"null-co\"}}, \"id\": \"blk\"}");
            for (int i = 0; i < 5; i++) {
                b.send("{\"execute\": \"query-status\", \"id\": " + i + "}");
            }
            b.send("{\"exec-oob\": \"query-yank\", \"id\": \"o\"}");
            // in-band answers wait behind the blockdev-add, so the out-of-band one comes first
            assertTrue(b.next().endsWith("\"id\": \"o\"}"));
            List<CompletableFuture<Object>> more = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                more.add(a.execute("query-status", null));
            }
            qemu.destroyForcibly();
            assertTrue(qemu.waitFor(10, TimeUnit.SECONDS));
            String wentAway = "the upstream QMP server unix:" + dir.resolve("qemu.sock") + " went away";
            for (Object id : List.of("blk", 0L, 1L, 2L, 3L, 4L)) {
                Map<String, Object> answer = json(b.next());
                assertEquals(id, answer.get("id"));
                assertTrue(((Map<?, ?>) answer.get("error")).get("desc").toString().startsWith(wentAway), answer.toString());
            }
            assertEquals(RawClient.CLOSED, b.next(), "then the client is disconnected");
            // a's requests: answered with an error when they reached the proxy (before or after it saw
            // the loss), or failed as never sent
            String notConnected = "this QMP proxy is not connected to its upstream server unix:" + dir.resolve("qemu.sock");
            for (CompletableFuture<Object> f : more) {
                Throwable failure = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS)).getCause();
                assertTrue(failure instanceof QmpConnectionException || (failure instanceof QmpErrorException q
                        && (q.desc().startsWith(wentAway) || q.desc().equals(notConnected))), failure.toString());
            }
            assertTrue(proxy.ended().get(20, TimeUnit.SECONDS).startsWith("upstream"));
        }
    }

    @Test
    void policyRefusalsAndQemusOwnErrors() throws Exception {
        startProxy(new ProxyPolicy(List.of(), List.of("migrate*"), true), null);
        try (QmpClient a = QmpClient.connect(proxyEndpoint())) {
            QmpErrorException stop = assertThrows(QmpErrorException.class, () -> a.call("stop", null));
            assertTrue(stop.desc().startsWith("The command stop is refused by this QMP proxy's policy: --read-only"));
            QmpErrorException pause = assertThrows(QmpErrorException.class, () -> a.callOob("migrate-pause", null));
            assertEquals("The command migrate-pause is refused by this QMP proxy's policy: it matches --deny 'migrate*'",
                    pause.desc());
            QmpErrorException missing = assertThrows(QmpErrorException.class, () -> a.call("query-nothing", null));
            assertEquals("CommandNotFound", missing.errorClass());
            assertEquals("The command query-nothing has not been found", missing.desc());
            assertTrue(((List<?>) a.call("query-qmp-schema", null)).size() > 100, "QEMU's schema passes through");
        }
    }

    @Test
    void recordedConversationReplaysWithTheSameAnswers() throws Exception {
        Path file = dir.resolve("rec.jsonl");
        startProxy(ProxyPolicy.OPEN, Recorder.open(file));
        List<Object> live = conversation(proxyEndpoint());
        proxy.close();
        List<String> lines = Files.readAllLines(file);
        assertTrue(lines.get(0).contains("\"QMP\""), lines.get(0));
        for (String line : lines) {
            Map<String, Object> recorded = ProxyTest.json(line);
            if ("out".equals(recorded.get("direction")) && recorded.containsKey("seq")) {
                assertFalse(((Map<?, ?>) recorded.get("message")).containsKey("id"),
                        "an answer is recorded without the proxy's id for QEMU: " + line);
            }
        }
        Replay replay = Replay.load(file);
        QmpServer server = QmpServer.builder().listen("unix:" + dir.resolve("replay.sock")).version(replay.version())
                .offerOob(replay.offersOob()).forwarder(replay).build();
        replay.attach(server);
        try (server) {
            server.start();
            assertEquals(live, conversation("unix:" + dir.resolve("replay.sock")));
            try (QmpClient c = QmpClient.connect("unix:" + dir.resolve("replay.sock"))) {
                QmpErrorException e = assertThrows(QmpErrorException.class, () -> c.call("query-kvm", null));
                assertTrue(e.desc().startsWith("this replay of " + file + " has no recorded answer for query-kvm {}"),
                        e.desc());
            }
        }
    }

    /** Answers, errors and events of one conversation, in order. */
    private static List<Object> conversation(String endpoint) throws Exception {
        List<Object> seen = new ArrayList<>();
        try (QmpClient c = QmpClient.connect(endpoint); EventQueue events = c.listen()) {
            seen.add(c.greeting());
            seen.add(c.call("query-version", null));
            seen.add(c.call("query-status", null));
            seen.add(c.call("stop", null));
            seen.add(c.call("query-status", null));
            seen.add(c.call("cont", null));
            seen.add(c.callOob("query-yank", null));
            seen.add(assertThrows(QmpErrorException.class, () -> c.call("query-nothing", null)).getMessage());
            seen.add(c.call("query-name", null));
            for (QmpEvent e : events.drain()) {
                seen.add(e.message());
            }
        }
        return seen;
    }

    @Test
    void reconnectsToANewQemuOnTheSameSocketAndKeepsClients() throws Exception {
        Endpoint upstream = Endpoint.parse("unix:" + dir.resolve("qemu.sock"));
        startProxy(new QmpProxy.Config(upstream, List.of(Endpoint.parse(proxyEndpoint())), ProxyPolicy.OPEN, true,
                true, Duration.ofMillis(200), null));
        try (RawClient r = RawClient.negotiated(proxySocket())) {
            r.send("{\"execute\": \"stop\", \"id\": 1}");
            assertEquals("STOP", json(r.next()).get("event"));
            assertEquals("{\"return\": {}, \"id\": 1}", r.next());
            qemu.destroyForcibly();
            assertTrue(qemu.waitFor(10, TimeUnit.SECONDS));
            awaitCondition(() -> !proxy.upstreamReady().isDone(), "the proxy to see QEMU gone");
            r.send("{\"execute\": \"query-status\", \"id\": 2}");
            assertEquals(Map.of("id", 2L, "error", Map.of("class", "GenericError", "desc", "this QMP proxy is not"
                    + " connected to its upstream server " + upstream + " (reconnecting)")), json(r.next()));
            startQemu();
            proxy.upstreamReady().get(30, TimeUnit.SECONDS);
            // the same client, now served by the new QEMU (running: the old one's stop is gone with it)
            r.send("{\"execute\": \"query-status\", \"id\": 3}");
            assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": 3}",
                    r.next());
            try (QmpClient c = QmpClient.connect(proxyEndpoint())) {
                assertEquals(Map.of(), c.call("query-name", null));
            }
        }
    }

    /** A condition the test can only observe by asking. */
    private interface Condition {
        boolean holds() throws Exception;
    }

    /** Checks {@code condition} every 10 ms until it holds, failing after 20 s. */
    private static void awaitCondition(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(10); // polling an observable state, with a deadline
        }
    }

    /**
     * QEMU stops reading a monitor whose queue holds 8 in-band requests, so the proxy keeps at
     * most 7 outstanding there: an {@code exec-oob} is still read and answered while QEMU's main
     * loop is blocked by someone else (here another monitor's blockdev-add on a FIFO) and
     * clients have more in-band requests waiting.
     */
    @Test
    void execOobIsAnsweredWhileAnotherMonitorBlocksQemuAndClientsQueueInBand() throws Exception {
        qemu.destroyForcibly();
        assertTrue(qemu.waitFor(10, TimeUnit.SECONDS));
        startQemu("other.sock");
        startProxy(ProxyPolicy.OPEN, null);
        Path fifo = mkfifo("block.fifo");
        try (RawClient other = RawClient.negotiated(dir.resolve("other.sock"));
             QmpClient a = QmpClient.connect(proxyEndpoint()); RawClient b = RawClient.negotiated(proxySocket())) {
            other.send("{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": \"blkdebug\", \"node-name\": \"o1\","
                    + " \"config\": \"" + fifo + "\", \"image\": {\"driver\": \"null-co\"}}, \"id\": \"blk\"}");
            Path wchan = Path.of("/proc", Long.toString(qemu.pid()), "wchan");
            awaitCondition(() -> Files.readString(wchan).strip().equals("wait_for_partner"),
                    "QEMU's main loop to block opening the FIFO");
            List<CompletableFuture<Object>> queued = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                queued.add(a.execute("query-name", null));
            }
            for (int i = 1; i <= 3; i++) {
                b.send("{\"exec-oob\": \"query-yank\", \"id\": \"o" + i + "\"}");
                String answer = b.next();
                assertTrue(answer.startsWith("{\"return\": [{\"type\": \"chardev\"") && answer.endsWith("\"id\": \"o" + i + "\"}"),
                        answer);
            }
            assertTrue(queued.stream().noneMatch(CompletableFuture::isDone));
            unblock(fifo);
            assertEquals("{\"return\": {}, \"id\": \"blk\"}", other.next());
            for (CompletableFuture<Object> f : queued) {
                assertEquals(Map.of(), f.get(20, TimeUnit.SECONDS));
            }
        }
    }
}
