package io.jqmp.client;

/**
 * Everything a {@link QmpClient} reports about a command or its connection. The subclasses say
 * which kind it is, and what state the connection is in:
 *
 * <ul>
 * <li>{@link QmpErrorException}: the server answered with an error; the connection is fine;</li>
 * <li>{@link QmpTimeoutException}: no answer in time; the connection stays open;</li>
 * <li>{@link QmpResultException}: the answer does not fit the Java type asked for; the connection
 *     is fine;</li>
 * <li>{@link QmpConnectionException}: the connection failed, was lost or closed; it is over.</li>
 * </ul>
 *
 * <p>Immutable; safe to pass between threads.
 */
public abstract sealed class QmpClientException extends Exception
        permits QmpErrorException, QmpTimeoutException, QmpResultException, QmpConnectionException {
    private static final long serialVersionUID = 1L;

    QmpClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
