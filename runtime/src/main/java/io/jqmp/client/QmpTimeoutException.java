package io.jqmp.client;

/**
 * No answer to a command came within its timeout. The connection stays open and usable: this is
 * not a connection failure. A late answer is dropped; an in-band command still occupies its slot
 * at the server until that late answer arrives. Immutable.
 */
public final class QmpTimeoutException extends QmpClientException {
    private static final long serialVersionUID = 1L;

    /**
     * A command that got no answer in time.
     *
     * @param message which command did not answer, and after how long
     */
    public QmpTimeoutException(String message) {
        super(message, null);
    }
}
