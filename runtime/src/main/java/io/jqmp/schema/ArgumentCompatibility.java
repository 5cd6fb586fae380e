package io.jqmp.schema;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Whether a handler written for one declaration of a command can serve another declaration of
 * it: every argument object the served declaration accepts must be one the handler's declaration
 * accepts too (members, their optionality, enum values, integer ranges, union branches,
 * alternate branches), and the served declaration must not allow out-of-band execution the
 * handler was not written for. Single use, not thread-safe.
 */
final class ArgumentCompatibility {
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private final Map<String, SchemaType> served;
    private final Map<String, SchemaType> handler;
    /** Pairs being compared; meeting one again (recursive types) assumes it fits. */
    private final Set<String> comparing = new HashSet<>();

    private ArgumentCompatibility(Map<String, SchemaType> served, Map<String, SchemaType> handler) {
        this.served = served;
        this.handler = handler;
    }

    /** Why {@code handlerCommand}'s handler cannot serve {@code command}; null when it can. */
    static String check(Schema servedSchema, CommandDef command, Schema handlerSchema, CommandDef handlerCommand) {
        if (!handlerCommand.gen()) {
            return null; // the handler takes its arguments unchecked anyway
        }
        if (!command.gen()) {
            return "it does not check arguments ('gen': false), but the handler expects checked ones";
        }
        if (command.allowOob() && !handlerCommand.allowOob()) {
            return "it allows out-of-band execution, which the handler was not written for";
        }
        String s = command.argType() == null ? SchemaCompiler.EMPTY : command.argType();
        String h = handlerCommand.argType() == null ? SchemaCompiler.EMPTY : handlerCommand.argType();
        return new ArgumentCompatibility(servedSchema.types(), handlerSchema.types()).fits(s, h, "arguments");
    }

    /** Why some value of served type {@code s} is not a value of handler type {@code h}; null if none. */
    private String fits(String s, String h, String path) {
        SchemaType st = served.get(s);
        SchemaType ht = handler.get(h);
        if (ht instanceof SchemaType.BuiltinType b && b.name().equals("any")) {
            return null;
        }
        if (!comparing.add(s + "\u0000" + h)) {
            return null;
        }
        String why = switch (st) {
            case SchemaType.BuiltinType b -> builtin(b, ht, path);
            case SchemaType.EnumType e -> enumeration(e, ht, path);
            case SchemaType.ArrayType a -> ht instanceof SchemaType.ArrayType ha ? fits(a.elementType(), ha.elementType(),
                    path + "[]") : branchOf(st, ht, path);
            case SchemaType.ObjectType o -> ht instanceof SchemaType.ObjectType ho ? object(o, ho, path) : branchOf(st, ht, path);
            case SchemaType.AlternateType a -> alternate(a, ht, path);
        };
        comparing.remove(s + "\u0000" + h);
        return why;
    }

    /** A served value of a plain type is acceptable to a handler alternate through its branch of that JSON kind. */
    private String branchOf(SchemaType st, SchemaType ht, String path) {
        if (ht instanceof SchemaType.AlternateType ha) {
            for (SchemaType.Variant v : ha.branches()) {
                if (kind(handler.get(v.type())).equals(kind(st))) {
                    return fits(st.name(), v.type(), path);
                }
            }
        }
        return path + " is " + describe(st) + ", but the handler takes " + describe(ht);
    }

    private String builtin(SchemaType.BuiltinType b, SchemaType ht, String path) {
        if (!(ht instanceof SchemaType.BuiltinType hb)) {
            return branchOf(b, ht, path);
        }
        if (b.jsonType().equals("int") && hb.name().equals("number")) {
            return null; // QEMU's number accepts integers
        }
        if (!b.jsonType().equals(hb.jsonType())) {
            return path + " is " + describe(b) + ", but the handler takes " + describe(hb);
        }
        if (b.jsonType().equals("int")) {
            BigInteger[] sr = range(b.name());
            BigInteger[] hr = range(hb.name());
            if (sr[0].compareTo(hr[0]) < 0 || sr[1].compareTo(hr[1]) > 0) {
                return path + " is '" + b.name() + "', but the handler takes only '" + hb.name() + "'";
            }
        }
        return null;
    }

    /** The integers the argument check accepts for an integer type (uint64 also takes negatives, as QEMU). */
    private static BigInteger[] range(String type) {
        return switch (type) {
            case "int8" -> bounds(Byte.MIN_VALUE, Byte.MAX_VALUE);
            case "int16" -> bounds(Short.MIN_VALUE, Short.MAX_VALUE);
            case "int32" -> bounds(Integer.MIN_VALUE, Integer.MAX_VALUE);
            case "uint8" -> bounds(0, 0xff);
            case "uint16" -> bounds(0, 0xffff);
            case "uint32" -> bounds(0, 0xffffffffL);
            case "uint64", "size" -> new BigInteger[] {BigInteger.valueOf(Long.MIN_VALUE), UINT64_MAX};
            default -> bounds(Long.MIN_VALUE, Long.MAX_VALUE);
        };
    }

    private static BigInteger[] bounds(long min, long max) {
        return new BigInteger[] {BigInteger.valueOf(min), BigInteger.valueOf(max)};
    }

    private String enumeration(SchemaType.EnumType e, SchemaType ht, String path) {
        if (!(ht instanceof SchemaType.EnumType he)) {
            return branchOf(e, ht, path);
        }
        Set<String> values = new HashSet<>();
        he.values().forEach(v -> values.add(v.name()));
        for (SchemaType.EnumValue v : e.values()) {
            if (!values.contains(v.name())) {
                return path + " may be '" + v.name() + "', which the handler does not take";
            }
        }
        return null;
    }

    private String object(SchemaType.ObjectType o, SchemaType.ObjectType ho, String path) {
        if (o.isUnion() != ho.isUnion() || o.isUnion() && !o.tag().equals(ho.tag())) {
            return path + " is " + describe(o) + ", but the handler takes " + describe(ho);
        }
        for (SchemaType.Member m : o.members()) {
            String mpath = path + "." + m.name();
            SchemaType.Member hm = member(ho, m.name());
            if (hm == null) {
                return mpath + " is not a member the handler takes";
            }
            if (m.optional() && !hm.optional()) {
                return mpath + " is optional, but the handler needs it";
            }
            String why = fits(m.type(), hm.type(), mpath);
            if (why != null) {
                return why;
            }
        }
        for (SchemaType.Member hm : ho.members()) {
            if (!hm.optional() && member(o, hm.name()) == null) {
                return path + " lacks member '" + hm.name() + "', which the handler needs";
            }
        }
        for (SchemaType.Variant v : o.variants()) {
            SchemaType.Variant hv = ho.variants().stream().filter(x -> x.name().equals(v.name())).findFirst().orElse(null);
            if (hv == null) {
                return path + " may have " + o.tag() + " '" + v.name() + "', which the handler does not take";
            }
            String why = fits(v.type(), hv.type(), path + "(" + o.tag() + "=" + v.name() + ")");
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    private static SchemaType.Member member(SchemaType.ObjectType o, String name) {
        for (SchemaType.Member m : o.members()) {
            if (m.name().equals(name)) {
                return m;
            }
        }
        return null;
    }

    private String alternate(SchemaType.AlternateType a, SchemaType ht, String path) {
        for (SchemaType.Variant v : a.branches()) {
            SchemaType branch = served.get(v.type());
            String why;
            if (ht instanceof SchemaType.AlternateType) {
                why = branchOf(branch, ht, path);
            } else {
                why = fits(v.type(), ht.name(), path);
            }
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    /** The JSON kind of a value of {@code t}, which picks an alternate's branch. */
    private static String kind(SchemaType t) {
        return switch (t) {
            case SchemaType.BuiltinType b -> b.jsonType().equals("int") ? "number" : b.jsonType();
            case SchemaType.EnumType e -> "string";
            case SchemaType.ArrayType a -> "array";
            case SchemaType.ObjectType o -> "object";
            case SchemaType.AlternateType a -> "alternate";
        };
    }

    private static String describe(SchemaType t) {
        return switch (t) {
            case SchemaType.BuiltinType b -> "'" + b.name() + "'";
            case SchemaType.EnumType e -> "an enumeration";
            case SchemaType.ArrayType a -> "an array";
            case SchemaType.ObjectType o -> o.isUnion() ? "a union on '" + o.tag() + "'" : "an object";
            case SchemaType.AlternateType a -> "an alternate";
        };
    }
}
