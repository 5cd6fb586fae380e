package io.jqmp.server;

/**
 * The thread of one connection role, {@code qmp-reader-N} or {@code qmp-writer-N}: the one it
 * starts on, and the platform thread it may hand over to when its client turns out to be an
 * out-of-band client ({@link Connection#outOfBandUsed}).
 *
 * <p>Threading: {@link #start} once, {@link #handOverToPlatform} on the role's own thread; the
 * rest from any thread, never blocking (but {@link #join}).
 */
final class RoleThread {
    private static final System.Logger LOG = System.getLogger(RoleThread.class.getName());

    private final String name;
    private volatile Thread thread;

    RoleThread(String name) {
        this.name = name;
    }

    /**
     * Starts the role on a thread of {@code kind}. Called once. The thread is published before it
     * starts, so a wake-up or a close sent once it can act (it greets the client) reaches it.
     */
    void start(ConnectionThreads kind, Runnable body) {
        Thread t = kind.builder().name(name).unstarted(body);
        thread = t;
        t.start();
    }

    /** The role's thread of the moment, once started. */
    Thread get() {
        return thread;
    }

    /** Interrupts the role's thread (a blocked channel operation closes the socket). */
    void interrupt() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    /** Waits up to {@code millis} for the role's thread to end, following a hand-over made meanwhile. */
    void join(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        Thread t = thread;
        while (t != null) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return;
            }
            t.join(left);
            Thread now = thread;
            if (now == t) {
                return;
            }
            t = now;
        }
    }

    /**
     * The role's own thread: starts a platform thread that goes on with {@code body}, the caller
     * then to return and end. The new thread is published before it starts, so wake-ups and a close
     * from now on reach it. False, with nothing changed, when no thread can be had.
     */
    boolean handOverToPlatform(Runnable body) {
        Thread next = ConnectionThreads.PLATFORM.builder().name(name).unstarted(body);
        Thread previous = thread;
        thread = next;
        try {
            next.start();
            return true;
        } catch (OutOfMemoryError e) { // no native thread to be had: stay on the virtual thread
            thread = previous;
            LOG.log(System.Logger.Level.WARNING, name + " stays on its virtual thread: " + e.getMessage());
            return false;
        }
    }
}
