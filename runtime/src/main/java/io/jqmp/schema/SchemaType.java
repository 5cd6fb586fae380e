package io.jqmp.schema;

import java.util.List;

/**
 * A resolved type of a {@link Schema}. Types refer to each other by name; look names up with
 * {@link Schema#type(String)}. Array types are named {@code ElementList} as in QEMU, implicit
 * object types (inline command/event arguments, inline union bases) {@code q_obj_NAME-arg} and
 * {@code q_obj_NAME-base}, and the empty object type {@code q_empty}. All records are immutable.
 */
public sealed interface SchemaType {
    /**
     * The type's name.
     *
     * @return e.g. {@code str}, {@code BlockInfo}, {@code BlockInfoList}
     */
    String name();

    /**
     * A built-in type.
     *
     * @param name     e.g. {@code str}, {@code int}, {@code uint64}, {@code any}
     * @param jsonType the JSON type reported by introspection: string, number, int, boolean, null
     *                 or value
     */
    record BuiltinType(String name, String jsonType) implements SchemaType {
    }

    /**
     * An enumeration.
     *
     * @param name     the type's name
     * @param values   the values whose {@code if} conditions hold, in declaration order
     * @param features feature names
     * @param location where it is declared
     */
    record EnumType(String name, List<EnumValue> values, List<String> features, SourceLocation location)
            implements SchemaType {
    }

    /**
     * One enumeration value.
     *
     * @param name     the value, as on the wire
     * @param features feature names
     */
    record EnumValue(String name, List<String> features) {
    }

    /**
     * An array.
     *
     * @param name        {@code ElementList}
     * @param elementType the element type's name
     */
    record ArrayType(String name, String elementType) implements SchemaType {
    }

    /**
     * A struct, or a union when {@code tag} is not null.
     *
     * @param name     the type's name
     * @param members  flattened: base members first, in declaration order
     * @param base     the base type's name, or null
     * @param tag      a union's discriminator member, or null for a struct
     * @param variants for a union, one entry per value of the discriminator enum, in the order of
     *                 the union's {@code data}, then the values it did not list (which use
     *                 {@code q_empty}); empty for a struct
     * @param features feature names
     * @param implicit whether the schema made it up (inline arguments or bases)
     * @param location where it is declared
     */
    record ObjectType(String name, List<Member> members, String base, String tag, List<Variant> variants,
            List<String> features, boolean implicit, SourceLocation location) implements SchemaType {
        /**
         * Whether this is a union.
         *
         * @return true when there is a discriminator
         */
        public boolean isUnion() {
            return tag != null;
        }
    }

    /**
     * A member of an object type.
     *
     * @param name     the member's name
     * @param type     its type's name
     * @param optional whether it may be absent ({@code *name} in the schema)
     * @param features feature names
     */
    record Member(String name, String type, boolean optional, List<String> features) {
    }

    /**
     * A union variant or an alternate branch.
     *
     * @param name the discriminator value (union) or the branch's name (alternate)
     * @param type the variant's type
     */
    record Variant(String name, String type) {
    }

    /**
     * An alternate: the value's JSON type selects one of the branches.
     *
     * @param name     the type's name
     * @param branches one per JSON type it accepts
     * @param features feature names
     * @param location where it is declared
     */
    record AlternateType(String name, List<Variant> branches, List<String> features, SourceLocation location)
            implements SchemaType {
    }
}
