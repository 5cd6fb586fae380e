package io.jqmp.schema;

import java.util.List;

/**
 * A resolved type of a {@link Schema}. Types refer to each other by name; look names up with
 * {@link Schema#type(String)}. Array types are named {@code ElementList} as in QEMU, implicit
 * object types (inline command/event arguments, inline union bases) {@code q_obj_NAME-arg} and
 * {@code q_obj_NAME-base}, and the empty object type {@code q_empty}. All records are immutable.
 */
public sealed interface SchemaType {
    /** The type's name. */
    String name();

    /**
     * A built-in type.
     *
     * @param jsonType the JSON type reported by introspection: string, number, int, boolean, null
     *                 or value
     */
    record BuiltinType(String name, String jsonType) implements SchemaType {
    }

    /** An enumeration; {@code values} are the surviving values in declaration order. */
    record EnumType(String name, List<EnumValue> values, List<String> features, SourceLocation location)
            implements SchemaType {
    }

    /** One enumeration value with its features. */
    record EnumValue(String name, List<String> features) {
    }

    /** An array of {@code elementType}. */
    record ArrayType(String name, String elementType) implements SchemaType {
    }

    /**
     * A struct, or a union when {@code tag} is not null. {@code members} are flattened: base
     * members first, in declaration order. For a union, {@code variants} has one entry per value
     * of the discriminator enum, in the order of the union's {@code data}, then the values it did
     * not list (which use {@code q_empty}).
     */
    record ObjectType(String name, List<Member> members, String base, String tag, List<Variant> variants,
            List<String> features, boolean implicit, SourceLocation location) implements SchemaType {
        /** Whether this is a union. */
        public boolean isUnion() {
            return tag != null;
        }
    }

    /** A member of an object type. */
    record Member(String name, String type, boolean optional, List<String> features) {
    }

    /** A union variant ({@code name} is the discriminator value) or an alternate branch. */
    record Variant(String name, String type) {
    }

    /** An alternate: the value's JSON type selects one of {@code branches}. */
    record AlternateType(String name, List<Variant> branches, List<String> features, SourceLocation location)
            implements SchemaType {
    }
}
