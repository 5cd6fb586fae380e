package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a command printed, for tests: an output stream that keeps the bytes and wakes whoever
 * waits for a text to appear. Thread-safe: the command writes from its threads, the test waits.
 */
final class Screen extends OutputStream {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition written = lock.newCondition();

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        lock.lock();
        try {
            bytes.write(b, off, len);
            written.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** An autoflushing print stream onto this screen. */
    PrintStream printStream() {
        return new PrintStream(this, true, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return bytes.toString(StandardCharsets.UTF_8);
        } finally {
            lock.unlock();
        }
    }

    void reset() {
        lock.lock();
        try {
            bytes.reset();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@code text} was printed; fails after {@link #TIMEOUT} saying what was printed. */
    void await(String text) throws InterruptedException {
        lock.lock();
        try {
            long left = TIMEOUT.toNanos();
            while (!bytes.toString(StandardCharsets.UTF_8).contains(text) && left > 0) {
                left = written.awaitNanos(left);
            }
            assertTrue(bytes.toString(StandardCharsets.UTF_8).contains(text),
                    "'" + text + "' not printed within " + TIMEOUT + "; printed: " + bytes.toString(StandardCharsets.UTF_8));
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@code text} was printed {@code count} times. */
    void await(String text, int count) throws InterruptedException {
        lock.lock();
        try {
            long left = TIMEOUT.toNanos();
            while (occurrences(text) < count && left > 0) {
                left = written.awaitNanos(left);
            }
            assertTrue(occurrences(text) >= count, "'" + text + "' not printed " + count + " times within " + TIMEOUT
                    + "; printed: " + bytes.toString(StandardCharsets.UTF_8));
        } finally {
            lock.unlock();
        }
    }

    private int occurrences(String text) {
        String s = bytes.toString(StandardCharsets.UTF_8);
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + text.length())) {
            n++;
        }
        return n;
    }
}
