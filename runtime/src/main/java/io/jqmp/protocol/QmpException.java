package io.jqmp.protocol;

/**
 * A QMP error: what a command handler or a validation step throws to answer a request with
 * {@code {"error": {"class": ..., "desc": ...}}}. Unchecked, so handlers stay short.
 */
public class QmpException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorClass errorClass;

    public QmpException(ErrorClass errorClass, String desc) {
        super(desc, null, false, false);
        this.errorClass = errorClass;
    }

    /** A {@link ErrorClass#GenericError}, the class of nearly every QMP error. */
    public QmpException(String desc) {
        this(ErrorClass.GenericError, desc);
    }

    public ErrorClass errorClass() {
        return errorClass;
    }

    /** The human-readable text, sent as {@code desc}. */
    public String desc() {
        return getMessage();
    }
}
