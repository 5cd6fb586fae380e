package io.jqmp.proxy;

import io.jqmp.internal.wire.JsonWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes the proxy's traffic as JSON lines, one message per line:
 * <pre>{"time": "2026-01-01T10:00:00.123456Z", "client": 3, "direction": "in", "seq": 17, "message": {...}}</pre>
 * {@code client} is the client connection's number (null for the greeting and for events, which
 * go to every client), {@code direction} {@code in} (client to proxy) or {@code out} (proxy to
 * client), {@code seq} pairs a request with its answer (absent for the greeting and events).
 *
 * <p>Threading: {@link #greeting}, {@link #request}, {@link #answer} and {@link #event} are called
 * by any thread and never block: they offer the line to a bounded queue; when it is full the line
 * is dropped and counted, and a {@code {"dropped": N}} line says so when there is room again (for
 * lines offered while {@link #close} runs, as the file's last line). One thread,
 * {@code proxy-recorder}, writes whole lines, each batch with one write, so a reader of the file
 * sees complete lines (the last one may still be growing while the proxy runs).
 */
public final class Recorder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Recorder.class.getName());
    private static final int CAPACITY = 65_536;

    private final FileChannel file;
    private final BlockingQueue<String> lines;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closing;
    /**
     * Offers between their look at {@link #closing} and their line's place in the queue: the
     * writer ends only when none is, so a line that found the recording open is written.
     */
    private final AtomicInteger offering = new AtomicInteger();

    private Recorder(FileChannel file, int capacity) {
        this.file = file;
        this.lines = new ArrayBlockingQueue<>(capacity);
        this.writer = Thread.ofPlatform().name("proxy-recorder").daemon(true).start(this::run);
    }

    /**
     * Creates (or truncates) {@code path} and starts the writer thread.
     *
     * @param path the file to write
     * @return the recorder
     * @throws IOException the file cannot be opened for writing
     */
    public static Recorder open(Path path) throws IOException {
        return open(path, CAPACITY);
    }

    /** {@link #open(Path)} with a queue of {@code capacity} lines (tests make it overflow with a small one). */
    static Recorder open(Path path, int capacity) throws IOException {
        return new Recorder(FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), capacity);
    }

    /** Records the upstream's greeting. Any thread; never blocks. */
    void greeting(Map<String, Object> greeting) {
        offer(null, "out", -1, greeting);
    }

    /** Records a client's request. Any thread; never blocks. */
    void request(long client, long seq, Map<String, Object> message) {
        offer(client, "in", seq, message);
    }

    /** Records the answer to request {@code seq} as the client gets it. Any thread; never blocks. */
    void answer(long client, long seq, Map<String, Object> message) {
        offer(client, "out", seq, message);
    }

    /** Records an event sent to every client. Any thread; never blocks. */
    void event(Map<String, Object> message) {
        offer(null, "out", -1, message);
    }

    /** Lines dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    private void offer(Long client, String direction, long seq, Map<String, Object> message) {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"time\": \"").append(Instant.now()).append("\", \"client\": ").append(client)
                .append(", \"direction\": \"").append(direction).append('"');
        if (seq >= 0) {
            sb.append(", \"seq\": ").append(seq);
        }
        sb.append(", \"message\": ").append(JsonWriter.toJson(message)).append("}\n");
        offering.incrementAndGet();
        try {
            if (closing || !lines.offer(sb.toString())) {
                dropped.incrementAndGet();
            }
        } finally {
            offering.decrementAndGet();
        }
    }

    private void run() {
        List<String> batch = new ArrayList<>();
        long reported = 0;
        try {
            // Closing is looked at before the count of offers under way: an offer that had not
            // yet counted itself then sees closing and drops its line, counted.
            while (!closing || offering.get() > 0 || !lines.isEmpty()) {
                String first = lines.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                lines.drainTo(batch, 4096);
                reported = write(batch, reported);
            }
            // lines offered while closing are dropped after the last batch: say so before the file ends
            write(batch, reported);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "recording stopped: cannot write: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes {@code batch}, after a dropped line if lines were dropped since {@code reported} were
     * reported, and empties it. Writer thread only.
     *
     * @return the drops reported so far
     */
    private long write(List<String> batch, long reported) throws IOException {
        StringBuilder sb = new StringBuilder();
        long lost = dropped.get();
        if (lost > reported) {
            sb.append("{\"time\": \"").append(Instant.now()).append("\", \"dropped\": ").append(lost - reported)
                    .append("}\n");
        }
        batch.forEach(sb::append);
        batch.clear();
        ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            file.write(buf);
        }
        return lost;
    }

    /**
     * Stops taking lines (later ones are dropped and counted), lets the writer write what is queued and
     * a last dropped line if drops are still unreported, then closes the file. Waits up to 5 s for the
     * writer; if the calling thread is interrupted, returns at once and leaves the file open.
     */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(5000);
            file.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the recording failed: " + e.getMessage());
        }
    }
}
