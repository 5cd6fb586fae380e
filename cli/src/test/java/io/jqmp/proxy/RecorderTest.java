package io.jqmp.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Lines the recorder drops (its bounded queue full, or the recording closing) are counted in the file. */
@Timeout(60)
class RecorderTest {
    private static final Pattern DROPPED_LINE = Pattern.compile("\\{\"time\": \"[0-9T:.Z-]+\", \"dropped\": (\\d+)\\}");

    @TempDir
    Path dir;

    /** The recorder under test, with a queue of 4 lines. */
    private Recorder rec;
    /** The reading end of the FIFO it writes to, which nobody reads until the test does. */
    private InputStream in;

    private void recordToFifo() throws Exception {
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
        rec = Recorder.open(fifo, 4);
        in = reader.get(10, TimeUnit.SECONDS);
    }

    /** Reads the FIFO to its end (the recorder closing it) on another thread. */
    private CompletableFuture<String> readToEnd() {
        InputStream stream = in;
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void anOverflowingQueueDropsLinesAndSaysHowMany() throws Exception {
        // The recording goes to a FIFO that nobody reads yet: the writer thread blocks once the pipe
        // is full (64 KiB), so the queue of 4 lines fills and what follows is dropped.
        recordToFifo();
        int offered = 20_000; // about 2 MB of lines: far more than the pipe and the queue hold
        String padding = "x".repeat(40);
        for (int i = 0; i < offered; i++) {
            rec.event(Map.of("event", "BENCH", "data", Map.of("n", i, "pad", padding)));
        }
        assertTrue(rec.dropped() > 0, "the queue overflowed");
        CompletableFuture<String> text = readToEnd();
        rec.close();
        List<String> lines = text.get(30, TimeUnit.SECONDS).lines().toList();
        long reported = 0;
        int recorded = 0;
        for (String line : lines) {
            Matcher m = DROPPED_LINE.matcher(line);
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

    /**
     * Threads recording while the recording closes: every line is written or counted as dropped,
     * none lost between an offer's look at the recording (still open) and its line's place in the
     * queue, behind a writer that has ended. Many short recordings, so that some close lands there.
     */
    @Test
    void linesOfferedAsTheRecordingClosesAreWrittenOrCounted() throws Exception {
        int threads = 4;
        for (int round = 0; round < 50; round++) {
            Path file = dir.resolve("rec-" + round + ".jsonl");
            Recorder r = Recorder.open(file, 1 << 16);
            CountDownLatch started = new CountDownLatch(threads);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong offered = new AtomicLong();
            List<Thread> offering = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                offering.add(Thread.ofPlatform().start(() -> {
                    started.countDown();
                    for (int i = 0; i < 100_000 && !stop.get(); i++) {
                        r.event(Map.of("event", "E", "data", Map.of("n", i)));
                        offered.incrementAndGet();
                    }
                }));
            }
            started.await();
            r.close();
            stop.set(true);
            for (Thread t : offering) {
                t.join();
            }
            long written = Files.readAllLines(file).stream().filter(l -> l.contains("\"event\": \"E\"")).count();
            assertEquals(offered.get(), written + r.dropped(), "round " + round + ": written " + written
                    + ", dropped " + r.dropped());
        }
    }

    @Test
    void linesOfferedWhileClosingAreCountedInALastLine() throws Exception {
        recordToFifo();
        // A line far larger than the pipe (64 KiB): once its first byte arrives, the writer has taken
        // it from the queue and stays blocked writing it until the rest is read.
        rec.event(Map.of("event", "BIG", "data", Map.of("pad", "x".repeat(2 << 20))));
        assertEquals('{', in.read());
        // close() on an interrupted thread stops taking lines and returns without waiting
        Thread.currentThread().interrupt();
        rec.close();
        assertTrue(Thread.interrupted(), "close() keeps the interrupt");
        int offered = 10;
        for (int i = 0; i < offered; i++) {
            rec.event(Map.of("event", "LATE", "data", Map.of("n", i)));
        }
        assertEquals(offered, rec.dropped(), "the queue is empty: each line is dropped because the recording closes");
        CompletableFuture<String> text = readToEnd();
        rec.close(); // waits for the writer, which ends once the big line is read, and closes the file
        List<String> lines = ("{" + text.get(30, TimeUnit.SECONDS)).lines().toList();
        assertEquals(2, lines.size(), "the big line and a dropped line, got " + lines.size() + " lines");
        assertTrue(lines.get(0).startsWith("{\"time\": \"") && lines.get(0).contains("\"event\": \"BIG\""));
        Matcher m = DROPPED_LINE.matcher(lines.get(1));
        assertTrue(m.matches(), lines.get(1));
        assertEquals(offered, Long.parseLong(m.group(1)));
    }
}
