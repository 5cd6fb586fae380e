package io.jqmp.schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds query-qmp-schema's {@code [SchemaInfo]} the way QEMU's introspection generator does:
 * commands and events first, in definition order; then every type they use, in order of first
 * use, where visiting a type may append more types to the end of that queue. Integer types are
 * reported as {@code int}. Each SchemaInfo map gets its type-specific members first, then
 * {@code name}, {@code meta-type} and {@code features}, the generator's insertion order.
 * Single use, not thread-safe.
 */
final class Introspector {
    private final Map<String, SchemaType> types;
    private final IntrospectOptions options;
    private final Map<String, String> masked = new HashMap<>();
    private final List<String> used = new ArrayList<>();
    private final Set<String> usedNames = new HashSet<>();
    private final List<Object> out = new ArrayList<>();

    Introspector(Map<String, SchemaType> types, IntrospectOptions options) {
        this.types = types;
        this.options = options;
        // The empty object type is always "0" (QEMU gets this because its first command takes
        // no arguments; we reserve it so the numbering does not depend on the first command).
        name(SchemaCompiler.EMPTY);
    }

    List<Object> run(List<Object> entities) {
        for (Object e : entities) {
            if (e instanceof CommandDef c) {
                Map<String, Object> obj = new LinkedHashMap<>();
                obj.put("arg-type", use(c.argType() == null ? SchemaCompiler.EMPTY : c.argType()));
                obj.put("ret-type", use(c.retType() == null ? SchemaCompiler.EMPTY : c.retType()));
                if (c.allowOob() || options.allowOobAlways()) {
                    obj.put("allow-oob", c.allowOob());
                }
                tree(c.name(), "command", obj, c.features());
            } else {
                EventDef ev = (EventDef) e;
                Map<String, Object> obj = new LinkedHashMap<>();
                obj.put("arg-type", use(ev.argType() == null ? SchemaCompiler.EMPTY : ev.argType()));
                tree(ev.name(), "event", obj, ev.features());
            }
        }
        // The queue grows while we walk it: a type's members add the types they use.
        for (int i = 0; i < used.size(); i++) {
            visitType(types.get(used.get(i)));
        }
        return out;
    }

    private String name(String typeName) {
        if (options.unmask()) {
            return typeName;
        }
        return masked.computeIfAbsent(typeName, n -> Integer.toString(masked.size()));
    }

    /** Queues {@code typeName} and returns the name introspection shows for it. */
    private String use(String typeName) {
        SchemaType t = types.get(typeName);
        if (t instanceof SchemaType.BuiltinType b && b.jsonType().equals("int")) {
            t = types.get("int");
        } else if (t instanceof SchemaType.ArrayType a && types.get(a.elementType()) instanceof SchemaType.BuiltinType b
                && b.jsonType().equals("int")) {
            t = types.get("intList");
            if (t == null) {
                t = new SchemaType.ArrayType("intList", "int");
            }
        }
        if (usedNames.add(t.name())) {
            used.add(t.name());
        }
        return switch (t) {
            case SchemaType.BuiltinType b -> b.name();
            case SchemaType.ArrayType a -> "[" + use(a.elementType()) + "]";
            default -> name(t.name());
        };
    }

    private void tree(String name, String metaType, Map<String, Object> obj, List<String> features) {
        boolean isType = !metaType.equals("command") && !metaType.equals("event") && !metaType.equals("builtin")
                && !metaType.equals("array");
        obj.put("name", isType ? name(name) : name);
        obj.put("meta-type", metaType);
        if (!features.isEmpty()) {
            obj.put("features", new ArrayList<Object>(features));
        }
        out.add(obj);
    }

    private void visitType(SchemaType t) {
        if (t == null) {
            // intList when the schema itself never declared one: an array of int.
            Map<String, Object> obj = new LinkedHashMap<>();
            obj.put("element-type", "int");
            tree("[int]", "array", obj, List.of());
            return;
        }
        Map<String, Object> obj = new LinkedHashMap<>();
        switch (t) {
            case SchemaType.BuiltinType b -> {
                obj.put("json-type", b.jsonType());
                tree(b.name(), "builtin", obj, List.of());
            }
            case SchemaType.EnumType e -> {
                List<Object> members = new ArrayList<>();
                List<Object> values = new ArrayList<>();
                for (SchemaType.EnumValue v : e.values()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", v.name());
                    if (!v.features().isEmpty()) {
                        m.put("features", new ArrayList<Object>(v.features()));
                    }
                    members.add(m);
                    values.add(v.name());
                }
                obj.put("members", members);
                obj.put("values", values);
                tree(e.name(), "enum", obj, e.features());
            }
            case SchemaType.ArrayType a -> {
                String element = use(a.elementType());
                obj.put("element-type", element);
                tree("[" + element + "]", "array", obj, List.of());
            }
            case SchemaType.ObjectType o -> {
                List<Object> members = new ArrayList<>();
                for (SchemaType.Member m : o.members()) {
                    Map<String, Object> mo = new LinkedHashMap<>();
                    mo.put("name", m.name());
                    mo.put("type", use(m.type()));
                    if (m.optional()) {
                        mo.put("default", null);
                    }
                    if (!m.features().isEmpty()) {
                        mo.put("features", new ArrayList<Object>(m.features()));
                    }
                    members.add(mo);
                }
                obj.put("members", members);
                if (o.isUnion()) {
                    obj.put("tag", o.tag());
                    List<Object> variants = new ArrayList<>();
                    for (SchemaType.Variant v : o.variants()) {
                        Map<String, Object> vo = new LinkedHashMap<>();
                        vo.put("case", v.name());
                        vo.put("type", use(v.type()));
                        variants.add(vo);
                    }
                    obj.put("variants", variants);
                }
                tree(o.name(), "object", obj, o.features());
            }
            case SchemaType.AlternateType a -> {
                List<Object> members = new ArrayList<>();
                for (SchemaType.Variant v : a.branches()) {
                    Map<String, Object> mo = new LinkedHashMap<>();
                    mo.put("type", use(v.type()));
                    members.add(mo);
                }
                obj.put("members", members);
                tree(a.name(), "alternate", obj, a.features());
            }
        }
    }
}
