package io.jqmp.internal.dispatch;

/**
 * One thread's job, run in duty cycles by a {@link RoleRunner} (which names the thread after
 * {@link #roleName()}) or driven by a test that calls {@link #doWork()} itself.
 */
public interface Role {

    /** The thread's name, e.g. {@code monitor} or {@code main-loop}. */
    String roleName();

    /**
     * One duty cycle: does a bounded amount of work and returns how much (0 = nothing to do).
     * Called by one thread at a time.
     */
    int doWork();

    /** Whether work is waiting; called by the role's thread before it idles. Must not block. */
    boolean hasWork();

    /** Called on the role's thread before the first cycle. */
    default void onStart() {
    }

    /** Called on the role's thread after the last cycle. */
    default void onClose() {
    }
}
