package io.jqmp.protocol;

/**
 * A QMP error: what a command handler or a validation step throws to answer a request with
 * {@code {"error": {"class": ..., "desc": ...}}}. Unchecked, so handlers stay short.
 */
public class QmpException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The error's class, sent as {@code class}. */
    private final ErrorClass errorClass;

    /**
     * An error of a given class.
     *
     * @param errorClass the class, sent as {@code class}
     * @param desc       the human-readable text, sent as {@code desc}
     */
    public QmpException(ErrorClass errorClass, String desc) {
        super(desc, null, false, false);
        this.errorClass = errorClass;
    }

    /**
     * A {@link ErrorClass#GenericError}, the class of nearly every QMP error.
     *
     * @param desc the human-readable text, sent as {@code desc}
     */
    public QmpException(String desc) {
        this(ErrorClass.GenericError, desc);
    }

    /**
     * The error's class.
     *
     * @return the class, sent as {@code class}
     */
    public ErrorClass errorClass() {
        return errorClass;
    }

    /**
     * The error's text.
     *
     * @return the human-readable text, sent as {@code desc}
     */
    public String desc() {
        return getMessage();
    }
}
