package io.jqmp.schema;

import java.util.List;
import java.util.Map;

/**
 * A checked schema as QEMU's generator sees it: every definition with its {@code 'if'}
 * condition, as if every condition held. Introspection walks this model (so its numbering and
 * its reach do not depend on the defines, as in QEMU), and the defines then prune it into the
 * public one ({@link SchemaType}, {@link CommandDef}, {@link EventDef}). Types refer to each
 * other by name. All records are immutable.
 */
final class Qapi {
    private Qapi() {
    }

    /** The checked schema: every type by name, and the commands and events in module order. */
    record Checked(Map<String, Type> types, List<Entity> entities) {
    }

    /** A type definition. */
    sealed interface Type permits Builtin, Enumeration, ArrayOf, ObjectType, Alternate {
        String name();

        Condition condition();
    }

    /** A built-in type; {@code jsonType} is what introspection reports. */
    record Builtin(String name, String jsonType) implements Type {
        @Override
        public Condition condition() {
            return Condition.ALWAYS;
        }
    }

    record Enumeration(String name, Condition condition, List<Value> values, List<Feature> features,
            SourceLocation location) implements Type {
    }

    /** An array type; it has its element's condition, as in QEMU. */
    record ArrayOf(String name, String element, Condition condition) implements Type {
    }

    /**
     * A struct, or a union when {@code tag} is set. {@code members} are flattened (base members
     * first); a union's {@code variants} list its branches, then one per enum value it left out
     * (type {@code q_empty}, with that value's condition).
     */
    record ObjectType(String name, Condition condition, List<Member> members, String base, String tag,
            List<Variant> variants, List<Feature> features, boolean implicit, SourceLocation location)
            implements Type {
    }

    record Alternate(String name, Condition condition, List<Variant> branches, List<Feature> features,
            SourceLocation location) implements Type {
    }

    record Member(String name, String type, boolean optional, Condition condition, List<Feature> features) {
    }

    /** A union variant or an alternate branch. */
    record Variant(String name, String type, Condition condition) {
    }

    /** An enumeration value. */
    record Value(String name, Condition condition, List<Feature> features) {
    }

    record Feature(String name, Condition condition) {
    }

    /** A command or an event. */
    sealed interface Entity permits Command, Event {
        String name();

        Condition condition();
    }

    /** A command; {@code argType}, {@code retType} are null when absent. */
    record Command(String name, Condition condition, String argType, String retType, boolean boxed, boolean gen,
            boolean successResponse, boolean allowOob, boolean allowPreconfig, boolean coroutine,
            List<Feature> features, SourceLocation location) implements Entity {
    }

    /** An event; {@code argType} is null when it has no data. */
    record Event(String name, Condition condition, String argType, boolean boxed, List<Feature> features,
            SourceLocation location) implements Entity {
    }
}
