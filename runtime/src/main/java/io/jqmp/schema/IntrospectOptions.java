package io.jqmp.schema;

/**
 * Options for {@link Schema#introspect(IntrospectOptions)}.
 *
 * @param unmask         keep real type names instead of masking them as numbers (QEMU's
 *                       generator option {@code --unmask})
 * @param allowOobAlways emit {@code allow-oob} as a boolean on every command, as QEMU 2.12 did;
 *                       otherwise it appears only when true
 */
public record IntrospectOptions(boolean unmask, boolean allowOobAlways) {
    /** The shipped (3.0+) output: masked names, {@code allow-oob} only when true. */
    public static final IntrospectOptions DEFAULT = new IntrospectOptions(false, false);
    /** The 2.12 dialect: masked names, {@code allow-oob} on every command. */
    public static final IntrospectOptions DIALECT_2_12 = new IntrospectOptions(false, true);
}
