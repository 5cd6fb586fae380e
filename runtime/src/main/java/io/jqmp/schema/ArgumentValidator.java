package io.jqmp.schema;

import io.jqmp.protocol.QmpException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Precompiled checks that mirror QEMU's QObject input visitor driven by the generated visitors:
 * members in declaration order (base first), each checked when visited, missing members reported
 * when visited, leftover keys of a struct reported after all its members. Built once per schema;
 * immutable and thread-safe afterwards. Node fields are set only while building (recursive types
 * need a node before its members exist); the nodes are published through the schema's final
 * fields, which makes them safely visible to every thread.
 */
final class ArgumentValidator {

    /** The container a value sits in, for error paths; only rendered when an error is reported. */
    static final class Path {
        final Path parent;
        final String name;
        final int index;

        Path(Path parent, String name, int index) {
            this.parent = parent;
            this.name = name;
            this.index = index;
        }

        void render(StringBuilder sb) {
            if (parent == null) {
                return; // the arguments object itself has no name
            }
            parent.render(sb);
            append(sb, name, index);
        }

        static void append(StringBuilder sb, String name, int index) {
            if (index >= 0) {
                sb.append('[').append(index).append(']');
            } else {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(name);
            }
        }
    }

    static final Path ROOT = new Path(null, null, -1);

    /** QEMU's {@code full_name()}: dotted path of a value visited as {@code name}/{@code index} in {@code in}. */
    static String fullName(Path in, String name, int index) {
        if (in == null) {
            return "<anonymous>";
        }
        StringBuilder sb = new StringBuilder();
        in.render(sb);
        Path.append(sb, name, index);
        return sb.toString();
    }

    /** The bare name QEMU's sized-int, enum and alternate checks use: {@code null} for list elements. */
    static String bareName(String name, int index) {
        return index >= 0 || name == null ? "null" : name;
    }

    static QmpException typeError(Path in, String name, int index, String expected) {
        return new QmpException("Invalid parameter type for '" + fullName(in, name, index) + "', expected: " + expected);
    }

    /** Checks one value; {@code in} is its container, {@code name} or {@code index} its place there. */
    abstract static class Node {
        abstract void check(Object v, Path in, String name, int index);
    }

    static final Node ANY = new Node() {
        @Override
        void check(Object v, Path in, String name, int index) {
        }
    };

    static final Node STR = new Node() {
        @Override
        void check(Object v, Path in, String name, int index) {
            if (!(v instanceof String)) {
                throw typeError(in, name, index, "string");
            }
        }
    };

    static final Node BOOL = new Node() {
        @Override
        void check(Object v, Path in, String name, int index) {
            if (!(v instanceof Boolean)) {
                throw typeError(in, name, index, "boolean");
            }
        }
    };

    static final Node NULL = new Node() {
        @Override
        void check(Object v, Path in, String name, int index) {
            if (v != null) {
                throw typeError(in, name, index, "null");
            }
        }
    };

    static final Node NUMBER = new Node() {
        @Override
        void check(Object v, Path in, String name, int index) {
            if (!(v instanceof Number)) {
                throw typeError(in, name, index, "number");
            }
        }
    };

    static boolean isIntegral(Object v) {
        return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
    }

    /** int, int8..int64: must be an integer that fits int64, then within the C type's range. */
    static final class IntNode extends Node {
        private final long min;
        private final long max;
        private final String cType;

        IntNode(long min, long max, String cType) {
            this.min = min;
            this.max = max;
            this.cType = cType;
        }

        @Override
        void check(Object v, Path in, String name, int index) {
            long x;
            if (isIntegral(v)) {
                x = ((Number) v).longValue();
            } else if (v instanceof BigInteger b && b.bitLength() < 64) {
                x = b.longValue();
            } else {
                throw typeError(in, name, index, "integer");
            }
            if (cType != null && (x < min || x > max)) {
                throw new QmpException("Parameter '" + bareName(name, index) + "' expects " + cType);
            }
        }
    }

    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /**
     * uint8..uint64, size: any integer in int64 or uint64 range (negative values are accepted and
     * wrap, as QEMU does for backward compatibility), then within the C type's range.
     */
    static final class UintNode extends Node {
        private final long max; // unsigned
        private final String cType;

        UintNode(long max, String cType) {
            this.max = max;
            this.cType = cType;
        }

        @Override
        void check(Object v, Path in, String name, int index) {
            long u;
            if (isIntegral(v)) {
                u = ((Number) v).longValue();
            } else if (v instanceof BigInteger b && b.signum() >= 0 && b.compareTo(UINT64_MAX) <= 0) {
                u = b.longValue();
            } else if (v instanceof BigInteger b && b.bitLength() < 64) {
                u = b.longValue();
            } else {
                throw new QmpException("Parameter '" + fullName(in, name, index) + "' expects uint64");
            }
            if (cType != null && Long.compareUnsigned(u, max) > 0) {
                throw new QmpException("Parameter '" + bareName(name, index) + "' expects " + cType);
            }
        }
    }

    /** An enum: a string first (type error), then one of the values. */
    static final class EnumNode extends Node {
        private final Set<String> values;

        EnumNode(Set<String> values) {
            this.values = values;
        }

        @Override
        void check(Object v, Path in, String name, int index) {
            if (!(v instanceof String s)) {
                throw typeError(in, name, index, "string");
            }
            if (!values.contains(s)) {
                throw new QmpException("Parameter '" + bareName(name, index) + "' does not accept value '" + s + "'");
            }
        }
    }

    static final class ArrayNode extends Node {
        Node element;

        @Override
        void check(Object v, Path in, String name, int index) {
            if (!(v instanceof List<?> list)) {
                throw typeError(in, name, index, "array");
            }
            if (list.isEmpty()) {
                return;
            }
            Path here = new Path(in, name, index);
            int i = 0;
            for (Object e : list) {
                element.check(e, here, null, i++);
            }
        }
    }

    /** The members of a struct or of one union branch, in visiting order. */
    static final class Members {
        final String[] names;
        final boolean[] optional;
        final Node[] nodes;

        Members(String[] names, boolean[] optional, Node[] nodes) {
            this.names = names;
            this.optional = optional;
            this.nodes = nodes;
        }

        /** Visits every member; returns how many keys of {@code map} were consumed. */
        int visit(Map<?, ?> map, Path here) {
            int consumed = 0;
            for (int i = 0; i < names.length; i++) {
                String n = names[i];
                Object v = map.get(n);
                if (v == null && !map.containsKey(n)) {
                    if (optional[i]) {
                        continue;
                    }
                    throw new QmpException("Parameter '" + fullName(here, n, -1) + "' is missing");
                }
                consumed++;
                nodes[i].check(v, here, n, -1);
            }
            return consumed;
        }
    }

    /** A struct or union; {@code tag} and {@code branches} are set for unions. */
    static final class ObjectNode extends Node {
        Members members;
        String tag;
        Map<String, Members> branches;
        Set<String> known;
        Map<String, Set<String>> knownByBranch;

        @Override
        void check(Object v, Path in, String name, int index) {
            if (!(v instanceof Map<?, ?> map)) {
                throw typeError(in, name, index, "object");
            }
            checkMembers(map, in == null ? ROOT : new Path(in, name, index));
        }

        void checkMembers(Map<?, ?> map, Path here) {
            int consumed = members.visit(map, here);
            Set<String> allowed = known;
            if (tag != null) {
                Object value = map.get(tag); // already checked as an enum value by the base visit
                Members branch = branches.get(value);
                consumed += branch.visit(map, here);
                allowed = knownByBranch.get(value);
            }
            if (consumed != map.size()) {
                // Several unexpected keys: name the one QEMU's GLib hash table yields first.
                List<String> visitOrder = new ArrayList<>(List.of(members.names));
                if (tag != null) {
                    visitOrder.addAll(List.of(branches.get(map.get(tag)).names));
                }
                @SuppressWarnings("unchecked")
                Map<String, ?> dict = (Map<String, ?>) map;
                String k = GlibHashOrder.firstUnexpected(dict, allowed, visitOrder);
                if (k != null) {
                    throw new QmpException("Parameter '" + fullName(here, k, -1) + "' is unexpected");
                }
            }
        }
    }

    /** An alternate: the value's JSON type picks the branch; QEMU names the alternate type if none fits. */
    static final class AlternateNode extends Node {
        final String typeName;
        Node object;
        Node array;
        Node string;
        Node number;
        Node bool;
        Node nul;

        AlternateNode(String typeName) {
            this.typeName = typeName;
        }

        @Override
        void check(Object v, Path in, String name, int index) {
            Node branch;
            if (v instanceof Map) {
                branch = object;
            } else if (v instanceof List) {
                branch = array;
            } else if (v instanceof String) {
                branch = string;
            } else if (v instanceof Number) {
                branch = number;
            } else if (v instanceof Boolean) {
                branch = bool;
            } else {
                branch = v == null ? nul : null;
            }
            if (branch == null) {
                throw new QmpException("Invalid parameter type for '" + bareName(name, index) + "', expected: "
                        + typeName);
            }
            branch.check(v, in, name, index);
        }
    }

    // ---- building the plans ----

    private final Map<String, SchemaType> types;
    private final Map<String, Node> nodes = new HashMap<>();

    ArgumentValidator(Map<String, SchemaType> types) {
        this.types = types;
    }

    /** The node for {@code typeName}, built once and shared (recursive types refer to themselves). */
    Node node(String typeName) {
        Node n = nodes.get(typeName);
        if (n != null) {
            return n;
        }
        SchemaType t = types.get(typeName);
        switch (t) {
            case SchemaType.BuiltinType b -> n = builtin(b.name());
            case SchemaType.EnumType e -> {
                Set<String> values = new HashSet<>();
                for (SchemaType.EnumValue v : e.values()) {
                    values.add(v.name());
                }
                n = new EnumNode(Set.copyOf(values));
            }
            case SchemaType.ArrayType a -> {
                ArrayNode an = new ArrayNode();
                nodes.put(typeName, an);
                an.element = node(a.elementType());
                n = an;
            }
            case SchemaType.ObjectType o -> {
                ObjectNode on = new ObjectNode();
                nodes.put(typeName, on);
                fillObject(on, o);
                n = on;
            }
            case SchemaType.AlternateType a -> {
                AlternateNode an = new AlternateNode(a.name());
                nodes.put(typeName, an);
                for (SchemaType.Variant b : a.branches()) {
                    Node bn = node(b.type());
                    switch (kind(b.type())) {
                        case "object" -> an.object = bn;
                        case "array" -> an.array = bn;
                        case "string" -> an.string = bn;
                        case "number" -> an.number = bn;
                        case "boolean" -> an.bool = bn;
                        default -> an.nul = bn;
                    }
                }
                n = an;
            }
        }
        nodes.put(typeName, n);
        return n;
    }

    private String kind(String typeName) {
        return switch (types.get(typeName)) {
            case SchemaType.BuiltinType b -> switch (b.jsonType()) {
                case "int", "number" -> "number";
                default -> b.jsonType();
            };
            case SchemaType.EnumType e -> "string";
            case SchemaType.ArrayType a -> "array";
            default -> "object";
        };
    }

    private Members members(List<SchemaType.Member> list) {
        String[] names = new String[list.size()];
        boolean[] optional = new boolean[list.size()];
        Node[] ns = new Node[list.size()];
        for (int i = 0; i < names.length; i++) {
            SchemaType.Member m = list.get(i);
            names[i] = m.name();
            optional[i] = m.optional();
            ns[i] = node(m.type());
        }
        return new Members(names, optional, ns);
    }

    private void fillObject(ObjectNode on, SchemaType.ObjectType o) {
        on.members = members(o.members());
        Set<String> known = new HashSet<>();
        for (SchemaType.Member m : o.members()) {
            known.add(m.name());
        }
        on.known = Set.copyOf(known);
        if (o.isUnion()) {
            on.tag = o.tag();
            on.branches = new HashMap<>();
            on.knownByBranch = new HashMap<>();
            for (SchemaType.Variant v : o.variants()) {
                SchemaType.ObjectType bt = (SchemaType.ObjectType) types.get(v.type());
                on.branches.put(v.name(), members(bt.members()));
                Set<String> all = new HashSet<>(known);
                for (SchemaType.Member m : bt.members()) {
                    all.add(m.name());
                }
                on.knownByBranch.put(v.name(), Set.copyOf(all));
            }
        }
    }

    private static Node builtin(String name) {
        return switch (name) {
            case "str" -> STR;
            case "bool" -> BOOL;
            case "null" -> NULL;
            case "number" -> NUMBER;
            case "any" -> ANY;
            case "int", "int64" -> new IntNode(Long.MIN_VALUE, Long.MAX_VALUE, null);
            case "int8" -> new IntNode(Byte.MIN_VALUE, Byte.MAX_VALUE, "int8_t");
            case "int16" -> new IntNode(Short.MIN_VALUE, Short.MAX_VALUE, "int16_t");
            case "int32" -> new IntNode(Integer.MIN_VALUE, Integer.MAX_VALUE, "int32_t");
            case "uint8" -> new UintNode(0xffL, "uint8_t");
            case "uint16" -> new UintNode(0xffffL, "uint16_t");
            case "uint32" -> new UintNode(0xffffffffL, "uint32_t");
            case "uint64", "size" -> new UintNode(-1L, null);
            default -> throw new IllegalArgumentException(name);
        };
    }
}
