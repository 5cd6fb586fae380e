package io.jqmp.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The recorder's bounded queue: when it overflows, lines are dropped and a line says how many. */
@Timeout(60)
class RecorderTest {
    @TempDir
    Path dir;

    @Test
    void anOverflowingQueueDropsLinesAndSaysHowMany() throws Exception {
        // The recording goes to a FIFO that nobody reads yet: the writer thread blocks once the pipe
        // is full (64 KiB), so the queue of 4 lines fills and what follows is dropped.
        Path fifo = dir.resolve("rec.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mk.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, mk.exitValue());
        CompletableFuture<InputStream> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return new FileInputStream(fifo.toFile()); // opens once the recorder opens the other end
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Recorder rec = Recorder.open(fifo, 4);
        InputStream in = reader.get(10, TimeUnit.SECONDS);
        int offered = 20_000; // about 2 MB of lines: far more than the pipe and the queue hold
        String padding = "x".repeat(40);
        for (int i = 0; i < offered; i++) {
            rec.event(Map.of("event", "BENCH", "data", Map.of("n", i, "pad", padding)));
        }
        assertTrue(rec.dropped() > 0, "the queue overflowed");
        CompletableFuture<String> text = CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        rec.close();
        List<String> lines = text.get(30, TimeUnit.SECONDS).lines().toList();
        Pattern droppedLine = Pattern.compile("\\{\"time\": \"[0-9T:.Z-]+\", \"dropped\": (\\d+)\\}");
        long reported = 0;
        int recorded = 0;
        for (String line : lines) {
            Matcher m = droppedLine.matcher(line);
            if (m.matches()) {
                reported += Long.parseLong(m.group(1));
            } else {
                assertTrue(line.startsWith("{\"time\": \"") && line.contains("\"event\": \"BENCH\"")
                        && line.endsWith("}}"), line);
                recorded++;
            }
        }
        assertEquals(rec.dropped(), reported, "every dropped line is counted in the file");
        assertEquals(offered, recorded + reported, "each line is either recorded or counted as dropped");
    }
}
