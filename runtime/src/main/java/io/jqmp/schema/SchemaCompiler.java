package io.jqmp.schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns QAPI expressions into a schema, in three passes, following QEMU 7.2's generator:
 * <ol>
 * <li><b>define</b>: checks each expression's syntax and names and records what it says as a
 * draft (implicit argument and base types and array types included), all in one namespace,
 * whatever its {@code 'if'} says;</li>
 * <li><b>check</b>: resolves and checks every draft as if every condition held, yielding the
 * {@link Qapi.Checked} model (flattened members, union variants);</li>
 * <li><b>prune</b>: drops what the defines rule out, yielding the public types, commands and
 * events, and rejects a definition that is kept but refers to a type that is not.</li>
 * </ol>
 * Every error names the file and line of the definition at fault and the definition itself.
 * Single use, not thread-safe.
 */
final class SchemaCompiler {
    static final List<String> META_TYPES = List.of("enum", "struct", "union", "alternate", "command", "event");

    /** The empty object type: arguments of commands without any, results of commands without one. */
    static final String EMPTY = "q_empty";

    /** Built-in types in QEMU's order, with the JSON type introspection reports. */
    static final Map<String, String> BUILTINS = new LinkedHashMap<>();

    static {
        BUILTINS.put("str", "string");
        BUILTINS.put("number", "number");
        BUILTINS.put("int", "int");
        BUILTINS.put("int8", "int");
        BUILTINS.put("int16", "int");
        BUILTINS.put("int32", "int");
        BUILTINS.put("int64", "int");
        BUILTINS.put("uint8", "int");
        BUILTINS.put("uint16", "int");
        BUILTINS.put("uint32", "int");
        BUILTINS.put("uint64", "int");
        BUILTINS.put("size", "int");
        BUILTINS.put("bool", "boolean");
        BUILTINS.put("any", "value");
        BUILTINS.put("null", "null");
    }

    private static final Map<String, List<Set<String>>> KEYS = Map.of(
            "command", List.of(Set.of("command"), Set.of("data", "returns", "boxed", "if", "features", "gen",
                    "success-response", "allow-oob", "allow-preconfig", "coroutine")),
            "struct", List.of(Set.of("struct", "data"), Set.of("base", "if", "features")),
            "enum", List.of(Set.of("enum", "data"), Set.of("if", "features", "prefix")),
            "union", List.of(Set.of("union", "base", "discriminator", "data"), Set.of("if", "features")),
            "alternate", List.of(Set.of("alternate", "data"), Set.of("if", "features")),
            "event", List.of(Set.of("event"), Set.of("data", "boxed", "if", "features")));

    /** What compiling yields: the checked model, and what the defines keep of it. */
    record Result(Qapi.Checked checked, Map<String, SchemaType> types, List<CommandDef> commands,
            List<EventDef> events) {
    }

    // ---- drafts: what a definition says, before its references are checked ----

    private sealed interface Draft permits Predefined, EnumDraft, StructDraft, UnionDraft, AlternateDraft,
            ArrayDraft, CommandDraft, EventDraft {
        String name();

        /** Where it is defined; null for predefined types. */
        SourceLocation location();
    }

    /** A built-in type, or QType (which alternates use and users may not redefine). */
    private record Predefined(String name, SourceLocation location, Qapi.Type type) implements Draft {
    }

    /** An enumeration: it has nothing to resolve. */
    private record EnumDraft(String name, SourceLocation location, Qapi.Enumeration type) implements Draft {
    }

    /**
     * A struct with its own members only; {@code owner} is set for implicit types (inline
     * command and event arguments, inline union bases) and names the definition that wrote them.
     */
    private record StructDraft(String name, Condition condition, String base, List<Qapi.Member> members,
            List<Qapi.Feature> features, SourceLocation location, String owner) implements Draft {
    }

    /** A union; {@code base} is null when its inline base has no members. */
    private record UnionDraft(String name, Condition condition, String base, String discriminator,
            List<Qapi.Variant> branches, List<Qapi.Feature> features, SourceLocation location) implements Draft {
    }

    /** An alternate: its branches only need checking. */
    private record AlternateDraft(String name, SourceLocation location, Qapi.Alternate type) implements Draft {
    }

    /** An array type, defined where it is first referred to, by {@code user}. */
    private record ArrayDraft(String name, String element, SourceLocation location, String user) implements Draft {
    }

    /** A command, with the pragmas that decide which names and returns it may use. */
    private record CommandDraft(String name, SourceLocation location, Qapi.Command command, Pragma pragma)
            implements Draft {
    }

    private record EventDraft(String name, SourceLocation location, Qapi.Event event) implements Draft {
    }

    /** How messages name a definition, e.g. {@code struct 'S'}; implicit types name their owner. */
    private static String describe(Draft d) {
        return switch (d) {
            case Predefined p -> (p.type() instanceof Qapi.Builtin ? "built-in type '" : "enum type '") + p.name() + "'";
            case EnumDraft e -> "enum '" + e.name() + "'";
            case StructDraft s -> s.owner() != null ? s.owner() : "struct '" + s.name() + "'";
            case UnionDraft u -> "union '" + u.name() + "'";
            case AlternateDraft a -> "alternate '" + a.name() + "'";
            case ArrayDraft a -> a.user();
            case CommandDraft c -> "command '" + c.name() + "'";
            case EventDraft ev -> "event '" + ev.name() + "'";
        };
    }

    /** A member seen while checking for clashes, and the type that defines it. */
    private record Seen(String what, String definedIn) {
    }

    private final Set<String> defines;
    /** Every definition in definition order, implicit and array types before their first user. */
    private final Map<String, Draft> drafts = new LinkedHashMap<>();
    private final Map<String, Qapi.Type> checked = new LinkedHashMap<>();
    /** Object types whose check is under way: meeting one again means it contains itself. */
    private final Set<String> checking = new HashSet<>();
    private final List<Qapi.Entity> entities = new ArrayList<>();

    SchemaCompiler(Set<String> defines) {
        this.defines = defines;
    }

    /**
     * Compiles {@code exprs}; {@code modules} are their files in QEMU's module order (each file
     * when first included), which orders commands and events for introspection.
     */
    Result compile(List<String> modules, List<QapiParser.Expr> exprs) {
        predefine();
        for (QapiParser.Expr e : exprs) {
            define(e);
        }
        for (Draft d : List.copyOf(drafts.values())) {
            switch (d) {
                case CommandDraft c -> entities.add(checkCommand(c));
                case EventDraft ev -> entities.add(checkEvent(ev));
                default -> checkType(d);
            }
        }
        Qapi.Checked model = new Qapi.Checked(Map.copyOf(checked), inModuleOrder(modules));
        return prune(model);
    }

    // ---- pass 1: syntax, names, drafts ----

    private void predefine() {
        for (Map.Entry<String, String> b : BUILTINS.entrySet()) {
            drafts.put(b.getKey(), new Predefined(b.getKey(), null, new Qapi.Builtin(b.getKey(), b.getValue())));
        }
        drafts.put(EMPTY, new StructDraft(EMPTY, Condition.ALWAYS, null, List.of(), List.of(), null,
                "the empty object type"));
        List<Qapi.Value> qtypes = new ArrayList<>();
        for (String v : List.of("none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool")) {
            qtypes.add(new Qapi.Value(v, Condition.ALWAYS, List.of()));
        }
        drafts.put("QType", new Predefined("QType", null, new Qapi.Enumeration("QType", Condition.ALWAYS, List.copyOf(qtypes),
                List.of(), null)));
    }

    private void define(QapiParser.Expr e) {
        Map<String, Object> x = e.value();
        SourceLocation loc = e.location();
        List<String> metas = META_TYPES.stream().filter(x::containsKey).toList();
        if (metas.size() != 1) {
            throw new SchemaException(loc, "expression must have exactly one key 'enum', 'struct', 'union',"
                    + " 'alternate', 'command', 'event'");
        }
        String meta = metas.get(0);
        if (!(x.get(meta) instanceof String name)) {
            throw new SchemaException(loc, "'" + meta + "' requires a string name");
        }
        String what = meta + " '" + name + "'";
        Pragma pragma = e.pragma() == null ? Pragma.NONE : e.pragma();
        QapiSyntax.checkDefinitionName(name, meta, pragma, loc, what);
        if (e.doc() == null && pragma.docRequired()) {
            throw new SchemaException(loc, "documentation comment required (pragma 'doc-required')");
        }
        QapiSyntax.checkKeys(x, loc, what, KEYS.get(meta).get(0), KEYS.get(meta).get(1));
        Condition cond = QapiSyntax.condition(x.get("if"), loc, what);
        List<Qapi.Feature> features = features(x.get("features"), loc, what);
        if (meta.equals("command") || meta.equals("event")) {
            QapiSyntax.checkFlags(x, loc, what);
        }
        Draft previous = drafts.get(name);
        if (previous != null) {
            throw new SchemaException(loc, previous.location() == null ? describe(previous) + " is already defined"
                    : "'" + name + "' is already defined (previous definition at " + previous.location() + ")");
        }
        switch (meta) {
            case "enum" -> add(new EnumDraft(name, loc, new Qapi.Enumeration(name, cond, values(x, pragma, loc, what),
                    features, loc)));
            case "struct" -> {
                if (!(x.get("data") instanceof Map<?, ?> data)) {
                    throw new SchemaException(loc, "'data' of " + what + " should be an object");
                }
                Object base = x.get("base");
                if (base != null && !(base instanceof String)) {
                    throw new SchemaException(loc, "'base' of " + what + " should be a type name");
                }
                List<Qapi.Member> members = members(data, pragma.memberNameException(name), loc, what);
                add(new StructDraft(name, cond, (String) base, members, features, loc, null));
            }
            case "union" -> defineUnion(name, x, cond, features, pragma, loc, what);
            case "alternate" -> defineAlternate(name, x.get("data"), cond, features, loc, what);
            case "command" -> {
                boolean boxed = x.containsKey("boxed");
                String arg = argType(name, x.get("data"), boxed, cond, loc, what);
                String ret = returnType(x.get("returns"), loc, what);
                add(new CommandDraft(name, loc, new Qapi.Command(name, cond, arg, ret, boxed, !x.containsKey("gen"),
                        !x.containsKey("success-response"), x.containsKey("allow-oob"),
                        x.containsKey("allow-preconfig"), x.containsKey("coroutine"), features, loc), pragma));
            }
            default -> {
                boolean boxed = x.containsKey("boxed");
                String arg = argType(name, x.get("data"), boxed, cond, loc, what);
                add(new EventDraft(name, loc, new Qapi.Event(name, cond, arg, boxed, features, loc)));
            }
        }
        if (e.doc() != null) {
            checkDoc(e.doc(), drafts.get(name), meta, features);
        }
    }

    /**
     * Checks a definition's documentation against what it may document, as QEMU connects them:
     * its own members (a struct's, not its base's), an inline union base's members, inline
     * arguments, enum values and alternate branches; and every feature of it, of those members
     * and of those values.
     */
    private void checkDoc(DocComment doc, Draft d, String meta, List<Qapi.Feature> features) {
        List<Qapi.Member> members = switch (d) {
            case StructDraft s -> s.members();
            case UnionDraft u -> u.base() != null && drafts.get(u.base()) instanceof StructDraft b && b.owner() != null
                    ? b.members() : List.of();
            case CommandDraft c -> implicitMembers(c.command().argType());
            case EventDraft ev -> implicitMembers(ev.event().argType());
            default -> List.of();
        };
        Set<String> names = new LinkedHashSet<>();
        Set<String> featured = new LinkedHashSet<>();
        features.forEach(f -> featured.add(f.name()));
        for (Qapi.Member m : members) {
            names.add(m.name());
            m.features().forEach(f -> featured.add(f.name()));
        }
        if (d instanceof EnumDraft en) {
            for (Qapi.Value v : en.type().values()) {
                names.add(v.name());
                v.features().forEach(f -> featured.add(f.name()));
            }
        } else if (d instanceof AlternateDraft a) {
            a.type().branches().forEach(b -> names.add(b.name()));
        }
        doc.check(d.name(), meta, d.location(), names, featured);
    }

    /** The members of an implicit argument type (none for a named one). */
    private List<Qapi.Member> implicitMembers(String argType) {
        return argType != null && drafts.get(argType) instanceof StructDraft s && s.owner() != null
                ? s.members() : List.of();
    }

    private void add(Draft d) {
        drafts.put(d.name(), d);
    }

    /** Inline members become an implicit struct {@code q_obj_NAME-arg}; no members mean no type. */
    private String argType(String name, Object data, boolean boxed, Condition cond, SourceLocation loc, String what) {
        String role = "'data' of " + what;
        if (data == null) {
            if (boxed) {
                throw new SchemaException(loc, what + " has 'boxed': true but no 'data'");
            }
            return null;
        }
        if (data instanceof String s) {
            return s;
        }
        if (data instanceof List) {
            throw new SchemaException(loc, role + " cannot be an array");
        }
        if (boxed) {
            throw new SchemaException(loc, role + " should be a type name");
        }
        if (!(data instanceof Map<?, ?> m)) {
            throw new SchemaException(loc, role + " should be an object or type name");
        }
        return implicitType("q_obj_" + name + "-arg", members(m, false, loc, what), cond, loc, what);
    }

    private String implicitType(String name, List<Qapi.Member> members, Condition cond, SourceLocation loc,
            String owner) {
        if (members.isEmpty()) {
            return null;
        }
        add(new StructDraft(name, cond, null, members, List.of(), loc, owner));
        return name;
    }

    private String returnType(Object returns, SourceLocation loc, String what) {
        String role = "'returns' of " + what;
        if (returns == null) {
            return null;
        }
        if (returns instanceof Map || returns instanceof Boolean) {
            throw new SchemaException(loc, role + " should be a type name");
        }
        return typeRef(returns, true, loc, role);
    }

    /** A type reference ({@code 'T'}, or {@code ['T']} when allowed) as a type name, defining array types. */
    private String typeRef(Object ref, boolean allowArray, SourceLocation loc, String what) {
        if (ref instanceof String s) {
            return s;
        }
        if (ref instanceof List<?> l) {
            if (!allowArray) {
                throw new SchemaException(loc, what + " cannot be an array");
            }
            if (l.size() != 1 || !(l.get(0) instanceof String element)) {
                throw new SchemaException(loc, what + ": array type must contain single type name");
            }
            String name = element + "List";
            if (!drafts.containsKey(name)) {
                add(new ArrayDraft(name, element, loc, what));
            }
            return name;
        }
        throw new SchemaException(loc, what + " should be a type name");
    }

    private void defineUnion(String name, Map<String, Object> x, Condition cond, List<Qapi.Feature> features,
            Pragma pragma, SourceLocation loc, String what) {
        Object base = x.get("base");
        String baseName;
        if (base instanceof String s) {
            baseName = s;
        } else if (base instanceof Map<?, ?> m) {
            baseName = implicitType("q_obj_" + name + "-base", members(m, pragma.memberNameException(name), loc,
                    what), cond, loc, what);
        } else if (base instanceof List) {
            throw new SchemaException(loc, "'base' of " + what + " cannot be an array");
        } else {
            throw new SchemaException(loc, "'base' of " + what + " should be an object or type name");
        }
        if (!(x.get("discriminator") instanceof String disc)) {
            throw new SchemaException(loc, "'discriminator' of " + what + " requires a string name");
        }
        if (!(x.get("data") instanceof Map<?, ?> data)) {
            throw new SchemaException(loc, "'data' of " + what + " must be an object");
        }
        List<Qapi.Variant> branches = new ArrayList<>();
        for (Map.Entry<?, ?> b : data.entrySet()) {
            String bname = (String) b.getKey();
            String bwhat = "branch '" + bname + "' of " + what;
            Map<String, Object> lf = longForm(b.getValue(), loc, bwhat, Set.of());
            branches.add(new Qapi.Variant(bname, typeRef(lf.get("type"), false, loc, bwhat),
                    QapiSyntax.condition(lf.get("if"), loc, bwhat)));
        }
        add(new UnionDraft(name, cond, baseName, disc, List.copyOf(branches), features, loc));
    }

    private void defineAlternate(String name, Object data, Condition cond, List<Qapi.Feature> features,
            SourceLocation loc, String what) {
        if (data == null || Boolean.FALSE.equals(data) || "".equals(data)
                || data instanceof Map<?, ?> m0 && m0.isEmpty() || data instanceof List<?> l0 && l0.isEmpty()) {
            throw new SchemaException(loc, "'data' of " + what + " must not be empty");
        }
        if (!(data instanceof Map<?, ?> m)) {
            throw new SchemaException(loc, "'data' of " + what + " must be an object");
        }
        List<Qapi.Variant> branches = new ArrayList<>();
        for (Map.Entry<?, ?> b : m.entrySet()) {
            String bname = (String) b.getKey();
            String bwhat = "branch '" + bname + "' of " + what;
            QapiSyntax.checkNameLower(bname, false, false, loc, bwhat);
            Map<String, Object> lf = longForm(b.getValue(), loc, bwhat, Set.of());
            branches.add(new Qapi.Variant(bname, typeRef(lf.get("type"), true, loc, bwhat),
                    QapiSyntax.condition(lf.get("if"), loc, bwhat)));
        }
        add(new AlternateDraft(name, loc, new Qapi.Alternate(name, cond, List.copyOf(branches), features, loc)));
    }

    /** A member's or branch's value in long form {@code {'type': ..., 'if': ...}} (short form: the type). */
    private static Map<String, Object> longForm(Object value, SourceLocation loc, String what, Set<String> extra) {
        if (!(value instanceof Map<?, ?> m)) {
            Map<String, Object> lf = new HashMap<>();
            lf.put("type", value);
            return lf;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> lf = (Map<String, Object>) m;
        Set<String> optional = new HashSet<>(extra);
        optional.add("if");
        QapiSyntax.checkKeys(lf, loc, what, Set.of("type"), optional);
        return lf;
    }

    private List<Qapi.Member> members(Map<?, ?> data, boolean permissive, SourceLocation loc, String what) {
        List<Qapi.Member> out = new ArrayList<>();
        for (Map.Entry<?, ?> entry : data.entrySet()) {
            String key = (String) entry.getKey();
            boolean optional = key.startsWith("*");
            String name = optional ? key.substring(1) : key;
            String mwhat = "member '" + name + "' of " + what;
            QapiSyntax.checkNameLower(name, permissive, permissive, loc, mwhat);
            String c = QapiSyntax.cName(name);
            if (c.equals("u") || c.startsWith("has_")) {
                throw new SchemaException(loc, mwhat + " uses reserved name");
            }
            Map<String, Object> lf = longForm(entry.getValue(), loc, mwhat, Set.of("features"));
            Condition cond = QapiSyntax.condition(lf.get("if"), loc, mwhat);
            List<Qapi.Feature> features = features(lf.get("features"), loc, mwhat);
            out.add(new Qapi.Member(name, typeRef(lf.get("type"), true, loc, mwhat), optional, cond, features));
        }
        return List.copyOf(out);
    }

    private List<Qapi.Value> values(Map<String, Object> x, Pragma pragma, SourceLocation loc, String what) {
        if (!(x.get("data") instanceof List<?> l)) {
            throw new SchemaException(loc, "'data' of " + what + " must be an array");
        }
        if (x.containsKey("prefix") && !(x.get("prefix") instanceof String)) {
            throw new SchemaException(loc, "'prefix' of " + what + " must be a string");
        }
        boolean permissive = pragma.memberNameException((String) x.get("enum"));
        List<Qapi.Value> out = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (Object v : l) {
            Map<String, Object> vm;
            if (v instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> cast = (Map<String, Object>) m;
                vm = cast;
                QapiSyntax.checkKeys(vm, loc, "value of " + what, Set.of("name"), Set.of("if", "features"));
            } else {
                vm = new HashMap<>();
                vm.put("name", v);
            }
            if (!(vm.get("name") instanceof String name)) {
                throw new SchemaException(loc, "value of " + what + " requires a string name");
            }
            String vwhat = "value '" + name + "' of " + what;
            // QEMU lets values start with a digit (C names get a prefix).
            String checkedName = !name.isEmpty() && Character.isDigit(name.charAt(0)) ? "d" + name : name;
            QapiSyntax.checkNameLower(checkedName, permissive, permissive, loc, vwhat);
            Condition cond = QapiSyntax.condition(vm.get("if"), loc, vwhat);
            List<Qapi.Feature> features = features(vm.get("features"), loc, vwhat);
            String clash = seen.putIfAbsent(QapiSyntax.cName(name), name);
            if (clash != null) {
                throw new SchemaException(loc, vwhat + " collides with value '" + clash + "'");
            }
            out.add(new Qapi.Value(name, cond, features));
        }
        return List.copyOf(out);
    }

    private List<Qapi.Feature> features(Object f, SourceLocation loc, String what) {
        if (f == null) {
            return List.of();
        }
        if (!(f instanceof List<?> l)) {
            throw new SchemaException(loc, "'features' of " + what + " must be an array");
        }
        List<Qapi.Feature> out = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (Object item : l) {
            Map<String, Object> fm;
            if (item instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> cast = (Map<String, Object>) m;
                fm = cast;
                QapiSyntax.checkKeys(fm, loc, "feature of " + what, Set.of("name"), Set.of("if"));
            } else {
                fm = new HashMap<>();
                fm.put("name", item);
            }
            if (!(fm.get("name") instanceof String name)) {
                throw new SchemaException(loc, "feature of " + what + " requires a string name");
            }
            String fwhat = "feature '" + name + "' of " + what;
            QapiSyntax.checkNameLower(name, false, false, loc, fwhat);
            Condition cond = QapiSyntax.condition(fm.get("if"), loc, fwhat);
            String clash = seen.putIfAbsent(QapiSyntax.cName(name), name);
            if (clash != null) {
                throw new SchemaException(loc, fwhat + " collides with feature '" + clash + "'");
            }
            out.add(new Qapi.Feature(name, cond));
        }
        return List.copyOf(out);
    }

    // ---- pass 2: check every draft as if every condition held ----

    /** The draft a reference names, checked to exist and to be a type. */
    private Draft resolve(String typeName, SourceLocation loc, String what) {
        Draft d = drafts.get(typeName);
        if (d instanceof ArrayDraft a) {
            resolve(a.element(), loc, what);
            return d;
        }
        if (d == null) {
            throw new SchemaException(loc, what + " uses unknown type '" + typeName + "'");
        }
        if (d instanceof CommandDraft || d instanceof EventDraft) {
            throw new SchemaException(loc, what + " uses " + (d instanceof CommandDraft ? "command" : "event")
                    + " '" + typeName + "' as a type");
        }
        return d;
    }

    /** How a message names the kind of a type, as QEMU's describe() does, e.g. {@code enum type 'E'}. */
    private static String kindOf(Draft d) {
        return switch (d) {
            case Predefined p -> describe(p);
            case EnumDraft e -> "enum type '" + e.name() + "'";
            case StructDraft s -> "struct type '" + s.name() + "'";
            case UnionDraft u -> "union type '" + u.name() + "'";
            case AlternateDraft a -> "alternate type '" + a.name() + "'";
            case ArrayDraft a -> "array type ['" + a.element() + "']";
            case CommandDraft c -> describe(c);
            case EventDraft ev -> describe(ev);
        };
    }

    private Qapi.Type checkType(Draft d) {
        Qapi.Type done = checked.get(d.name());
        if (done != null) {
            return done;
        }
        Qapi.Type t = switch (d) {
            case Predefined p -> p.type();
            case EnumDraft e -> {
                checkTypeFeatures(e.type().features(), e.location(), describe(e));
                yield e.type();
            }
            case StructDraft s -> checkStruct(s);
            case UnionDraft u -> checkUnion(u);
            case AlternateDraft a -> checkAlternate(a);
            case ArrayDraft a -> new Qapi.ArrayOf(a.name(), a.element(),
                    conditionOf(resolve(a.element(), a.location(), a.user())));
            case CommandDraft c -> throw new IllegalArgumentException(describe(c) + " is not a type");
            case EventDraft ev -> throw new IllegalArgumentException(describe(ev) + " is not a type");
        };
        checked.put(d.name(), t);
        return t;
    }

    private static Condition conditionOf(Draft d) {
        return switch (d) {
            case Predefined p -> p.type().condition();
            case EnumDraft e -> e.type().condition();
            case StructDraft s -> s.condition();
            case UnionDraft u -> u.condition();
            case AlternateDraft a -> a.type().condition();
            case ArrayDraft a -> Condition.ALWAYS; // never asked: arrays of arrays do not exist
            case CommandDraft c -> c.command().condition();
            case EventDraft ev -> ev.event().condition();
        };
    }

    /** Features of a type: QEMU gives deprecated and unstable meaning only for other definitions. */
    private static void checkTypeFeatures(List<Qapi.Feature> features, SourceLocation loc, String what) {
        for (Qapi.Feature f : features) {
            if (f.name().equals("deprecated") || f.name().equals("unstable")) {
                throw new SchemaException(loc, "feature '" + f.name() + "' of " + what + " is not supported for types");
            }
        }
    }

    /** Marks an object type as being checked; meeting it again while it is means it contains itself. */
    private void enter(Draft d) {
        if (!checking.add(d.name())) {
            throw new SchemaException(d.location(), "object '" + d.name() + "' contains itself");
        }
    }

    /** The checked struct a base or branch names: it must be a struct (not a union), checked first. */
    private Qapi.ObjectType structOf(String name, SourceLocation loc, String what) {
        Draft d = resolve(name, loc, what);
        if (!(d instanceof StructDraft s)) {
            throw new SchemaException(loc, what + " requires a struct type, found " + kindOf(d));
        }
        return (Qapi.ObjectType) checkType(s);
    }

    private Qapi.ObjectType checkStruct(StructDraft s) {
        enter(s);
        checkTypeFeatures(s.features(), s.location(), describe(s));
        Map<String, Seen> seen = new LinkedHashMap<>();
        List<Qapi.Member> members = new ArrayList<>();
        if (s.base() != null) {
            Qapi.ObjectType base = structOf(s.base(), s.location(), "'base' of " + describe(s));
            for (Qapi.Member m : base.members()) {
                seen.put(QapiSyntax.cName(m.name()), new Seen("member '" + m.name() + "'", owningType(base, m)));
                members.add(m);
            }
        }
        for (Qapi.Member m : s.members()) {
            String mwhat = "member '" + m.name() + "' of " + describe(s);
            resolve(m.type(), s.location(), mwhat);
            Seen clash = seen.get(QapiSyntax.cName(m.name()));
            if (clash != null) {
                throw new SchemaException(s.location(), mwhat + " collides with " + clash.what()
                        + (clash.definedIn().equals(s.name()) ? "" : " of type '" + clash.definedIn() + "'"));
            }
            seen.put(QapiSyntax.cName(m.name()), new Seen("member '" + m.name() + "'", s.name()));
            members.add(m);
        }
        checking.remove(s.name());
        return new Qapi.ObjectType(s.name(), s.condition(), List.copyOf(members), s.base(), null, List.of(),
                s.features(), s.owner() != null, s.location());
    }

    /** Which type along {@code t}'s base chain defines {@code m}. */
    private String owningType(Qapi.ObjectType t, Qapi.Member m) {
        String owner = t.name();
        Qapi.ObjectType at = t;
        while (at.base() != null) {
            Qapi.ObjectType base = (Qapi.ObjectType) checked.get(at.base());
            if (!base.members().contains(m)) {
                break;
            }
            owner = base.name();
            at = base;
        }
        return owner;
    }

    private Qapi.ObjectType checkUnion(UnionDraft u) {
        enter(u);
        String what = describe(u);
        checkTypeFeatures(u.features(), u.location(), what);
        List<Qapi.Member> base = List.of();
        String baseDesc = "'base'";
        if (u.base() != null) {
            base = structOf(u.base(), u.location(), "'base' of " + what).members();
            if (!u.base().startsWith("q_obj_")) {
                baseDesc = "base type '" + u.base() + "'";
            }
        }
        Qapi.Member tag = null;
        for (Qapi.Member m : base) {
            if (m.name().equals(u.discriminator())) {
                tag = m;
            }
        }
        if (tag == null) {
            throw new SchemaException(u.location(), "discriminator '" + u.discriminator() + "' of " + what
                    + " is not a member of " + baseDesc);
        }
        String tagWhat = "discriminator member '" + tag.name() + "' of " + baseDesc;
        if (!(resolve(tag.type(), u.location(), tagWhat) instanceof EnumDraft tagEnum)) {
            throw new SchemaException(u.location(), tagWhat + " must be of enum type");
        }
        if (tag.optional()) {
            throw new SchemaException(u.location(), tagWhat + " must not be optional");
        }
        if (!tag.condition().equals(Condition.ALWAYS)) {
            throw new SchemaException(u.location(), tagWhat + " must not be conditional");
        }
        // Values the union leaves out get an empty branch, with the value's condition.
        List<Qapi.Variant> variants = new ArrayList<>(u.branches());
        Set<String> covered = new HashSet<>();
        for (Qapi.Variant v : u.branches()) {
            covered.add(v.name());
        }
        Set<String> values = new LinkedHashSet<>();
        for (Qapi.Value v : tagEnum.type().values()) {
            values.add(v.name());
            if (!covered.contains(v.name())) {
                variants.add(new Qapi.Variant(v.name(), EMPTY, v.condition()));
            }
        }
        if (variants.isEmpty()) {
            throw new SchemaException(u.location(), what + " has no branches");
        }
        Map<String, String> baseNames = new HashMap<>();
        for (Qapi.Member m : base) {
            baseNames.put(QapiSyntax.cName(m.name()), m.name());
        }
        for (Qapi.Variant v : variants) {
            String bwhat = "branch '" + v.name() + "' of " + what;
            Draft bd = resolve(v.type(), u.location(), bwhat);
            if (!values.contains(v.name())) {
                throw new SchemaException(u.location(), bwhat + " is not a value of " + kindOf(tagEnum));
            }
            if (!(bd instanceof StructDraft)) {
                throw new SchemaException(u.location(), bwhat + " requires a struct type, found " + kindOf(bd));
            }
            Qapi.ObjectType bt = (Qapi.ObjectType) checkType(bd);
            for (Qapi.Member m : bt.members()) {
                String clash = baseNames.get(QapiSyntax.cName(m.name()));
                if (clash != null) {
                    throw new SchemaException(u.location(), "member '" + m.name() + "' of type '" + bt.name()
                            + "' (" + bwhat + ") collides with member '" + clash + "' of " + baseDesc);
                }
            }
        }
        checking.remove(u.name());
        return new Qapi.ObjectType(u.name(), u.condition(), base, u.base(), tag.name(), List.copyOf(variants),
                u.features(), false, u.location());
    }

    private Qapi.Alternate checkAlternate(AlternateDraft ad) {
        Qapi.Alternate a = ad.type();
        String what = describe(ad);
        checkTypeFeatures(a.features(), a.location(), what);
        Map<String, String> names = new HashMap<>();
        Map<String, String> byQtype = new HashMap<>();
        for (Qapi.Variant v : a.branches()) {
            String bwhat = "branch '" + v.name() + "' of " + what;
            String clash = names.putIfAbsent(QapiSyntax.cName(v.name()), v.name());
            if (clash != null) {
                throw new SchemaException(a.location(), bwhat + " collides with branch '" + clash + "'");
            }
            Draft bd = resolve(v.type(), a.location(), bwhat);
            String qtype = qtype(bd);
            if (qtype == null) {
                throw new SchemaException(a.location(), bwhat + " cannot use " + kindOf(bd));
            }
            // A value given as a string (as on QEMU's command line) could also be read as a
            // number or a boolean: QEMU forbids branches it could not tell apart.
            Set<String> conflicting = new LinkedHashSet<>();
            conflicting.add(qtype);
            if (qtype.equals("string")) {
                if (bd instanceof EnumDraft e) {
                    for (Qapi.Value val : e.type().values()) {
                        if (val.name().equals("on") || val.name().equals("off")) {
                            conflicting.add("boolean");
                        }
                        if (!val.name().isEmpty() && "-+0123456789.".indexOf(val.name().charAt(0)) >= 0) {
                            conflicting.add("number");
                        }
                    }
                } else {
                    conflicting.add("number");
                    conflicting.add("boolean");
                }
            }
            for (String qt : conflicting) {
                String other = byQtype.get(qt);
                if (other != null) {
                    throw new SchemaException(a.location(), bwhat + " can't be distinguished from '" + other + "'");
                }
            }
            for (String qt : conflicting) {
                byQtype.put(qt, v.name());
            }
        }
        return a;
    }

    /** The JSON kind a value of the type has, which picks an alternate's branch; null for any and alternates. */
    private String qtype(Draft d) {
        return switch (d) {
            case Predefined p -> p.type() instanceof Qapi.Builtin b ? switch (b.jsonType()) {
                case "int", "number" -> "number";
                case "value" -> null;
                default -> b.jsonType();
            } : "string";
            case EnumDraft e -> "string";
            case ArrayDraft a -> "array";
            case StructDraft s -> "object";
            case UnionDraft u -> "object";
            case AlternateDraft a -> null;
            case CommandDraft c -> null;
            case EventDraft ev -> null;
        };
    }

    /** A command's or event's argument type: a struct, or a union with {@code 'boxed': true}. */
    private void checkArgType(String arg, boolean boxed, SourceLocation loc, String what) {
        if (arg == null) {
            return;
        }
        String role = "'data' of " + what;
        Draft d = resolve(arg, loc, role);
        if (d instanceof UnionDraft) {
            if (!boxed) {
                throw new SchemaException(loc, role + " can take " + kindOf(d) + " only with 'boxed': true");
            }
        } else if (!(d instanceof StructDraft)) {
            throw new SchemaException(loc, role + " cannot take " + kindOf(d));
        }
    }

    private Qapi.Command checkCommand(CommandDraft cd) {
        Qapi.Command c = cd.command();
        String what = describe(cd);
        checkArgType(c.argType(), c.boxed(), c.location(), what);
        if (c.retType() != null) {
            String role = "'returns' of " + what;
            Draft d = resolve(c.retType(), c.location(), role);
            Draft element = d instanceof ArrayDraft a ? drafts.get(a.element()) : d;
            if (!cd.pragma().commandReturnsException(c.name())
                    && !(element instanceof StructDraft || element instanceof UnionDraft)) {
                throw new SchemaException(c.location(), role + " cannot take " + kindOf(d)
                        + " (only objects and arrays of objects, unless pragma 'command-returns-exceptions' lists it)");
            }
        }
        return c;
    }

    private Qapi.Event checkEvent(EventDraft ed) {
        Qapi.Event e = ed.event();
        checkArgType(e.argType(), e.boxed(), e.location(), describe(ed));
        return e;
    }

    /** Commands and events grouped by the module that defines them, modules in {@code modules} order. */
    private List<Qapi.Entity> inModuleOrder(List<String> modules) {
        Map<String, List<Qapi.Entity>> byModule = new LinkedHashMap<>();
        for (String m : modules) {
            byModule.put(m, new ArrayList<>());
        }
        for (Qapi.Entity e : entities) {
            SourceLocation loc = e instanceof Qapi.Command c ? c.location() : ((Qapi.Event) e).location();
            byModule.computeIfAbsent(loc.file(), f -> new ArrayList<>()).add(e);
        }
        List<Qapi.Entity> out = new ArrayList<>();
        byModule.values().forEach(out::addAll);
        return List.copyOf(out);
    }

    // ---- pass 3: prune by the defines ----

    private Result prune(Qapi.Checked model) {
        Map<String, SchemaType> types = new LinkedHashMap<>();
        for (Qapi.Type t : checked.values()) {
            if (t.condition().holds(defines)) {
                types.put(t.name(), pruned(t));
            }
        }
        for (SchemaType t : types.values()) {
            checkKeptReferences(t, types);
        }
        List<CommandDef> commands = new ArrayList<>();
        List<EventDef> events = new ArrayList<>();
        for (Qapi.Entity e : entities) {
            if (!e.condition().holds(defines)) {
                continue;
            }
            switch (e) {
                case Qapi.Command c -> {
                    String what = "command '" + c.name() + "'";
                    requireKept(c.argType(), types, c.location(), "'data' of " + what);
                    requireKept(c.retType(), types, c.location(), "'returns' of " + what);
                    commands.add(new CommandDef(c.name(), c.argType(), c.retType(), c.boxed(), c.gen(),
                            c.successResponse(), c.allowOob(), c.allowPreconfig(), c.coroutine(), kept(c.features()),
                            c.location()));
                }
                case Qapi.Event ev -> {
                    requireKept(ev.argType(), types, ev.location(), "'data' of event '" + ev.name() + "'");
                    events.add(new EventDef(ev.name(), ev.argType(), ev.boxed(), kept(ev.features()), ev.location()));
                }
            }
        }
        return new Result(model, types, List.copyOf(commands), List.copyOf(events));
    }

    private SchemaType pruned(Qapi.Type t) {
        return switch (t) {
            case Qapi.Builtin b -> new SchemaType.BuiltinType(b.name(), b.jsonType());
            case Qapi.Enumeration e -> {
                List<SchemaType.EnumValue> values = new ArrayList<>();
                for (Qapi.Value v : e.values()) {
                    if (v.condition().holds(defines)) {
                        values.add(new SchemaType.EnumValue(v.name(), kept(v.features())));
                    }
                }
                yield new SchemaType.EnumType(e.name(), List.copyOf(values), kept(e.features()), e.location());
            }
            case Qapi.ArrayOf a -> new SchemaType.ArrayType(a.name(), a.element());
            case Qapi.ObjectType o -> {
                List<SchemaType.Member> members = new ArrayList<>();
                for (Qapi.Member m : o.members()) {
                    if (m.condition().holds(defines)) {
                        members.add(new SchemaType.Member(m.name(), m.type(), m.optional(), kept(m.features())));
                    }
                }
                yield new SchemaType.ObjectType(o.name(), List.copyOf(members), o.base(), o.tag(),
                        keptVariants(o.variants()), kept(o.features()), o.implicit(), o.location());
            }
            case Qapi.Alternate a -> new SchemaType.AlternateType(a.name(), keptVariants(a.branches()),
                    kept(a.features()), a.location());
        };
    }

    private List<SchemaType.Variant> keptVariants(List<Qapi.Variant> variants) {
        List<SchemaType.Variant> out = new ArrayList<>();
        for (Qapi.Variant v : variants) {
            if (v.condition().holds(defines)) {
                out.add(new SchemaType.Variant(v.name(), v.type()));
            }
        }
        return List.copyOf(out);
    }

    private List<String> kept(List<Qapi.Feature> features) {
        List<String> out = new ArrayList<>();
        for (Qapi.Feature f : features) {
            if (f.condition().holds(defines)) {
                out.add(f.name());
            }
        }
        return List.copyOf(out);
    }

    /**
     * A kept type may refer only to kept types. QEMU's generator cannot see this (it leaves
     * conditions to the C compiler, which then fails); here it is a load error.
     */
    private void checkKeptReferences(SchemaType t, Map<String, SchemaType> types) {
        switch (t) {
            case SchemaType.ArrayType a -> { } // kept exactly when its element is
            case SchemaType.ObjectType o -> {
                String what = describe(drafts.get(o.name()));
                for (SchemaType.Member m : o.members()) {
                    requireKept(m.type(), types, o.location(), "member '" + m.name() + "' of " + what);
                }
                Set<String> tagValues = new HashSet<>();
                if (o.isUnion()) {
                    SchemaType tag = types.get(o.members().stream().filter(m -> m.name().equals(o.tag())).findFirst()
                            .orElseThrow().type());
                    if (tag instanceof SchemaType.EnumType e) {
                        e.values().forEach(v -> tagValues.add(v.name()));
                    }
                }
                for (SchemaType.Variant v : o.variants()) {
                    String bwhat = "branch '" + v.name() + "' of union '" + o.name() + "'";
                    requireKept(v.type(), types, o.location(), bwhat);
                    if (!tagValues.contains(v.name())) {
                        throw new SchemaException(o.location(), bwhat + " is kept, but its 'if' condition leaves out"
                                + " that value of the discriminator's enum");
                    }
                }
            }
            case SchemaType.AlternateType a -> {
                for (SchemaType.Variant v : a.branches()) {
                    requireKept(v.type(), types, a.location(), "branch '" + v.name() + "' of alternate '"
                            + a.name() + "'");
                }
            }
            default -> { }
        }
    }

    private void requireKept(String type, Map<String, SchemaType> types, SourceLocation loc, String what) {
        if (type != null && !types.containsKey(type)) {
            Draft d = drafts.get(type);
            Draft shown = d instanceof ArrayDraft a ? drafts.get(a.element()) : d;
            throw new SchemaException(loc, what + " uses type '" + type + "', which its 'if' condition leaves out"
                    + " (" + describe(shown) + " at " + shown.location() + ")");
        }
    }
}
