package io.jqmp.server;

import io.jqmp.internal.dispatch.RoleErrors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counted error handler: every error its threads (and the embedder's guarded
 * threads) catch is counted and passed to the {@link ErrorHandler}; the first fatal one is
 * logged with the thread it ended and stops the server.
 *
 * <p>Threading: any thread; nothing here blocks or throws. The stop runs on a thread of its own
 * ({@code qmp-stop}), or, when no thread can be started (out of memory), on the caller's.
 */
final class ServerErrors implements RoleErrors {
    private static final System.Logger LOG = System.getLogger(QmpServer.class.getName());

    private final ErrorHandler handler;
    private final LongAdder count = new LongAdder();
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private volatile Runnable stop = () -> { };

    ServerErrors(ErrorHandler handler) {
        this.handler = handler;
    }

    /** What stops the server; set once the server exists. */
    void onFatalStop(Runnable stop) {
        this.stop = stop;
    }

    long count() {
        return count.sum();
    }

    /** The error that stopped the server, or null. */
    Throwable fatal() {
        return fatal.get();
    }

    /** An error the server survives, caught on {@code where}. */
    @Override
    public void error(String where, Throwable error) {
        count.increment();
        try {
            handler.onError(error);
        } catch (Throwable ignored) {
            // an error handler must not throw; if it does, the error is still counted
        }
    }

    /** Thread {@code thread} cannot continue: counts it, and the first time stops the server. */
    @Override
    public void fatal(String thread, Throwable error) {
        count.increment();
        if (!fatal.compareAndSet(null, error)) {
            return;
        }
        try {
            LOG.log(System.Logger.Level.ERROR, "QMP server: thread " + thread + " cannot continue after " + error
                    + "; stopping the server", error);
            handler.onFatal(thread, error);
        } catch (Throwable ignored) {
            // reporting failed (perhaps out of memory again): stopping matters more
        }
        try {
            Thread.ofPlatform().name("qmp-stop").daemon(true).start(stop);
        } catch (Throwable noThread) {
            stop.run();
        }
    }

    /**
     * Runs {@code body}: a {@link RuntimeException} is reported and survived, an {@link Error}
     * stops the server. For tasks of the server's own helper threads.
     */
    void run(String where, Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            error(where, e);
        } catch (Error e) {
            fatal(where, e);
        }
    }

    /**
     * {@code body} as the whole life of a thread the product depends on: whatever escapes it is
     * fatal, since the thread has ended.
     */
    Runnable guard(String thread, Runnable body) {
        return () -> {
            try {
                body.run();
            } catch (Throwable e) {
                fatal(thread, e);
            }
        };
    }
}
