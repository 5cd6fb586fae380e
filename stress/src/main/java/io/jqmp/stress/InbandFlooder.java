package io.jqmp.stress;

import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A well-behaved client that keeps {@code window} in-band {@code stress-echo} requests in flight,
 * with ids 0, 1, 2, ... and checks that the answers come back exactly once, in order, with the
 * right content.
 *
 * <p>Threading: {@link #start} starts a writer and a reader virtual thread; {@link #stopSending}
 * and {@link #finish} are called by the scenario's thread. Violations go to the sink given at
 * construction, from the reader thread.
 */
final class InbandFlooder {
    private final int index;
    private final QmpConnection conn;
    private final Semaphore window;
    private final String payload;
    private final Consumer<String> violations;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private volatile boolean sending = true;
    private volatile boolean eof;
    /** Set by {@link #finish} once the writer has ended, so that {@code sent} no longer changes. */
    private volatile boolean finishing;
    /** Counted down once finishing and every request sent is answered, or at end of stream. */
    private final CountDownLatch drained = new CountDownLatch(1);
    private long expected; // reader thread only
    private Thread writer;

    InbandFlooder(int index, Endpoint endpoint, int window, String payload, Consumer<String> violations)
            throws IOException {
        this.index = index;
        this.conn = QmpConnection.negotiated(endpoint, 64 * 1024);
        this.window = new Semaphore(window);
        this.payload = payload;
        this.violations = violations;
    }

    void start() {
        conn.startReader("flood-reader-" + index, this::onMessage);
        writer = Thread.ofVirtual().name("flood-writer-" + index).start(this::writeLoop);
    }

    private void writeLoop() {
        long seq = 0;
        try {
            while (sending && !eof) {
                if (!window.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                String args = payload == null ? "{\"seq\": " + seq + "}"
                        : "{\"seq\": " + seq + ", \"payload\": \"" + payload + "\"}";
                // Counted before sending so the reader never sees an answer to an uncounted request.
                sent.incrementAndGet();
                conn.send("{\"execute\": \"" + StressServer.ECHO + "\", \"arguments\": " + args + ", \"id\": " + seq + "}");
                seq++;
            }
        } catch (IOException e) {
            if (!conn.isClosed()) {
                violations.accept("client " + index + ": send failed: " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void onMessage(Object m) {
        if (m == QmpConnection.EOF) {
            eof = true;
            drained.countDown();
            if (!conn.isClosed()) {
                violations.accept("client " + index + ": the server closed the connection");
            }
            return;
        }
        if (!(m instanceof Map<?, ?> msg)) {
            violations.accept("client " + index + ": not a JSON object: " + QmpConnection.describe(m));
            return;
        }
        if (msg.containsKey("event")) {
            return;
        }
        Object id = msg.get("id");
        if (!(id instanceof Long n)) {
            violations.accept("client " + index + ": answer without a numeric id: " + QmpConnection.describe(m));
            return;
        }
        if (n != expected) {
            violations.accept("client " + index + ": expected the answer to id " + expected + ", got id " + n
                    + (n < expected ? " (answered twice or reordered)" : " (lost or reordered)"));
            expected = n + 1; // resynchronise so one fault is reported once
        } else {
            expected++;
        }
        if (!(msg.get("return") instanceof Map<?, ?> r) || !id.equals(r.get("seq"))
                || (payload != null && !payload.equals(r.get("payload")))) {
            violations.accept("client " + index + ": wrong answer to id " + n + ": " + QmpConnection.describe(m));
        }
        answered.incrementAndGet();
        window.release();
        // Read after the count: either finish() sees this answer, or this sees that it is finishing.
        if (finishing) {
            checkDrained();
        }
    }

    private void checkDrained() {
        if (answered.get() >= sent.get()) {
            drained.countDown();
        }
    }

    void stopSending() {
        sending = false;
    }

    /** Waits until every request sent got its answer or {@code deadlineNanos}; closes; returns how many were lost. */
    long finish(long deadlineNanos) throws InterruptedException {
        sending = false;
        if (writer != null) {
            writer.join(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000));
        }
        finishing = true;
        checkDrained();
        drained.await(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        long lost = sent.get() - answered.get();
        conn.close();
        return lost;
    }

    long sent() {
        return sent.get();
    }

    long answered() {
        return answered.get();
    }
}
