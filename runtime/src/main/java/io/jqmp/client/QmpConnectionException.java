package io.jqmp.client;

import java.io.IOException;

/**
 * The connection to the QMP server failed, was lost or was closed, or the server broke the
 * protocol; commands outstanding at that moment fail with this exception. Immutable.
 */
public class QmpConnectionException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened, and where possible what to check */
    public QmpConnectionException(String message) {
        super(message);
    }

    /**
     * @param message what happened
     * @param cause   the underlying failure
     */
    public QmpConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
