package io.jqmp.server;

/**
 * Receives every error a server's threads catch instead of dying of it: a handler that threw, a
 * duty cycle of the {@code monitor} or {@code main-loop} that failed, a reader or writer of a
 * connection that hit a bug, and the errors an embedder reports from its own threads
 * ({@link QmpServer#reportError}, {@link QmpServer#guard}). Each is counted
 * ({@link QmpServer#errorCount()}) before the handler sees it.
 *
 * <p>A {@link RuntimeException} is survived: the request gets a {@code GenericError} answer, or
 * the one connection whose thread failed is closed. An {@link Error} (out of memory, a stack
 * overflow, a failed assertion, a class that cannot load) or anything escaping a thread the
 * product depends on means that thread cannot go on: the server stops, and
 * {@link #onFatal} says why.
 *
 * <p>Threading: both methods are called on the thread where the error happened, which may be
 * {@code monitor} or {@code main-loop}: they must return quickly, must not block and must not
 * throw (what they throw is ignored).
 */
public interface ErrorHandler {

    /**
     * An error the server survived (it is counted).
     *
     * @param error what was caught
     */
    void onError(Throwable error);

    /**
     * Thread {@code thread} cannot continue because of {@code error}; the server is stopping
     * ({@link QmpServer#close()} runs on a thread of its own). Called once, for the first such
     * error. The default does nothing more (the server has logged it).
     *
     * @param thread the name of the thread that cannot continue
     * @param error  what ended it
     */
    default void onFatal(String thread, Throwable error) {
    }

    /**
     * The default: logs each error with its stack trace (logger {@code io.jqmp.server.QmpServer}).
     *
     * @return the handler
     */
    static ErrorHandler logging() {
        System.Logger log = System.getLogger(QmpServer.class.getName());
        return error -> log.log(System.Logger.Level.ERROR, "QMP server error: " + error, error);
    }
}
