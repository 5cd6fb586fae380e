package io.jqmp.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpErrorException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding example works, on the wire and through the client, and docs/embedding.md shows exactly its code. */
class ThermostatTest {
    @TempDir
    Path dir;

    @Test
    void everyKindOfCommandOnTheWire() throws Exception {
        Path sock = dir.resolve("thermostat.sock");
        try (Thermostat t = new Thermostat("unix:" + sock);
                SocketChannel ch = SocketChannel.open(t.server().endpoints().get(0).address())) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            OutputStream out = Channels.newOutputStream(ch);
            assertTrue(in.readLine().startsWith("{\"QMP\""));
            out.write("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}".getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"return\": {}}", in.readLine());
            // A record-mapped command that emits an event (a record too) before its answer.
            out.write("{\"execute\": \"set-target\", \"arguments\": {\"celsius\": 22.5}, \"id\": 1}".getBytes(StandardCharsets.UTF_8));
            assertTrue(in.readLine().contains("\"event\": \"TARGET_CHANGED\", \"data\": {\"celsius\": 22.5}}"));
            assertEquals("{\"return\": {}, \"id\": 1}", in.readLine());
            // A value the record cannot hold gets QEMU's parameter error.
            out.write("{\"execute\": \"set-target\", \"arguments\": {\"celsius\": 20, \"reason\": 7}, \"id\": 2}".getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"id\": 2, \"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter type for 'reason',"
                    + " expected: string\"}}", in.readLine());
            // The program's own thread takes the BQL; the command declared in Java sees the result.
            t.measured(18.0);
            out.write("{\"execute\": \"query-heater\", \"id\": 3}".getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"return\": {\"on\": true, \"switch-count\": 1}, \"id\": 3}", in.readLine());
            t.server().bql().lock(); // the main loop is now stuck; OOB still answers
            try {
                out.write("{\"exec-oob\": \"emergency-stop\", \"id\": 4}".getBytes(StandardCharsets.UTF_8));
                assertEquals("{\"return\": {}, \"id\": 4}", in.readLine());
            } finally {
                t.server().bql().unlock();
            }
            out.write("{\"execute\": \"set-target\", \"arguments\": {\"celsius\": 30}, \"id\": 5}".getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"id\": 5, \"error\": {\"class\": \"GenericError\", \"desc\": \"the thermostat is stopped\"}}", in.readLine());
            out.write("{\"execute\": \"query-temperature\", \"id\": 6}".getBytes(StandardCharsets.UTF_8));
            // 18.0 goes out as 18, as QEMU prints it.
            assertEquals("{\"return\": {\"celsius\": 18}, \"id\": 6}", in.readLine());
        }
        assertFalse(Files.exists(sock), "close() removes the socket file");
    }

    @Test
    void theClientSideOfTheGuide() throws Exception {
        try (Thermostat t = new Thermostat("unix:" + dir.resolve("t.sock"))) {
            assertEquals("{celsius=21} Temperature[celsius=19.5] Heater[on=false, switchCount=0]",
                    ThermostatClient.run(t.server().endpoints().get(0).toString()));
            try (QmpClient qmp = QmpClient.connect(t.server().endpoints().get(0).toString())) {
                QmpErrorException e = assertThrows(QmpErrorException.class,
                        () -> qmp.call("set-target", Map.of("celsius", 25), Map.class));
                assertEquals("the thermostat is stopped", e.desc(), "the client's emergency-stop went through");
            }
        }
    }

    /** main() in a JVM of its own: it serves until SIGTERM, then its shutdown hook closes the server. */
    @Test
    void mainServesUntilTerminatedAndCleansUp() throws Exception {
        Path sock = dir.resolve("main.sock");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Thermostat.class.getName(), "unix:" + sock).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("thermostat listening on unix:" + sock, out.readLine());
            try (QmpClient qmp = QmpClient.connect("unix:" + sock)) {
                assertEquals(Map.of("celsius", 19.5), qmp.call("query-temperature", null));
            }
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the thermostat did not stop");
            assertEquals(143, p.exitValue(), "the exit status of SIGTERM");
            assertFalse(Files.exists(sock), "the shutdown hook closed the server, which removed its socket");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theGuideShowsThisExactCode() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        String guide = Files.readString(root.resolve("docs/embedding.md"));
        String source = Files.readString(Path.of("src/test/java/io/jqmp/examples/Thermostat.java"));
        assertTrue(guide.contains(source.substring(source.indexOf("import "))),
                "docs/embedding.md must contain Thermostat.java from its imports on");
        String schema = Files.readString(Path.of("src/test/resources/io/jqmp/examples/thermostat.json"));
        assertTrue(guide.contains(schema), "docs/embedding.md must contain thermostat.json");
        String client = Files.readString(Path.of("src/test/java/io/jqmp/examples/ThermostatClient.java"));
        assertTrue(guide.contains(client.substring(client.indexOf("import "))),
                "docs/embedding.md must contain ThermostatClient.java from its imports on");
    }
}
