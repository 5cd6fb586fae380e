package io.jqmp.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding example works, and docs/embedding.md shows exactly its code. */
class ThermostatTest {
    @TempDir
    Path dir;

    @Test
    void embeddedControlPlaneAnswers() throws Exception {
        Path sock = dir.resolve("thermostat.sock");
        try (Thermostat t = new Thermostat("unix:" + sock);
                SocketChannel ch = SocketChannel.open(t.server().endpoints().get(0).address())) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            OutputStream out = Channels.newOutputStream(ch);
            assertTrue(in.readLine().startsWith("{\"QMP\""));
            out.write("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}".getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"return\": {}}", in.readLine());
            out.write("{\"execute\": \"set-target\", \"arguments\": {\"celsius\": 22.5}, \"id\": 1}".getBytes(StandardCharsets.UTF_8));
            assertTrue(in.readLine().contains("\"event\": \"TARGET_CHANGED\", \"data\": {\"celsius\": 22.5}}"));
            assertEquals("{\"return\": {}, \"id\": 1}", in.readLine());
            t.server().bql().lock(); // the main loop is now stuck; OOB still answers
            try {
                out.write("{\"exec-oob\": \"emergency-stop\", \"id\": 2}".getBytes(StandardCharsets.UTF_8));
                assertEquals("{\"return\": {}, \"id\": 2}", in.readLine());
            } finally {
                t.server().bql().unlock();
            }
            out.write("{\"execute\": \"set-target\", \"arguments\": {\"celsius\": 30}, \"id\": 3}".getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"id\": 3, \"error\": {\"class\": \"GenericError\", \"desc\": \"the thermostat is stopped\"}}", in.readLine());
            out.write("{\"execute\": \"query-temperature\", \"id\": 4}".getBytes(StandardCharsets.UTF_8));
            assertEquals("{\"return\": {\"celsius\": 22.5}, \"id\": 4}", in.readLine());
        }
    }

    @Test
    void theGuideShowsThisExactCode() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        String guide = Files.readString(root.resolve("docs/embedding.md"));
        String source = Files.readString(Path.of("src/test/java/io/jqmp/examples/Thermostat.java"));
        assertTrue(guide.contains(source.substring(source.indexOf("public final class"))),
                "docs/embedding.md must contain Thermostat.java from 'public final class' on");
        String schema = Files.readString(Path.of("src/test/resources/io/jqmp/examples/thermostat.json"));
        assertTrue(guide.contains(schema), "docs/embedding.md must contain thermostat.json");
    }
}
