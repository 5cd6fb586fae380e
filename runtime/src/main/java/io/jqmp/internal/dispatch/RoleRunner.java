package io.jqmp.internal.dispatch;

import io.jqmp.server.IdleStrategy;
import io.jqmp.server.ThreadPlacement;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a {@link Role} on its own platform thread named after the role, idling with an
 * {@link IdleStrategy} between cycles that found no work.
 *
 * <p>A {@link RuntimeException} escaping a duty cycle is reported to {@link RoleErrors#error} and
 * the role goes on; an {@link Error} (or anything escaping {@code onStart}) ends the thread and is
 * reported to {@link RoleErrors#fatal}, whose job it is to take down what depends on the role.
 *
 * <p>{@link #wake()} may be called from any thread and never blocks. {@link #close(Duration)} is
 * idempotent and cannot hang: it interrupts the thread, waits at most the given time and reports
 * a thread that did not stop.
 */
public final class RoleRunner implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RoleRunner.class.getName());

    private final Role role;
    private final IdleStrategy idle;
    private final ThreadPlacement placement;
    private final RoleErrors errors;
    private final Thread thread;
    private volatile boolean running = true;
    /** Set while the thread may be about to park, so producers know an unpark is needed. */
    private volatile boolean sleeping;
    private volatile long errorCount;

    public RoleRunner(Role role, IdleStrategy idle, RoleErrors errors) {
        this(role, idle, ThreadPlacement.NONE, errors);
    }

    /**
     * A runner whose thread {@code placement} places (e.g. on a CPU of its own) when it starts,
     * and which reports what escapes the role to {@code errors}.
     */
    public RoleRunner(Role role, IdleStrategy idle, ThreadPlacement placement, RoleErrors errors) {
        this.role = role;
        this.idle = idle;
        this.placement = placement;
        this.errors = errors;
        this.thread = Thread.ofPlatform().name(role.roleName()).daemon(true).unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    public Thread thread() {
        return thread;
    }

    /** Errors that escaped a duty cycle (reported; the role kept running, or stopped after an Error). */
    public long errorCount() {
        return errorCount;
    }

    /**
     * Makes sure the role's thread runs a duty cycle soon. Any thread; never blocks. Producers call it
     * after handing work over.
     */
    public void wake() {
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        ThreadPlacement.Placed placed = place();
        try {
            role.onStart();
            while (running) {
                int work;
                try {
                    work = role.doWork();
                } catch (RuntimeException e) {
                    errorCount++;
                    errors.error(role.roleName(), e);
                    work = 1;
                }
                if (work > 0) {
                    idle.reset();
                    continue;
                }
                // Dekker-style hand-shake with wake(): publish "sleeping", then look again.
                sleeping = true;
                if (!role.hasWork() && running) {
                    idle.idle(0);
                }
                sleeping = false;
            }
        } catch (Throwable e) {
            // An Error, or a failure in onStart: the role cannot go on.
            errorCount++;
            running = false;
            errors.fatal(role.roleName(), e);
        } finally {
            try {
                role.onClose();
            } catch (RuntimeException e) {
                errors.error(role.roleName(), e);
            }
            try {
                placed.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, role.roleName() + ": undoing its placement failed", e);
            }
        }
    }

    /** The placement of this thread; a placement that throws is logged and the thread runs unplaced. */
    private ThreadPlacement.Placed place() {
        try {
            return placement.place(role.roleName());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, role.roleName() + ": could not place the thread; it runs where the system puts it", e);
            return () -> { };
        }
    }

    /** Stops the thread; waits at most {@code timeout}. Returns whether it stopped. Any thread but the role's own. */
    public boolean close(Duration timeout) {
        running = false;
        if (!thread.isAlive()) {
            return true;
        }
        LockSupport.unpark(thread);
        thread.interrupt();
        try {
            thread.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, role.roleName() + ": thread did not stop within " + timeout.toMillis() + " ms; abandoning it");
            return false;
        }
        return true;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }
}
