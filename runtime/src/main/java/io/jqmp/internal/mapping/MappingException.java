package io.jqmp.internal.mapping;

/**
 * A value does not fit the Java type it is mapped onto. The message is the text QEMU's input
 * visitor gives for the same mismatch ({@code Invalid parameter type for 'n', expected: integer},
 * {@code Parameter 'n' expects int32}, {@code Parameter 'mode' does not accept value 'x'}), so a
 * server can answer with it as it stands. Immutable.
 */
public final class MappingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MappingException(String message) {
        super(message, null, false, false);
    }
}
