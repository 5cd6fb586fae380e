package io.jqmp.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition that nothing signals, such as a server's or a client's counter: checks
 * it, then parks for a moment that grows from 1 to 10 ms, until it holds or the timeout passes.
 * It never spins (on two cores a spinning test takes the CPU the server needs), and a condition
 * that something does signal should be waited for on that signal instead. Any thread.
 */
public final class Await {
    /** How long {@link #until(String, BooleanSupplier)} waits. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    private Await() {
    }

    /** Returns once {@code condition} holds; fails after {@link #TIMEOUT} saying what did not happen. */
    public static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        long pause = 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + TIMEOUT + " waiting until " + what);
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 10_000_000L);
        }
    }
}
