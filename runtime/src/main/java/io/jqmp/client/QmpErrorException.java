package io.jqmp.client;

/**
 * The server answered a command with an error: {@code {"error": {"class": ..., "desc": ...}}}.
 * Immutable; safe to pass between threads.
 */
public final class QmpErrorException extends QmpClientException {
    private static final long serialVersionUID = 1L;

    /** The command that failed. */
    private final String command;
    /** The QMP error class. */
    private final String errorClass;
    /** The server's description. */
    private final String desc;

    /**
     * An error answer.
     *
     * @param command    the command that failed
     * @param errorClass the QMP error class, e.g. {@code GenericError} or {@code CommandNotFound}
     * @param desc       the server's human-readable description
     */
    public QmpErrorException(String command, String errorClass, String desc) {
        super(command + ": " + errorClass + ": " + desc, null);
        this.command = command;
        this.errorClass = errorClass;
        this.desc = desc;
    }

    /**
     * The command that failed.
     *
     * @return its name, as sent
     */
    public String command() {
        return command;
    }

    /**
     * The error's class.
     *
     * @return the QMP error class, e.g. {@code GenericError}
     */
    public String errorClass() {
        return errorClass;
    }

    /**
     * The server's description of the error; meant for people, not for parsing.
     *
     * @return the {@code desc} member
     */
    public String desc() {
        return desc;
    }
}
