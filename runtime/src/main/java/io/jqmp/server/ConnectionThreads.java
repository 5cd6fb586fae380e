package io.jqmp.server;

import java.util.function.Supplier;

/**
 * Which threads serve the connections of one listener: each connection has a reader and a writer
 * thread of this kind.
 */
public enum ConnectionThreads {
    /**
     * Virtual threads (the default): any number of connections for little memory; they share the
     * JDK's carrier threads with every other connection of the server. A connection that sends an
     * out-of-band request moves to platform threads while places are free
     * ({@link QmpServer.Builder#oobPlatformConnections}).
     */
    VIRTUAL,
    /**
     * Platform threads, for a management socket with a few clients whose out-of-band answers must
     * not wait for a carrier thread behind other connections' work: the operating system schedules
     * them directly. Each connection costs two threads (and their stacks).
     */
    PLATFORM;

    /** A builder of the threads serving one connection. */
    Thread.Builder builder() {
        return this == PLATFORM ? Thread.ofPlatform().daemon(true) : Thread.ofVirtual();
    }

    /**
     * Waits up to {@code millis} for a role's thread to end, following it when it hands over to
     * another thread meanwhile ({@code current} gives the role's thread of the moment).
     */
    static void join(Supplier<Thread> current, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        Thread t = current.get();
        while (t != null) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return;
            }
            t.join(left);
            Thread now = current.get();
            if (now == t) {
                return;
            }
            t = now;
        }
    }
}
