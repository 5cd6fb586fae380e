package io.jqmp.client;

/**
 * No answer came in time: to a command within its timeout, or to connecting (greeting and
 * negotiation) within the connect timeout. A timed-out command does not close the connection; a
 * late answer to it is dropped. Immutable.
 */
public final class QmpTimeoutException extends QmpConnectionException {
    private static final long serialVersionUID = 1L;

    /** @param message what did not answer, and after how long */
    public QmpTimeoutException(String message) {
        super(message);
    }
}
