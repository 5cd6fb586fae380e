package io.jqmp.client;

/**
 * The server's answer arrived but does not fit the Java type the caller asked for (see
 * {@link QmpClient#call(String, Object, Class)}); the connection is fine. The message names the
 * command, the type and the member that does not fit. Immutable.
 */
public final class QmpResultException extends QmpClientException {
    private static final long serialVersionUID = 1L;

    /**
     * An answer that does not fit.
     *
     * @param message the command, the type and what does not fit
     * @param cause   the mapping failure, or {@code null}
     */
    public QmpResultException(String message, Throwable cause) {
        super(message, cause);
    }
}
