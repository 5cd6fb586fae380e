package io.jqmp.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A schema entity declared from Java instead of a file. A declaration is just the QAPI
 * expression a schema file would contain, so {@link Schema.Builder#build()} checks it with exactly
 * the same rules. In type references, {@code "[T]"} means an array of {@code T}.
 *
 * <p>Declarations are immutable; their builders are not thread-safe.
 */
public final class Declaration {
    private final Map<String, Object> expression;

    private Declaration(Map<String, Object> expression) {
        this.expression = expression;
    }

    /**
     * A declaration from a raw QAPI expression, e.g. {@code {"struct": "S", "data": {...}}}, or a
     * {@code {"pragma": {...}}}, which applies to every declaration made in Java.
     *
     * @param qapiExpression the expression as a schema file has it
     * @return the declaration
     */
    public static Declaration of(Map<String, Object> qapiExpression) {
        return new Declaration(new LinkedHashMap<>(qapiExpression));
    }

    /**
     * Starts a command declaration. Same as {@link CommandDef#builder(String)}.
     *
     * @param name the command's name
     * @return a builder
     */
    public static CommandBuilder command(String name) {
        return new CommandBuilder(name);
    }

    /**
     * Starts a struct declaration.
     *
     * @param name the struct's name
     * @return a builder
     */
    public static StructBuilder struct(String name) {
        return new StructBuilder(name);
    }

    /**
     * Starts an event declaration.
     *
     * @param name the event's name
     * @return a builder
     */
    public static EventBuilder event(String name) {
        return new EventBuilder(name);
    }

    /**
     * An enumeration with the given values.
     *
     * @param name the enum's name
     * @param values its values, as on the wire
     * @return the declaration
     */
    public static Declaration enumeration(String name, String... values) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("enum", name);
        e.put("data", new ArrayList<>(List.of(values)));
        return new Declaration(e);
    }

    /**
     * The QAPI expression (a copy).
     *
     * @return the expression, to read or change freely
     */
    public Map<String, Object> expression() {
        return new LinkedHashMap<>(expression);
    }

    /** The meta-type keyword of the expression ({@code command}, {@code struct}, ...), or null. */
    String kind() {
        for (String k : SchemaCompiler.META_TYPES) {
            if (expression.containsKey(k)) {
                return k;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return expression.toString();
    }

    /** Converts the Java shorthand {@code "[T]"} into QAPI's {@code ['T']}. */
    static Object typeRef(String type) {
        if (type.length() > 2 && type.startsWith("[") && type.endsWith("]")) {
            return new ArrayList<>(List.of(type.substring(1, type.length() - 1)));
        }
        return type;
    }

    /** Shared parts of the builders: members, features and the condition. */
    abstract static class Base<B extends Base<B>> {
        final Map<String, Object> expr = new LinkedHashMap<>();
        private Map<String, Object> members;
        private List<Object> features;

        Base(String meta, String name) {
            expr.put(meta, name);
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /**
         * Adds a mandatory member of type {@code type}.
         *
         * @param name the member's name
         * @param type its type ({@code "[T]"} for an array of {@code T})
         * @return this builder
         */
        public B member(String name, String type) {
            members().put(name, typeRef(type));
            return self();
        }

        /**
         * Adds an optional member of type {@code type}.
         *
         * @param name the member's name
         * @param type its type ({@code "[T]"} for an array of {@code T})
         * @return this builder
         */
        public B optionalMember(String name, String type) {
            members().put("*" + name, typeRef(type));
            return self();
        }

        /**
         * Adds a feature, e.g. {@code deprecated}.
         *
         * @param name the feature's name
         * @return this builder
         */
        public B feature(String name) {
            if (features == null) {
                features = new ArrayList<>();
                expr.put("features", features);
            }
            features.add(name);
            return self();
        }

        /**
         * Sets the {@code 'if'} condition (a string or an all/any/not map).
         *
         * @param cond a define's name, or a map with {@code all}, {@code any} or {@code not}
         * @return this builder
         */
        public B ifCondition(Object cond) {
            expr.put("if", cond);
            return self();
        }

        private Map<String, Object> members() {
            if (members == null) {
                members = new LinkedHashMap<>();
                expr.put("data", members);
            }
            return members;
        }

        /**
         * Uses the named type as {@code data} instead of inline members.
         *
         * @param typeName a struct's name
         * @return this builder
         */
        public B data(String typeName) {
            members = null;
            expr.put("data", typeName);
            return self();
        }

        /**
         * The finished declaration.
         *
         * @return the declaration
         */
        public Declaration build() {
            return new Declaration(new LinkedHashMap<>(expr));
        }
    }

    /** Builder for a command; see {@link CommandDef#builder(String)}. */
    public static final class CommandBuilder extends Base<CommandBuilder> {
        CommandBuilder(String name) {
            super("command", name);
        }

        /**
         * The return type ({@code "[T]"} for an array).
         *
         * @param type the type's name
         * @return this builder
         */
        public CommandBuilder returns(String type) {
            expr.put("returns", typeRef(type));
            return this;
        }

        /**
         * {@code 'boxed': true}.
         *
         * @return this builder
         */
        public CommandBuilder boxed() {
            expr.put("boxed", true);
            return this;
        }

        /**
         * {@code 'gen': false}: arguments are passed through unvalidated.
         *
         * @return this builder
         */
        public CommandBuilder noGen() {
            expr.put("gen", false);
            return this;
        }

        /**
         * {@code 'success-response': false}.
         *
         * @return this builder
         */
        public CommandBuilder noSuccessResponse() {
            expr.put("success-response", false);
            return this;
        }

        /**
         * {@code 'allow-oob': true}.
         *
         * @return this builder
         */
        public CommandBuilder allowOob() {
            expr.put("allow-oob", true);
            return this;
        }

        /**
         * {@code 'allow-preconfig': true}.
         *
         * @return this builder
         */
        public CommandBuilder allowPreconfig() {
            expr.put("allow-preconfig", true);
            return this;
        }

        /**
         * {@code 'coroutine': true}.
         *
         * @return this builder
         */
        public CommandBuilder coroutine() {
            expr.put("coroutine", true);
            return this;
        }
    }

    /** Builder for a struct. */
    public static final class StructBuilder extends Base<StructBuilder> {
        StructBuilder(String name) {
            super("struct", name);
            expr.put("data", new LinkedHashMap<String, Object>());
        }

        /**
         * The base struct.
         *
         * @param base the base struct's name
         * @return this builder
         */
        public StructBuilder base(String base) {
            expr.put("base", base);
            return this;
        }
    }

    /** Builder for an event. */
    public static final class EventBuilder extends Base<EventBuilder> {
        EventBuilder(String name) {
            super("event", name);
        }

        /**
         * {@code 'boxed': true}.
         *
         * @return this builder
         */
        public EventBuilder boxed() {
            expr.put("boxed", true);
            return this;
        }
    }
}
