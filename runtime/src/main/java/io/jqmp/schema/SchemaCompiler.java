package io.jqmp.schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns QAPI expressions into resolved entities: checks keys and flags, evaluates {@code 'if'},
 * defines every entity in one namespace (as QEMU does), then resolves type references, flattens
 * bases and checks unions, alternates, commands and events. Single use, not thread-safe.
 */
final class SchemaCompiler {
    static final List<String> META_TYPES = List.of("enum", "struct", "union", "alternate", "command", "event");

    private static final Map<String, List<String[]>> KEYS = Map.of(
            "command", List.of(new String[] {"command"}, new String[] {"data", "returns", "boxed", "if",
                "features", "gen", "success-response", "allow-oob", "allow-preconfig", "coroutine"}),
            "struct", List.of(new String[] {"struct", "data"}, new String[] {"base", "if", "features"}),
            "enum", List.of(new String[] {"enum", "data"}, new String[] {"if", "features", "prefix"}),
            "union", List.of(new String[] {"union", "base", "discriminator", "data"},
                new String[] {"if", "features"}),
            "alternate", List.of(new String[] {"alternate", "data"}, new String[] {"if", "features"}),
            "event", List.of(new String[] {"event"}, new String[] {"data", "boxed", "if", "features"}));

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
        BUILTINS.put("null", "null");
        BUILTINS.put("any", "value");
    }

    // ---- drafts: what an expression says, before type references are resolved ----

    private record MemberDraft(String name, Object typeRef, boolean optional, List<String> features) {
    }

    /** {@code what} describes the struct in messages; implicit types name their owner. */
    private record StructDraft(String name, String base, List<MemberDraft> members, List<String> features,
            boolean implicit, String what, SourceLocation loc) {
    }

    private record UnionDraft(String name, String base, String discriminator, List<String[]> branches,
            List<String> features, SourceLocation loc) {
    }

    private record AlternateDraft(String name, List<Object[]> branches, List<String> features, SourceLocation loc) {
    }

    private record CommandDraft(Map<String, Object> expr, String name, String data, Object returns,
            List<String> features, SourceLocation loc) {
    }

    private record EventDraft(Map<String, Object> expr, String name, String data, List<String> features,
            SourceLocation loc) {
    }

    /** The compiled result. */
    record Result(Map<String, SchemaType> types, List<Object> entities, List<QapiParser.Expr> kept) {
    }

    private final Set<String> defines;
    /** Every defined name (types, commands, events) to what defines it, for duplicate checks. */
    private final Map<String, Object> drafts = new LinkedHashMap<>();
    private final Map<String, SchemaType> types = new LinkedHashMap<>();
    private final List<Object> entityDrafts = new ArrayList<>();
    private final List<QapiParser.Expr> kept = new ArrayList<>();
    private final Set<String> resolving = new HashSet<>();

    SchemaCompiler(Set<String> defines) {
        this.defines = defines;
    }

    Result compile(List<QapiParser.Expr> exprs) {
        for (Map.Entry<String, String> b : BUILTINS.entrySet()) {
            types.put(b.getKey(), new SchemaType.BuiltinType(b.getKey(), b.getValue()));
        }
        types.put(EMPTY, new SchemaType.ObjectType(EMPTY, List.of(), null, null, List.of(), List.of(), true, null));
        for (QapiParser.Expr e : exprs) {
            define(e);
        }
        for (Object d : drafts.values()) {
            if (d instanceof StructDraft || d instanceof UnionDraft || d instanceof AlternateDraft) {
                resolveType(nameOf(d));
            }
        }
        List<Object> entities = new ArrayList<>();
        for (Object d : entityDrafts) {
            entities.add(d instanceof CommandDraft c ? resolveCommand(c) : resolveEvent((EventDraft) d));
        }
        return new Result(types, entities, kept);
    }

    // ---- pass 1: syntax checks, conditions, definitions ----

    private void define(QapiParser.Expr e) {
        Map<String, Object> x = e.value();
        SourceLocation loc = e.location();
        String meta = null;
        for (String m : META_TYPES) {
            if (x.containsKey(m)) {
                meta = m;
                break;
            }
        }
        if (meta == null) {
            throw new SchemaException(loc, "expression is missing metatype");
        }
        if (!(x.get(meta) instanceof String name)) {
            throw new SchemaException(loc, "'" + meta + "' requires a string name");
        }
        checkKeys(x, loc, meta, KEYS.get(meta).get(0), KEYS.get(meta).get(1));
        if (meta.equals("command") || meta.equals("event")) {
            checkFlags(x, loc);
        }
        String what = meta + " '" + name + "'";
        if (x.containsKey("if") && !condition(x.get("if"), loc, what)) {
            return;
        }
        List<String> features = features(x.get("features"), loc, what);
        if (!meta.equals("command") && !meta.equals("event") && name.endsWith("List")) {
            throw new SchemaException(loc, what + " name should not end in 'List'");
        }
        kept.add(e);
        switch (meta) {
            case "enum" -> add(name, defineEnum(name, x.get("data"), features, loc), loc);
            case "struct" -> {
                Object base = x.get("base");
                if (base != null && !(base instanceof String)) {
                    throw new SchemaException(loc, "'base' for " + what + " should be a type name");
                }
                add(name, new StructDraft(name, (String) base, members(x.get("data"), loc, what), features, false,
                        what, loc), loc);
            }
            case "union" -> add(name, defineUnion(name, x, features, loc), loc);
            case "alternate" -> add(name, defineAlternate(name, x.get("data"), features, loc), loc);
            case "command" -> {
                Object data = x.get("data");
                if (Boolean.TRUE.equals(x.get("boxed")) && data == null) {
                    throw new SchemaException(loc, "'boxed': true requires 'data'");
                }
                CommandDraft c = new CommandDraft(x, name, argType(name, data, x, loc, what), x.get("returns"),
                        features, loc);
                add(name, c, loc);
                entityDrafts.add(c);
            }
            default -> {
                Object data = x.get("data");
                if (Boolean.TRUE.equals(x.get("boxed")) && data == null) {
                    throw new SchemaException(loc, "'boxed': true requires 'data'");
                }
                EventDraft ev = new EventDraft(x, name, argType(name, data, x, loc, what), features, loc);
                add(name, ev, loc);
                entityDrafts.add(ev);
            }
        }
    }

    private void add(String name, Object draft, SourceLocation loc) {
        if (BUILTINS.containsKey(name) || name.equals(EMPTY)) {
            throw new SchemaException(loc, "built-in type '" + name + "' is already defined");
        }
        Object old = drafts.putIfAbsent(name, draft);
        if (old != null) {
            throw new SchemaException(loc, "'" + name + "' is already defined (previous definition at "
                    + locationOf(old) + ")");
        }
    }

    /** Inline members become an implicit struct {@code q_obj_NAME-arg}; no members mean no type. */
    private String argType(String name, Object data, Map<String, Object> x, SourceLocation loc, String what) {
        if (data == null) {
            return null;
        }
        if (data instanceof String s) {
            return s;
        }
        if (Boolean.TRUE.equals(x.get("boxed"))) {
            throw new SchemaException(loc, "'data' for " + what + " should be a type name");
        }
        List<MemberDraft> members = members(data, loc, what);
        if (members.isEmpty()) {
            return null;
        }
        String implicit = "q_obj_" + name + "-arg";
        add(implicit, new StructDraft(implicit, null, members, List.of(), true, what, loc), loc);
        return implicit;
    }

    private static void checkKeys(Map<String, Object> x, SourceLocation loc, String source, String[] required,
            String[] optional) {
        Set<String> missing = new TreeSet<>();
        for (String r : required) {
            if (!x.containsKey(r)) {
                missing.add(r);
            }
        }
        if (!missing.isEmpty()) {
            throw new SchemaException(loc, source + " misses key" + (missing.size() > 1 ? "s " : " ") + list(missing));
        }
        Set<String> allowed = new TreeSet<>(List.of(required));
        allowed.addAll(List.of(optional));
        Set<String> unknown = new TreeSet<>(x.keySet());
        unknown.removeAll(allowed);
        if (!unknown.isEmpty()) {
            throw new SchemaException(loc, source + " has unknown key" + (unknown.size() > 1 ? "s " : " ")
                    + list(unknown) + "; valid keys are " + list(allowed));
        }
    }

    private static String list(Set<String> names) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append('\'').append(n).append('\'');
        }
        return sb.toString();
    }

    private static void checkFlags(Map<String, Object> x, SourceLocation loc) {
        for (String k : new String[] {"gen", "success-response"}) {
            if (x.containsKey(k) && !Boolean.FALSE.equals(x.get(k))) {
                throw new SchemaException(loc, "flag '" + k + "' may only use false value");
            }
        }
        for (String k : new String[] {"boxed", "allow-oob", "allow-preconfig", "coroutine"}) {
            if (x.containsKey(k) && !Boolean.TRUE.equals(x.get(k))) {
                throw new SchemaException(loc, "flag '" + k + "' may only use true value");
            }
        }
        if (x.containsKey("allow-oob") && x.containsKey("coroutine")) {
            throw new SchemaException(loc, "flags 'allow-oob' and 'coroutine' are incompatible");
        }
    }

    /** Checks the syntax of an {@code 'if'} condition and evaluates it against the defines. */
    private boolean condition(Object cond, SourceLocation loc, String what) {
        if (cond instanceof String s) {
            if (s.isEmpty()) {
                throw new SchemaException(loc, "'if' condition '' of " + what + " makes no sense");
            }
            return defines.contains(s);
        }
        if (!(cond instanceof Map<?, ?> m)) {
            throw new SchemaException(loc, "'if' condition of " + what + " must be a string or an object");
        }
        if (m.size() != 1) {
            throw new SchemaException(loc, "'if' condition of " + what + " must have exactly one of 'all', 'any',"
                    + " 'not'");
        }
        Map.Entry<?, ?> only = m.entrySet().iterator().next();
        Object op = only.getKey();
        Object arg = only.getValue();
        if (op.equals("not")) {
            return !condition(arg, loc, what);
        }
        if (!op.equals("all") && !op.equals("any")) {
            throw new SchemaException(loc, "'if' condition of " + what + " has unknown key '" + op + "'");
        }
        if (!(arg instanceof List<?> l) || l.isEmpty()) {
            throw new SchemaException(loc, "'" + op + "' condition of " + what + " must be a non-empty array");
        }
        boolean all = op.equals("all");
        boolean result = all;
        for (Object c : l) {
            boolean v = condition(c, loc, what); // evaluate every operand so each is syntax-checked
            result = all ? result && v : result || v;
        }
        return result;
    }

    private List<String> features(Object f, SourceLocation loc, String what) {
        if (f == null) {
            return List.of();
        }
        if (!(f instanceof List<?> l)) {
            throw new SchemaException(loc, "'features' of " + what + " must be an array");
        }
        List<String> out = new ArrayList<>();
        for (Object item : l) {
            String name;
            if (item instanceof String s) {
                name = s;
            } else if (item instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> fm = (Map<String, Object>) m;
                checkKeys(fm, loc, "feature of " + what, new String[] {"name"}, new String[] {"if"});
                if (!(fm.get("name") instanceof String s)) {
                    throw new SchemaException(loc, "feature name of " + what + " must be a string");
                }
                name = s;
                if (fm.containsKey("if") && !condition(fm.get("if"), loc, "feature '" + s + "'")) {
                    continue;
                }
            } else {
                throw new SchemaException(loc, "'features' of " + what + " must contain strings or objects");
            }
            if (out.contains(name)) {
                throw new SchemaException(loc, "feature '" + name + "' of " + what + " is duplicated");
            }
            out.add(name);
        }
        return List.copyOf(out);
    }

    private List<MemberDraft> members(Object data, SourceLocation loc, String what) {
        if (!(data instanceof Map<?, ?> m)) {
            throw new SchemaException(loc, "'data' for " + what + " should be an object");
        }
        List<MemberDraft> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Map.Entry<?, ?> entry : m.entrySet()) {
            String key = (String) entry.getKey();
            boolean optional = key.startsWith("*");
            String name = optional ? key.substring(1) : key;
            if (name.isEmpty()) {
                throw new SchemaException(loc, what + " has a member with an empty name");
            }
            Object type = entry.getValue();
            List<String> features = List.of();
            if (type instanceof Map<?, ?> longForm) {
                @SuppressWarnings("unchecked")
                Map<String, Object> lf = (Map<String, Object>) longForm;
                String mwhat = "member '" + name + "' of " + what;
                checkKeys(lf, loc, mwhat, new String[] {"type"}, new String[] {"if", "features"});
                if (lf.containsKey("if") && !condition(lf.get("if"), loc, mwhat)) {
                    continue;
                }
                features = features(lf.get("features"), loc, mwhat);
                type = lf.get("type");
            }
            checkTypeRef(type, loc, "member '" + name + "' of " + what);
            if (!seen.add(name)) {
                throw new SchemaException(loc, "member '" + name + "' of " + what + " collides with member '"
                        + name + "'");
            }
            out.add(new MemberDraft(name, type, optional, features));
        }
        return out;
    }

    private static void checkTypeRef(Object type, SourceLocation loc, String what) {
        if (type instanceof String) {
            return;
        }
        if (type instanceof List<?> l) {
            if (l.size() != 1 || !(l.get(0) instanceof String)) {
                throw new SchemaException(loc, what + ": array type must contain single type name");
            }
            return;
        }
        throw new SchemaException(loc, what + " should be a type name");
    }

    private SchemaType.EnumType defineEnum(String name, Object data, List<String> features, SourceLocation loc) {
        String what = "enum '" + name + "'";
        if (!(data instanceof List<?> l)) {
            throw new SchemaException(loc, "'data' for " + what + " must be an array");
        }
        List<SchemaType.EnumValue> values = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Object v : l) {
            String vname;
            List<String> vfeatures = List.of();
            if (v instanceof String s) {
                vname = s;
            } else if (v instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> vm = (Map<String, Object>) m;
                checkKeys(vm, loc, "value of " + what, new String[] {"name"}, new String[] {"if", "features"});
                if (!(vm.get("name") instanceof String s)) {
                    throw new SchemaException(loc, "value of " + what + " requires a string name");
                }
                vname = s;
                String vwhat = "value '" + s + "' of " + what;
                if (vm.containsKey("if") && !condition(vm.get("if"), loc, vwhat)) {
                    continue;
                }
                vfeatures = features(vm.get("features"), loc, vwhat);
            } else {
                throw new SchemaException(loc, "'data' for " + what + " must contain strings or objects");
            }
            if (!seen.add(vname)) {
                throw new SchemaException(loc, "value '" + vname + "' of " + what + " is duplicated");
            }
            values.add(new SchemaType.EnumValue(vname, vfeatures));
        }
        return new SchemaType.EnumType(name, List.copyOf(values), features, loc);
    }

    private UnionDraft defineUnion(String name, Map<String, Object> x, List<String> features, SourceLocation loc) {
        String what = "union '" + name + "'";
        Object base = x.get("base");
        String baseName;
        if (base instanceof String s) {
            baseName = s;
        } else if (base instanceof Map) {
            baseName = "q_obj_" + name + "-base";
            add(baseName, new StructDraft(baseName, null, members(base, loc, what), List.of(), true, what, loc),
                    loc);
        } else {
            throw new SchemaException(loc, "'base' for " + what + " should be a type name or an object");
        }
        if (!(x.get("discriminator") instanceof String disc)) {
            throw new SchemaException(loc, "'discriminator' of " + what + " must be a string");
        }
        if (!(x.get("data") instanceof Map<?, ?> data)) {
            throw new SchemaException(loc, "'data' for " + what + " should be an object");
        }
        List<String[]> branches = new ArrayList<>();
        for (Map.Entry<?, ?> b : data.entrySet()) {
            String bname = (String) b.getKey();
            String bwhat = "branch '" + bname + "' of " + what;
            Object type = branchType(b.getValue(), loc, bwhat);
            if (type == CONDITION_FALSE) {
                continue;
            }
            if (!(type instanceof String t)) {
                throw new SchemaException(loc, bwhat + " should be a type name");
            }
            branches.add(new String[] {bname, t});
        }
        return new UnionDraft(name, baseName, disc, branches, features, loc);
    }

    /** What {@link #branchType} returns for a branch whose 'if' is false. */
    private static final Object CONDITION_FALSE = new Object();

    /** A union or alternate branch's type, short form or long form; {@link #CONDITION_FALSE} when its 'if' is false. */
    private Object branchType(Object type, SourceLocation loc, String bwhat) {
        if (type instanceof Map<?, ?> lf) {
            @SuppressWarnings("unchecked")
            Map<String, Object> lfm = (Map<String, Object>) lf;
            checkKeys(lfm, loc, bwhat, new String[] {"type"}, new String[] {"if"});
            if (lfm.containsKey("if") && !condition(lfm.get("if"), loc, bwhat)) {
                return CONDITION_FALSE;
            }
            return lfm.get("type");
        }
        return type;
    }

    private AlternateDraft defineAlternate(String name, Object data, List<String> features, SourceLocation loc) {
        String what = "alternate '" + name + "'";
        if (!(data instanceof Map<?, ?> m) || m.isEmpty()) {
            throw new SchemaException(loc, "'data' for " + what + " should be a non-empty object");
        }
        List<Object[]> branches = new ArrayList<>();
        for (Map.Entry<?, ?> b : m.entrySet()) {
            String bname = (String) b.getKey();
            String bwhat = "branch '" + bname + "' of " + what;
            Object type = branchType(b.getValue(), loc, bwhat);
            if (type == CONDITION_FALSE) {
                continue;
            }
            checkTypeRef(type, loc, bwhat);
            branches.add(new Object[] {bname, type});
        }
        return new AlternateDraft(name, branches, features, loc);
    }

    // ---- pass 2: resolution ----

    private static String nameOf(Object d) {
        return switch (d) {
            case StructDraft s -> s.name();
            case UnionDraft u -> u.name();
            case AlternateDraft a -> a.name();
            case CommandDraft c -> c.name();
            case EventDraft e -> e.name();
            case SchemaType t -> t.name();
            default -> throw new IllegalStateException();
        };
    }

    private static SourceLocation locationOf(Object d) {
        return switch (d) {
            case StructDraft s -> s.loc();
            case UnionDraft u -> u.loc();
            case AlternateDraft a -> a.loc();
            case CommandDraft c -> c.loc();
            case EventDraft e -> e.loc();
            case SchemaType.EnumType t -> t.location();
            default -> null;
        };
    }

    /** Resolves a reference ({@code 'T'} or {@code ['T']}) to a type name, creating array types. */
    private String typeRef(Object ref, SourceLocation loc, String what) {
        if (ref instanceof List<?> l) {
            String elem = typeRef(l.get(0), loc, what);
            String name = elem + "List";
            types.computeIfAbsent(name, n -> new SchemaType.ArrayType(n, elem));
            return name;
        }
        String name = (String) ref;
        SchemaType t = resolveType(name);
        if (t == null) {
            Object d = drafts.get(name);
            if (d instanceof CommandDraft || d instanceof EventDraft) {
                throw new SchemaException(loc, what + " uses " + (d instanceof CommandDraft ? "command" : "event")
                        + " '" + name + "' as a type");
            }
            throw new SchemaException(loc, what + " uses unknown type '" + name + "'");
        }
        return name;
    }

    /** The resolved type named {@code name}, resolving its draft on first use; null if none. */
    private SchemaType resolveType(String name) {
        SchemaType t = types.get(name);
        if (t != null) {
            return t;
        }
        Object d = drafts.get(name);
        if (d instanceof SchemaType st) {
            types.put(name, st);
            return st;
        }
        if (!(d instanceof StructDraft || d instanceof UnionDraft || d instanceof AlternateDraft)) {
            return null;
        }
        if (!resolving.add(name)) {
            throw new SchemaException(locationOf(d), "object '" + name + "' contains itself");
        }
        SchemaType resolved = switch (d) {
            case StructDraft s -> resolveStruct(s);
            case UnionDraft u -> resolveUnion(u);
            default -> resolveAlternate((AlternateDraft) d);
        };
        resolving.remove(name);
        types.put(name, resolved);
        return resolved;
    }

    private List<SchemaType.Member> baseMembers(String base, SourceLocation loc, String what) {
        if (base == null) {
            return List.of();
        }
        // Only a base needs resolving before us; member types may refer back to us (recursion).
        SchemaType b = resolveType(base);
        if (b == null) {
            throw new SchemaException(loc, "'base' for " + what + " uses unknown type '" + base + "'");
        }
        if (!(b instanceof SchemaType.ObjectType o) || o.isUnion()) {
            throw new SchemaException(loc, "'base' for " + what + " requires a struct type, found '" + base + "'");
        }
        return o.members();
    }

    private List<SchemaType.Member> resolveMembers(List<MemberDraft> drafts, List<SchemaType.Member> inherited,
            String baseName, SourceLocation loc, String what) {
        List<SchemaType.Member> out = new ArrayList<>(inherited);
        Set<String> names = new HashSet<>();
        for (SchemaType.Member m : inherited) {
            names.add(m.name());
        }
        for (MemberDraft md : drafts) {
            if (names.contains(md.name())) {
                throw new SchemaException(loc, "member '" + md.name() + "' of " + what
                        + " collides with member '" + md.name() + "' of type '" + baseName + "'");
            }
            names.add(md.name());
            // Member types are resolved lazily below so that recursive structs work.
            out.add(new SchemaType.Member(md.name(), null, md.optional(), md.features()));
        }
        return out;
    }

    private SchemaType.ObjectType resolveStruct(StructDraft s) {
        String what = s.what();
        List<SchemaType.Member> base = baseMembers(s.base(), s.loc(), what);
        List<SchemaType.Member> members = resolveMembers(s.members(), base, s.base(), s.loc(), what);
        // Publish a placeholder first: member types may refer back to this struct.
        SchemaType.ObjectType placeholder = new SchemaType.ObjectType(s.name(), members, s.base(), null, List.of(),
                s.features(), s.implicit(), s.loc());
        types.put(s.name(), placeholder);
        resolving.remove(s.name());
        List<SchemaType.Member> typed = new ArrayList<>(base);
        for (MemberDraft md : s.members()) {
            String mwhat = "member '" + md.name() + "' of " + what;
            typed.add(new SchemaType.Member(md.name(), typeRef(md.typeRef(), s.loc(), mwhat), md.optional(),
                    md.features()));
        }
        return new SchemaType.ObjectType(s.name(), List.copyOf(typed), s.base(), null, List.of(), s.features(),
                s.implicit(), s.loc());
    }

    private SchemaType.ObjectType resolveUnion(UnionDraft u) {
        String what = "union '" + u.name() + "'";
        List<SchemaType.Member> base = baseMembers(u.base(), u.loc(), what);
        SchemaType.Member tag = null;
        for (SchemaType.Member m : base) {
            if (m.name().equals(u.discriminator())) {
                tag = m;
            }
        }
        String baseDesc = u.base().startsWith("q_obj_") ? "base" : "base type '" + u.base() + "'";
        if (tag == null) {
            throw new SchemaException(u.loc(), "discriminator '" + u.discriminator() + "' is not a member of "
                    + baseDesc);
        }
        if (tag.optional()) {
            throw new SchemaException(u.loc(), "discriminator member '" + tag.name() + "' of " + baseDesc
                    + " must not be optional");
        }
        if (!(types.get(tag.type()) instanceof SchemaType.EnumType tagEnum)) {
            throw new SchemaException(u.loc(), "discriminator member '" + tag.name() + "' of " + baseDesc
                    + " must be of enum type");
        }
        // Publish a placeholder: branch members may refer back to this union.
        types.put(u.name(), new SchemaType.ObjectType(u.name(), base, u.base(), tag.name(), List.of(),
                u.features(), false, u.loc()));
        resolving.remove(u.name());
        Set<String> values = new LinkedHashSet<>();
        for (SchemaType.EnumValue v : tagEnum.values()) {
            values.add(v.name());
        }
        List<SchemaType.Variant> variants = new ArrayList<>();
        Set<String> covered = new HashSet<>();
        Set<String> baseNames = new HashSet<>();
        for (SchemaType.Member m : base) {
            baseNames.add(m.name());
        }
        for (String[] b : u.branches()) {
            String bwhat = "branch '" + b[0] + "' of " + what;
            if (!values.contains(b[0])) {
                throw new SchemaException(u.loc(), bwhat + " is not a value of enum type '" + tagEnum.name() + "'");
            }
            SchemaType bt = resolveType(b[1]);
            if (bt == null) {
                throw new SchemaException(u.loc(), bwhat + " uses unknown type '" + b[1] + "'");
            }
            if (!(bt instanceof SchemaType.ObjectType bo) || bo.isUnion()) {
                throw new SchemaException(u.loc(), bwhat + " requires a struct type, found '" + b[1] + "'");
            }
            for (SchemaType.Member m : bo.members()) {
                if (baseNames.contains(m.name())) {
                    throw new SchemaException(u.loc(), "member '" + m.name() + "' of type '" + b[1]
                            + "' collides with member '" + m.name() + "' of " + baseDesc);
                }
            }
            covered.add(b[0]);
            variants.add(new SchemaType.Variant(b[0], b[1]));
        }
        for (String v : values) {
            if (!covered.contains(v)) {
                variants.add(new SchemaType.Variant(v, EMPTY)); // unlisted branches are empty, as in QEMU
            }
        }
        return new SchemaType.ObjectType(u.name(), base, u.base(), tag.name(), List.copyOf(variants), u.features(),
                false, u.loc());
    }

    private SchemaType.AlternateType resolveAlternate(AlternateDraft a) {
        String what = "alternate '" + a.name() + "'";
        types.put(a.name(), new SchemaType.AlternateType(a.name(), List.of(), a.features(), a.loc()));
        resolving.remove(a.name());
        List<SchemaType.Variant> branches = new ArrayList<>();
        Map<String, String> byJsonType = new HashMap<>();
        for (Object[] b : a.branches()) {
            String bname = (String) b[0];
            String bwhat = "branch '" + bname + "' of " + what;
            String type = typeRef(b[1], a.loc(), bwhat);
            String jt = jsonKind(type);
            if (jt == null || type.equals(a.name())) {
                throw new SchemaException(a.loc(), bwhat + " cannot use type '" + type + "'");
            }
            String clash = byJsonType.putIfAbsent(jt, bname);
            if (clash != null) {
                throw new SchemaException(a.loc(), bwhat + " can't be distinguished from '" + clash + "'");
            }
            branches.add(new SchemaType.Variant(bname, type));
        }
        return new SchemaType.AlternateType(a.name(), List.copyOf(branches), a.features(), a.loc());
    }

    /** The JSON kind a value of {@code type} has on the wire, for alternate dispatch; null for any/alternate. */
    String jsonKind(String type) {
        SchemaType t = types.get(type);
        return switch (t) {
            case SchemaType.BuiltinType b -> switch (b.jsonType()) {
                case "int", "number" -> "number";
                case "value" -> null;
                default -> b.jsonType();
            };
            case SchemaType.EnumType e -> "string";
            case SchemaType.ArrayType arr -> "array";
            case SchemaType.ObjectType o -> "object";
            default -> null;
        };
    }

    private String entityArgType(String arg, boolean boxed, SourceLocation loc, String role) {
        if (arg == null) {
            return null;
        }
        typeRef(arg, loc, role);
        SchemaType t = types.get(arg);
        if (t instanceof SchemaType.ObjectType o) {
            if (o.isUnion() && !boxed) {
                throw new SchemaException(loc, role + " can take union type '" + arg + "' only with 'boxed': true");
            }
            return arg;
        }
        if (t instanceof SchemaType.AlternateType && boxed) {
            return arg;
        }
        throw new SchemaException(loc, role + " cannot take type '" + arg + "'");
    }

    private CommandDef resolveCommand(CommandDraft c) {
        Map<String, Object> x = c.expr();
        boolean boxed = x.containsKey("boxed");
        String arg = entityArgType(c.data(), boxed, c.loc(), "command's 'data'");
        String ret = null;
        if (c.returns() != null) {
            checkTypeRef(c.returns(), c.loc(), "command's 'returns'");
            ret = typeRef(c.returns(), c.loc(), "command's 'returns'");
        }
        return new CommandDef(c.name(), arg, ret, boxed, !x.containsKey("gen"), !x.containsKey("success-response"),
                x.containsKey("allow-oob"), x.containsKey("allow-preconfig"), x.containsKey("coroutine"),
                c.features(), c.loc());
    }

    private EventDef resolveEvent(EventDraft e) {
        boolean boxed = e.expr().containsKey("boxed");
        String arg = entityArgType(e.data(), boxed, e.loc(), "event's 'data'");
        return new EventDef(e.name(), arg, boxed, e.features(), e.loc());
    }
}
