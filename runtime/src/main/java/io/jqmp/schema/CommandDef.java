package io.jqmp.schema;

import java.util.List;

/**
 * A command of a {@link Schema}, after {@code 'if'} evaluation. Immutable.
 *
 * @param name            the command name
 * @param argType         name of the argument type (implicit {@code q_obj_NAME-arg} for inline
 *                        members), or null when the command takes no arguments
 * @param retType         name of the return type, or null when it returns an empty object
 * @param boxed           {@code 'boxed': true}
 * @param gen             false for {@code 'gen': false}: arguments are not validated
 * @param successResponse false for {@code 'success-response': false}: no reply on success
 * @param allowOob        {@code 'allow-oob': true}: may be sent with {@code exec-oob}
 * @param allowPreconfig  {@code 'allow-preconfig': true}
 * @param coroutine       {@code 'coroutine': true}
 * @param features        feature names, in declaration order
 * @param location        where the command is declared
 */
public record CommandDef(String name, String argType, String retType, boolean boxed, boolean gen,
        boolean successResponse, boolean allowOob, boolean allowPreconfig, boolean coroutine,
        List<String> features, SourceLocation location) {

    /** Copies the feature list. */
    public CommandDef {
        features = List.copyOf(features);
    }

    /**
     * Starts a Java declaration of a command; pass the result of {@code build()} to
     * {@link Schema.Builder#command(Declaration)}. It is validated exactly like a schema file.
     *
     * @param name the command's name
     * @return a builder
     */
    public static Declaration.CommandBuilder builder(String name) {
        return new Declaration.CommandBuilder(name);
    }
}
