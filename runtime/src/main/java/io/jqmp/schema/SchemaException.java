package io.jqmp.schema;

/**
 * An invalid QAPI schema. The message has the form {@code FILE:LINE: message}, naming the
 * expression (or, for syntax errors, the line) at fault, in the style of QEMU's QAPI generator.
 * Unchecked: schemas are normally fixed at build time, so callers rarely recover from it.
 */
public class SchemaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An error located at {@code where}; the message becomes {@code where + ": " + message}.
     *
     * @param where   the file and line at fault
     * @param message what is wrong
     */
    public SchemaException(SourceLocation where, String message) {
        super(where + ": " + message);
    }

    /**
     * An error with a message that already carries its location (or has none).
     *
     * @param message what is wrong, and where
     * @param cause   the underlying failure, or {@code null}
     */
    public SchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
