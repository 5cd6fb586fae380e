package io.jqmp.schema;

import io.jqmp.protocol.QmpException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A resolved QAPI schema: commands, events and types after {@code 'if'} evaluation, with
 * precompiled argument validators and cached introspection output.
 *
 * <p><b>Threading:</b> a Schema is immutable once {@link Builder#build()} returns and may be
 * shared freely between threads; every method is safe to call concurrently. Introspection results
 * are computed once per {@link IntrospectOptions} and cached.
 *
 * <p>A server typically builds one at start-up, e.g.
 * {@code Schema.builder().builtin().load(path).define("CONFIG_X").build()}, then on each request
 * looks up {@link #command(String)}, calls {@link #validateArguments(CommandDef, Map)} and
 * dispatches; query-qmp-schema answers with {@link #introspect(IntrospectOptions)} and
 * query-commands with {@link #commandNamesForQueryCommands()}.
 */
public final class Schema {
    /** Classpath resource of the built-in schema (control commands and introspection types). */
    public static final String BUILTIN_RESOURCE = "io/jqmp/schema/builtin.json";

    private final Set<String> defines;
    private final List<QapiParser.Expr> expressions;
    private final Map<String, SchemaType> types;
    private final List<Object> entities;
    private final List<CommandDef> commands;
    private final List<EventDef> events;
    private final Map<String, CommandDef> commandsByName;
    private final Map<String, EventDef> eventsByName;
    private final Map<String, ArgumentValidator.Node> validators;
    private final Map<String, ArgumentValidator.Node> resultChecks;
    private final Map<String, ArgumentValidator.Node> eventChecks;
    private final List<String> queryCommandsOrder;
    private final Map<IntrospectOptions, List<Object>> introspection = new ConcurrentHashMap<>();

    private Schema(Set<String> defines, List<QapiParser.Expr> expressions, SchemaCompiler.Result r) {
        this.defines = Set.copyOf(defines);
        this.expressions = List.copyOf(r.kept());
        this.types = Collections.unmodifiableMap(new LinkedHashMap<>(r.types()));
        this.entities = List.copyOf(r.entities());
        List<CommandDef> cmds = new ArrayList<>();
        List<EventDef> evs = new ArrayList<>();
        Map<String, CommandDef> byName = new HashMap<>();
        Map<String, EventDef> evByName = new HashMap<>();
        for (Object e : entities) {
            if (e instanceof CommandDef c) {
                cmds.add(c);
                byName.put(c.name(), c);
            } else {
                EventDef ev = (EventDef) e;
                evs.add(ev);
                evByName.put(ev.name(), ev);
            }
        }
        this.commands = List.copyOf(cmds);
        this.events = List.copyOf(evs);
        this.commandsByName = Map.copyOf(byName);
        this.eventsByName = Map.copyOf(evByName);
        ArgumentValidator av = new ArgumentValidator(types);
        Map<String, ArgumentValidator.Node> plans = new HashMap<>();
        ArgumentValidator.Node none = av.node(SchemaCompiler.EMPTY);
        for (CommandDef c : commands) {
            if (c.gen()) {
                plans.put(c.name(), c.argType() == null ? none : av.node(c.argType()));
            }
        }
        this.validators = Map.copyOf(plans);
        Map<String, ArgumentValidator.Node> results = new HashMap<>();
        for (CommandDef c : commands) {
            if (c.retType() != null) {
                results.put(c.name(), av.node(c.retType()));
            }
        }
        this.resultChecks = Map.copyOf(results);
        Map<String, ArgumentValidator.Node> eventData = new HashMap<>();
        for (EventDef e : events) {
            eventData.put(e.name(), e.argType() == null ? none : av.node(e.argType()));
        }
        this.eventChecks = Map.copyOf(eventData);
        List<String> names = new ArrayList<>();
        for (int i = commands.size() - 1; i >= 0; i--) {
            names.add(commands.get(i).name());
        }
        this.queryCommandsOrder = List.copyOf(names);
    }

    /**
     * A new builder.
     *
     * @return a builder with no sources
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The built-in schema ({@link #BUILTIN_RESOURCE}) with {@code 'if'} evaluated against {@code defines}.
     *
     * @param defines names for {@code 'if'} conditions
     * @return the built-in schema
     */
    public static Schema builtin(Set<String> defines) {
        return builder().define(defines).builtin().build();
    }

    /**
     * Combines several schemas into one, in argument order. A name defined in more than one of
     * them is an error. Conditions are re-evaluated against the union of the parts' defines.
     *
     * @param parts the schemas
     * @return the combined schema
     * @throws SchemaException a name is defined twice
     */
    public static Schema merge(Schema... parts) {
        Builder b = builder();
        for (Schema s : parts) {
            b.define(s.defines);
            b.sources.add(s.expressions);
        }
        return b.build();
    }

    /**
     * The command named {@code name}.
     *
     * @param name the command's name
     * @return the command, or empty
     */
    public Optional<CommandDef> command(String name) {
        return Optional.ofNullable(commandsByName.get(name));
    }

    /**
     * The event named {@code name}.
     *
     * @param name the event's name
     * @return the event, or empty
     */
    public Optional<EventDef> event(String name) {
        return Optional.ofNullable(eventsByName.get(name));
    }

    /**
     * All commands in definition order (unmodifiable).
     *
     * @return the commands
     */
    public List<CommandDef> commands() {
        return commands;
    }

    /**
     * All events in definition order (unmodifiable).
     *
     * @return the events
     */
    public List<EventDef> events() {
        return events;
    }

    /**
     * The type named {@code name}: built-in, declared, implicit ({@code q_obj_...}, {@code q_empty}) or array ({@code ElemList}).
     *
     * @param name the type's name
     * @return the type, or empty
     */
    public Optional<SchemaType> type(String name) {
        return Optional.ofNullable(types.get(name));
    }

    /**
     * Every type by name (unmodifiable).
     *
     * @return the types by name
     */
    public Map<String, SchemaType> types() {
        return types;
    }

    /**
     * The names of the defines conditions were evaluated against.
     *
     * @return the defines
     */
    public Set<String> defines() {
        return defines;
    }

    /**
     * Checks {@code args} against the command's argument type the way QEMU's generated marshaller
     * does, throwing the first error QEMU would report as a {@link QmpException} (GenericError).
     * Members are visited in declaration order (base members first; for unions the discriminator
     * then selects the branch); a missing member is reported when visited; a key no member
     * consumed is reported after all members of its struct, and of several such keys the first in
     * {@code args} order is named. Commands with {@code 'gen': false} are not checked.
     *
     * <p>Validation only: nothing is converted or defaulted and {@code args} itself is returned
     * (an empty map when {@code args} is null). Thread-safe; allocation-free on success except for
     * path objects of nested structs and lists.
     *
     * @param cmd  a command of this schema
     * @param args the arguments in the value model, or null for none
     * @return {@code args}, or an empty map for null
     * @throws QmpException the first error QEMU would report
     * @throws IllegalArgumentException if {@code cmd} is not a command of this schema
     */
    public Map<String, Object> validateArguments(CommandDef cmd, Map<String, Object> args) {
        if (commandsByName.get(cmd.name()) != cmd && !cmd.equals(commandsByName.get(cmd.name()))) {
            throw new IllegalArgumentException("not a command of this schema: " + cmd.name());
        }
        Map<String, Object> a = args == null ? new LinkedHashMap<>() : args;
        ArgumentValidator.Node plan = validators.get(cmd.name());
        if (plan != null) {
            plan.check(a, null, null, -1);
        }
        return a;
    }

    /**
     * Checks a command's result against its {@code returns} type with the rules and texts of
     * argument validation: an object must have its required members and no others, every value
     * its declared type. A command without {@code returns} must return {@code null} (answered
     * {@code {}}). For tests and development (the server's {@code checkAnswers} option); servers
     * do not check results otherwise. Thread-safe.
     *
     * @param cmd    a command of this schema
     * @param result the result in the value model
     * @throws QmpException describing the first mismatch, e.g.
     *     {@code Parameter 'bogus' is unexpected}
     */
    public void checkResult(CommandDef cmd, Object result) {
        ArgumentValidator.Node plan = resultChecks.get(cmd.name());
        if (plan == null) {
            if (result != null && !(result instanceof Map<?, ?> m && m.isEmpty())) {
                throw new QmpException("the command declares no 'returns', but returned a value");
            }
            return;
        }
        plan.check(result, null, null, -1);
    }

    /**
     * Checks an event's data against its declaration, with the rules and texts of argument
     * validation. For tests and development (the server's {@code checkAnswers} option).
     * Thread-safe.
     *
     * @param event an event of this schema
     * @param data  the {@code data} member in the value model, or {@code null} for none
     * @throws QmpException describing the first mismatch
     */
    public void checkEventData(EventDef event, Map<String, Object> data) {
        ArgumentValidator.Node plan = eventChecks.get(event.name());
        if (plan == null) {
            throw new IllegalArgumentException("not an event of this schema: " + event.name());
        }
        if (data == null && event.argType() == null) {
            return;
        }
        plan.check(data == null ? Map.of() : data, null, null, -1);
    }

    /**
     * query-qmp-schema's result: a list of SchemaInfo objects ({@code LinkedHashMap}s in the
     * generator's member insertion order). Order: commands and events in definition order, then
     * the types they use in order of first use (breadth-first: a type's own references are
     * appended to the queue), as QEMU's generator does. Type names are masked as decimal strings
     * in order of first use, with {@code "0"} reserved for the empty object type, unless
     * {@link IntrospectOptions#unmask()}. Computed once per options and cached; the returned list
     * and its maps are shared and must not be modified. Thread-safe.
     *
     * @param options masking and dialect
     * @return the SchemaInfo list
     */
    public List<Object> introspect(IntrospectOptions options) {
        return introspection.computeIfAbsent(options,
                o -> Collections.unmodifiableList(new Introspector(types, o).run(entities)));
    }

    /**
     * query-commands' order: command names in reverse definition order (QEMU prepends). Thread-safe.
     *
     * @return the command names
     */
    public List<String> commandNamesForQueryCommands() {
        return queryCommandsOrder;
    }

    /**
     * Collects schema sources, Java declarations and defines, then builds a {@link Schema}.
     * Sources are read and checked in {@link #build()}, so defines may be added in any order.
     * Not thread-safe.
     */
    public static final class Builder {
        private final Set<String> defines = new LinkedHashSet<>();
        /** Each element: a SchemaLoader.Source, a Declaration or a List of already parsed expressions. */
        private final List<Object> sources = new ArrayList<>();
        private int javaDeclarations;

        private Builder() {
        }

        /**
         * Adds a schema file (with its includes).
         *
         * @param file the schema file
         * @return this builder
         */
        public Builder load(Path file) {
            sources.add(new SchemaLoader.FileSource(file));
            return this;
        }

        /**
         * Adds a classpath resource (leading {@code /} optional, with its includes).
         *
         * @param name the resource name
         * @return this builder
         */
        public Builder loadResource(String name) {
            sources.add(new SchemaLoader.ResourceSource(name));
            return this;
        }

        /**
         * Adds the built-in schema {@link Schema#BUILTIN_RESOURCE}.
         *
         * @return this builder
         */
        public Builder builtin() {
            return loadResource(BUILTIN_RESOURCE);
        }

        /**
         * Adds a command declared in Java, see {@link CommandDef#builder(String)}.
         *
         * @param command a command declaration
         * @return this builder
         * @throws IllegalArgumentException it declares something else
         */
        public Builder command(Declaration command) {
            if (!"command".equals(command.kind())) {
                throw new IllegalArgumentException("not a command declaration: " + command);
            }
            return declare(command);
        }

        /**
         * Adds any entity declared in Java (type, command or event).
         *
         * @param declaration the declaration
         * @return this builder
         */
        public Builder declare(Declaration declaration) {
            sources.add(declaration);
            return this;
        }

        /**
         * Defines a name for {@code 'if'} conditions.
         *
         * @param name e.g. {@code CONFIG_FOO}
         * @return this builder
         */
        public Builder define(String name) {
            defines.add(name);
            return this;
        }

        /**
         * Defines several names for {@code 'if'} conditions.
         *
         * @param names the names
         * @return this builder
         */
        public Builder define(Set<String> names) {
            defines.addAll(names);
            return this;
        }

        /**
         * Reads every source and checks the whole schema.
         *
         * @return the schema
         * @throws SchemaException if a source cannot be read or the schema is invalid
         */
        @SuppressWarnings("unchecked")
        public Schema build() {
            List<QapiParser.Expr> all = new ArrayList<>();
            Set<SchemaLoader.Source> seen = SchemaLoader.newSeenSet();
            for (Object s : sources) {
                if (s instanceof SchemaLoader.Source src) {
                    if (!seen.contains(src)) {
                        all.addAll(SchemaLoader.read(src, seen));
                    }
                } else if (s instanceof Declaration d) {
                    all.add(new QapiParser.Expr(d.expression(), new SourceLocation("<java>", ++javaDeclarations)));
                } else {
                    all.addAll((List<QapiParser.Expr>) s);
                }
            }
            javaDeclarations = 0;
            return new Schema(defines, all, new SchemaCompiler(defines).compile(all));
        }
    }
}
