package io.jqmp.schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds query-qmp-schema's {@code [SchemaInfo]} the way QEMU 7.2's generator does, from the
 * checked model where every condition still holds:
 * <ul>
 * <li>commands and events first, module by module (each file's definitions in the order the file
 * was first included), in definition order within a module;</li>
 * <li>then every type they use, in order of first use, where visiting a type may append more
 * types to that queue. Conditional members, branches and definitions count as uses, so a type
 * reachable only through something the defines leave out is still reported, and masked type
 * numbers are handed out as if every condition held;</li>
 * <li>only then the defines drop the entries, members, variants, enum values and features whose
 * condition fails (leaving their numbers unused), as QEMU's C preprocessor does.</li>
 * </ul>
 * Integer types are reported as {@code int}. Each SchemaInfo map gets its type-specific members
 * first, then {@code name}, {@code meta-type} and {@code features}, the generator's insertion
 * order. Single use, not thread-safe.
 */
final class Introspector {
    private static final Qapi.ArrayOf INT_LIST = new Qapi.ArrayOf("intList", "int", Condition.ALWAYS);

    private final Map<String, Qapi.Type> types;
    private final Set<String> defines;
    private final IntrospectOptions options;
    private final Map<String, String> masked = new HashMap<>();
    private final List<Qapi.Type> used = new ArrayList<>();
    private final Set<String> usedNames = new HashSet<>();
    private final List<Object> out = new ArrayList<>();

    Introspector(Qapi.Checked schema, Set<String> defines, IntrospectOptions options) {
        this.types = schema.types();
        this.defines = defines;
        this.options = options;
    }

    List<Object> run(List<Qapi.Entity> entities) {
        for (Qapi.Entity e : entities) {
            Map<String, Object> obj = new LinkedHashMap<>();
            switch (e) {
                case Qapi.Command c -> {
                    obj.put("arg-type", use(c.argType() == null ? SchemaCompiler.EMPTY : c.argType()));
                    obj.put("ret-type", use(c.retType() == null ? SchemaCompiler.EMPTY : c.retType()));
                    if (c.allowOob() || options.allowOobAlways()) {
                        obj.put("allow-oob", c.allowOob());
                    }
                    tree(c.name(), "command", obj, c.condition(), c.features());
                }
                case Qapi.Event ev -> {
                    obj.put("arg-type", use(ev.argType() == null ? SchemaCompiler.EMPTY : ev.argType()));
                    tree(ev.name(), "event", obj, ev.condition(), ev.features());
                }
            }
        }
        // The queue grows while we walk it: a type's members add the types they use.
        for (int i = 0; i < used.size(); i++) {
            visitType(used.get(i));
        }
        return out;
    }

    /** The masked name of a named type: its number in order of first use. */
    private String name(String typeName) {
        if (options.unmask()) {
            return typeName;
        }
        return masked.computeIfAbsent(typeName, n -> Integer.toString(masked.size()));
    }

    /** Queues {@code typeName} and returns the name introspection shows for it. */
    private String use(String typeName) {
        Qapi.Type t = types.get(typeName);
        if (t instanceof Qapi.Builtin b && b.jsonType().equals("int")) {
            t = types.get("int");
        } else if (t instanceof Qapi.ArrayOf a && types.get(a.element()) instanceof Qapi.Builtin b
                && b.jsonType().equals("int")) {
            t = types.getOrDefault("intList", INT_LIST);
        }
        if (usedNames.add(t.name())) {
            used.add(t);
        }
        return switch (t) {
            case Qapi.Builtin b -> b.name();
            case Qapi.ArrayOf a -> "[" + use(a.element()) + "]";
            default -> name(t.name());
        };
    }

    private boolean holds(Condition c) {
        return c.holds(defines);
    }

    /** Appends the entry unless its condition fails (its uses are counted either way). */
    private void tree(String name, String metaType, Map<String, Object> obj, Condition condition,
            List<Qapi.Feature> features) {
        boolean isType = !metaType.equals("command") && !metaType.equals("event") && !metaType.equals("builtin")
                && !metaType.equals("array");
        obj.put("name", isType ? name(name) : name);
        obj.put("meta-type", metaType);
        putFeatures(obj, features);
        if (holds(condition)) {
            out.add(obj);
        }
    }

    /** QEMU emits {@code features} whenever some are declared, then drops those whose condition fails. */
    private void putFeatures(Map<String, Object> obj, List<Qapi.Feature> features) {
        if (features.isEmpty()) {
            return;
        }
        List<Object> names = new ArrayList<>();
        for (Qapi.Feature f : features) {
            if (holds(f.condition())) {
                names.add(f.name());
            }
        }
        obj.put("features", names);
    }

    private void visitType(Qapi.Type t) {
        Map<String, Object> obj = new LinkedHashMap<>();
        switch (t) {
            case Qapi.Builtin b -> {
                obj.put("json-type", b.jsonType());
                tree(b.name(), "builtin", obj, Condition.ALWAYS, List.of());
            }
            case Qapi.Enumeration e -> {
                List<Object> members = new ArrayList<>();
                List<Object> values = new ArrayList<>();
                for (Qapi.Value v : e.values()) {
                    if (holds(v.condition())) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("name", v.name());
                        putFeatures(m, v.features());
                        members.add(m);
                        values.add(v.name());
                    }
                }
                obj.put("members", members);
                obj.put("values", values);
                tree(e.name(), "enum", obj, e.condition(), e.features());
            }
            case Qapi.ArrayOf a -> {
                String element = use(a.element());
                obj.put("element-type", element);
                tree("[" + element + "]", "array", obj, a.condition(), List.of());
            }
            case Qapi.ObjectType o -> {
                List<Object> members = new ArrayList<>();
                for (Qapi.Member m : o.members()) {
                    Map<String, Object> mo = new LinkedHashMap<>();
                    mo.put("name", m.name());
                    mo.put("type", use(m.type()));
                    if (m.optional()) {
                        mo.put("default", null);
                    }
                    putFeatures(mo, m.features());
                    if (holds(m.condition())) {
                        members.add(mo);
                    }
                }
                obj.put("members", members);
                if (o.tag() != null) {
                    obj.put("tag", o.tag());
                    obj.put("variants", variants(o.variants(), "case"));
                }
                tree(o.name(), "object", obj, o.condition(), o.features());
            }
            case Qapi.Alternate a -> {
                obj.put("members", variants(a.branches(), null));
                tree(a.name(), "alternate", obj, a.condition(), a.features());
            }
        }
    }

    /** Union variants ({@code {case, type}}) or alternate members ({@code {type}}). */
    private List<Object> variants(List<Qapi.Variant> variants, String caseKey) {
        List<Object> list = new ArrayList<>();
        for (Qapi.Variant v : variants) {
            Map<String, Object> vo = new LinkedHashMap<>();
            if (caseKey != null) {
                vo.put(caseKey, v.name());
            }
            vo.put("type", use(v.type()));
            if (holds(v.condition())) {
                list.add(vo);
            }
        }
        return list;
    }
}
