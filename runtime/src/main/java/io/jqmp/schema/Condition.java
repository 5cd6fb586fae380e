package io.jqmp.schema;

import java.util.List;
import java.util.Set;

/**
 * A QAPI {@code 'if'} condition: a defined name, or {@code all}, {@code any} or {@code not} of
 * conditions. Entities keep their condition until the defines are known, because QEMU's
 * generator checks, numbers and walks a schema as if every condition held and only then lets
 * the C preprocessor drop what the defines rule out. Immutable.
 */
sealed interface Condition {
    /** No {@code 'if'}: always holds. */
    Condition ALWAYS = new All(List.of());

    /** Whether the condition holds when exactly {@code defines} are defined. */
    boolean holds(Set<String> defines);

    /** A name such as {@code CONFIG_VNC}: holds when it is defined. */
    record Defined(String name) implements Condition {
        @Override
        public boolean holds(Set<String> defines) {
            return defines.contains(name);
        }
    }

    /** {@code {'all': [...]}}: every operand holds (also the empty {@link #ALWAYS}). */
    record All(List<Condition> operands) implements Condition {
        @Override
        public boolean holds(Set<String> defines) {
            for (Condition c : operands) {
                if (!c.holds(defines)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** {@code {'any': [...]}}: some operand holds. */
    record Any(List<Condition> operands) implements Condition {
        @Override
        public boolean holds(Set<String> defines) {
            for (Condition c : operands) {
                if (c.holds(defines)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** {@code {'not': ...}}. */
    record Not(Condition operand) implements Condition {
        @Override
        public boolean holds(Set<String> defines) {
            return !operand.holds(defines);
        }
    }
}
