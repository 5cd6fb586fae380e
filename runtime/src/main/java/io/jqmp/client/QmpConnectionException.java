package io.jqmp.client;

/**
 * The connection to the QMP server could not be made, failed, was lost or was closed, or the
 * server broke the protocol; commands outstanding at that moment fail with this exception, and
 * the client cannot be used any more. Immutable.
 */
public final class QmpConnectionException extends QmpClientException {
    private static final long serialVersionUID = 1L;

    /**
     * A connection failure.
     *
     * @param message what happened, and where possible what to check
     */
    public QmpConnectionException(String message) {
        super(message, null);
    }

    /**
     * A connection failure with its underlying cause.
     *
     * @param message what happened
     * @param cause   the underlying failure
     */
    public QmpConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
