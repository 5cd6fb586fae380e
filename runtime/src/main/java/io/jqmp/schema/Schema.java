package io.jqmp.schema;

import io.jqmp.protocol.QmpException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
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
    /** The file name locations show for declarations made in Java; they form one module. */
    static final String JAVA_MODULE = "<java>";

    private final Set<String> defines;
    private final List<String> modules;
    private final List<QapiParser.Expr> expressions;
    private final Qapi.Checked checked;
    private final Map<String, SchemaType> types;
    private final List<CommandDef> commands;
    private final List<EventDef> events;
    private final Map<String, CommandDef> commandsByName;
    private final Map<String, EventDef> eventsByName;
    private final Map<String, ArgumentValidator.Node> validators;
    private final Map<String, ArgumentValidator.Node> resultChecks;
    private final Map<String, ArgumentValidator.Node> eventChecks;
    private final List<String> queryCommandsOrder;
    private final Map<IntrospectOptions, List<Object>> introspection = new ConcurrentHashMap<>();

    private Schema(Set<String> defines, List<String> modules, List<QapiParser.Expr> expressions) {
        this.defines = Set.copyOf(defines);
        this.modules = List.copyOf(modules);
        this.expressions = List.copyOf(expressions);
        SchemaCompiler.Result r = new SchemaCompiler(this.defines).compile(this.modules, this.expressions);
        this.checked = r.checked();
        this.types = Collections.unmodifiableMap(new LinkedHashMap<>(r.types()));
        this.commands = r.commands();
        this.events = r.events();
        Map<String, CommandDef> byName = new HashMap<>();
        for (CommandDef c : commands) {
            byName.put(c.name(), c);
        }
        Map<String, EventDef> evByName = new HashMap<>();
        for (EventDef ev : events) {
            evByName.put(ev.name(), ev);
        }
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
        this.queryCommandsOrder = queryCommandsOrder(checked, this.defines);
    }

    /** The name an expression defines (null when it has none, which the compiler then reports). */
    private static String definedName(QapiParser.Expr e) {
        for (String meta : SchemaCompiler.META_TYPES) {
            if (e.value().get(meta) instanceof String name) {
                return name;
            }
        }
        return null;
    }

    /**
     * QEMU registers the generated commands module by module, then the hand-written
     * ({@code 'gen': false}) ones, and query-commands lists the table newest first.
     */
    private static List<String> queryCommandsOrder(Qapi.Checked checked, Set<String> defines) {
        List<String> generated = new ArrayList<>();
        List<String> byHand = new ArrayList<>();
        for (Qapi.Entity e : checked.entities()) {
            if (e instanceof Qapi.Command c && c.condition().holds(defines)) {
                (c.gen() ? generated : byHand).add(c.name());
            }
        }
        List<String> registered = new ArrayList<>(generated);
        registered.addAll(byHand);
        Collections.reverse(registered);
        return List.copyOf(registered);
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
            b.add(s);
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
     * Why a handler written for {@code handlerCommand}, a command of {@code handlerSchema},
     * cannot serve this schema's {@code command}: some argument object {@code command} accepts
     * is not one {@code handlerCommand} accepts (a member the handler does not take, one it
     * needs that may be missing, an enum value or integer it does not take, ...), or
     * {@code command} allows out-of-band execution and {@code handlerCommand} does not. Empty
     * when it can. Thread-safe.
     *
     * @param command        a command of this schema
     * @param handlerSchema  the schema the handler was written for
     * @param handlerCommand the handler's command in that schema
     * @return why not, or empty
     */
    public Optional<String> incompatibility(CommandDef command, Schema handlerSchema, CommandDef handlerCommand) {
        return Optional.ofNullable(ArgumentCompatibility.check(this, command, handlerSchema, handlerCommand));
    }

    /**
     * query-qmp-schema's result, as QEMU's generator and C preprocessor produce it: a list of
     * SchemaInfo objects ({@code LinkedHashMap}s in the generator's member insertion order).
     * Commands and events come first, module by module (a file's definitions where the file was
     * first included), then the types they use in order of first use (breadth-first: a type's
     * own references are appended to the queue). Uses, and the masked type numbers they hand
     * out (decimal strings, unless {@link IntrospectOptions#unmask()}), are counted as if every
     * {@code 'if'} held; only then do the defines remove entries, members, variants, values and
     * features, so some numbers stay unused and a type reachable only through something removed
     * is still listed. Computed once per options and cached; the returned list and its maps are
     * shared and must not be modified. Thread-safe.
     *
     * @param options masking and dialect
     * @return the SchemaInfo list
     */
    public List<Object> introspect(IntrospectOptions options) {
        return introspection.computeIfAbsent(options, o -> Collections.unmodifiableList(
                new Introspector(checked, defines, o).run(checked.entities())));
    }

    /**
     * query-commands' order, as QEMU registers commands: generated commands module by module,
     * then those declared {@code 'gen': false} (registered by hand), the whole list newest
     * first. Thread-safe.
     *
     * @return the command names
     */
    public List<String> commandNamesForQueryCommands() {
        return queryCommandsOrder;
    }

    /**
     * Collects schema sources, Java declarations and defines, then builds a {@link Schema}.
     * Sources are read and checked in {@link #build()}, so defines may be added in any order.
     *
     * <p>Sources come in two kinds. <em>Given</em> sources ({@link #load}, {@link #loadResource},
     * {@link #declare}, {@link #add}) are the schema. <em>Default</em> sources ({@link #builtin},
     * {@link #defaultResource}) declare what a server implements anyway, and yield to the given
     * ones: a name the given sources define replaces the default definition of that name, and
     * when the given sources declare {@code qmp_capabilities} they are a whole QMP schema (as
     * QEMU's is) and no default definition is used at all. Not thread-safe.
     */
    public static final class Builder {
        private final Set<String> defines = new LinkedHashSet<>();
        /** In order: given and default sources. */
        private final List<Part> sources = new ArrayList<>();

        /** One source: a SchemaLoader.Source, a Declaration or a Schema whose definitions are reused. */
        private record Part(Object source, boolean isDefault) {
        }

        private Builder() {
        }

        /**
         * Adds a schema file (with its includes).
         *
         * @param file the schema file
         * @return this builder
         */
        public Builder load(Path file) {
            sources.add(new Part(new SchemaLoader.FileSource(file), false));
            return this;
        }

        /**
         * Adds a classpath resource (leading {@code /} optional, with its includes).
         *
         * @param name the resource name
         * @return this builder
         */
        public Builder loadResource(String name) {
            sources.add(new Part(new SchemaLoader.ResourceSource(name), false));
            return this;
        }

        /**
         * Adds a classpath resource as a default source: its definitions yield to the given sources'.
         *
         * @param name the resource name
         * @return this builder
         */
        public Builder defaultResource(String name) {
            sources.add(new Part(new SchemaLoader.ResourceSource(name), true));
            return this;
        }

        /**
         * Adds the built-in schema {@link Schema#BUILTIN_RESOURCE}, as a default source.
         *
         * @return this builder
         */
        public Builder builtin() {
            return defaultResource(BUILTIN_RESOURCE);
        }

        /**
         * Adds the definitions (and the defines) of a schema built before.
         *
         * @param schema a schema
         * @return this builder
         */
        public Builder add(Schema schema) {
            define(schema.defines);
            sources.add(new Part(schema, false));
            return this;
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
            sources.add(new Part(declaration, false));
            return this;
        }

        /**
         * Defines a name for {@code 'if'} conditions.
         *
         * @param name e.g. {@code CONFIG_FOO}
         * @return this builder
         * @throws IllegalArgumentException if no condition could test it (see {@link Defines#check})
         */
        public Builder define(String name) {
            defines.add(Defines.check(name));
            return this;
        }

        /**
         * Defines several names for {@code 'if'} conditions.
         *
         * @param names the names
         * @return this builder
         */
        public Builder define(Set<String> names) {
            names.forEach(this::define);
            return this;
        }

        /**
         * Reads every source, lets the given sources' definitions replace the defaults', and
         * checks the whole schema.
         *
         * @return the schema
         * @throws SchemaException if a source cannot be read or the schema is invalid
         */
        public Schema build() {
            List<String> modules = new ArrayList<>();
            List<QapiParser.Expr> read = new ArrayList<>();
            Set<QapiParser.Expr> defaults = Collections.newSetFromMap(new IdentityHashMap<>());
            Set<SchemaLoader.Source> seen = SchemaLoader.newSeenSet();
            int javaDeclarations = 0;
            Pragma javaPragma = new Pragma(); // Java declarations form one tree, as one file would
            for (Part p : sources) {
                int before = read.size();
                switch (p.source()) {
                    case SchemaLoader.Source src -> {
                        if (!seen.contains(src)) {
                            SchemaLoader.read(src, seen, modules, read);
                        }
                    }
                    case Declaration d -> {
                        if (!modules.contains(JAVA_MODULE)) {
                            modules.add(JAVA_MODULE);
                        }
                        SourceLocation at = new SourceLocation(JAVA_MODULE, ++javaDeclarations);
                        Map<String, Object> x = d.expression();
                        if (x.containsKey("pragma") && x.size() == 1) {
                            javaPragma.apply(x.get("pragma"), at);
                        } else {
                            read.add(new QapiParser.Expr(x, at, javaPragma, null));
                        }
                    }
                    case Schema part -> {
                        part.modules.stream().filter(m -> !modules.contains(m)).forEach(modules::add);
                        read.addAll(part.expressions);
                    }
                    default -> throw new IllegalStateException("unknown source " + p.source());
                }
                if (p.isDefault()) {
                    defaults.addAll(read.subList(before, read.size()));
                }
            }
            Set<String> replaced = new HashSet<>();
            boolean whole = false;
            for (QapiParser.Expr e : read) {
                if (!defaults.contains(e)) {
                    String name = definedName(e);
                    replaced.add(name);
                    whole |= "qmp_capabilities".equals(name) && e.value().containsKey("command");
                }
            }
            List<QapiParser.Expr> all = new ArrayList<>();
            for (QapiParser.Expr e : read) {
                if (!defaults.contains(e) || !whole && !replaced.contains(definedName(e))) {
                    all.add(e);
                }
            }
            return new Schema(defines, modules, all);
        }
    }
}
