package io.jqmp.server;

/**
 * Places the server's two dedicated platform threads, {@code monitor} and {@code main-loop}, when
 * they start: for example binds each to a CPU of its own on a host with cores to dedicate. The
 * library has no placement of its own ({@link #NONE}, the default); {@code jqmp serve --pin-monitor
 * CPU} uses an implementation on OpenHFT's Java-Thread-Affinity, which stays out of the library's
 * dependencies.
 *
 * <p>Threading: {@link #place} is called on the thread being placed, once, before its first duty
 * cycle; what it returns is closed on the same thread after the last one.
 */
@FunctionalInterface
public interface ThreadPlacement {
    /** Leaves every thread where the operating system puts it. */
    ThreadPlacement NONE = role -> () -> { };

    /**
     * Places the calling thread, which runs {@code role} ({@code monitor} or {@code main-loop}).
     * Should not throw for a placement it cannot make, but log that and leave the thread as it is;
     * an exception is logged by the server and the thread runs unplaced.
     *
     * @param role the role the calling thread runs: {@code monitor} or {@code main-loop}
     * @return undoes the placement (called on the same thread when it ends)
     */
    Placed place(String role);

    /** A placement made, undone when its thread ends. */
    @FunctionalInterface
    interface Placed extends AutoCloseable {
        /** Undoes the placement, on the thread it was made on; does not throw. */
        @Override
        void close();
    }
}
