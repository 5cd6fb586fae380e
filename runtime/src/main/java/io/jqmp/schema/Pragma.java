package io.jqmp.schema;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pragmas of one schema tree: a root file and everything it includes share them, and a
 * pragma applies to the whole tree wherever it appears, as in QEMU's generator (a later
 * {@code 'pragma'} replaces a list an earlier one set). Written only while the tree is read,
 * read-only afterwards; not thread-safe while reading.
 */
final class Pragma {
    /** No pragmas. */
    static final Pragma NONE = new Pragma();

    private static final Set<String> LISTS = Set.of("command-name-exceptions", "command-returns-exceptions",
            "member-name-exceptions");

    private boolean docRequired;
    /** Commands whose names may contain '_'. */
    private List<String> commandNameExceptions = List.of();
    /** Commands that may return a type other than an object or an array of objects. */
    private List<String> commandReturnsExceptions = List.of();
    /** Types whose member (or enum value) names may contain upper case and '_'. */
    private List<String> memberNameExceptions = List.of();

    boolean docRequired() {
        return docRequired;
    }

    boolean commandNameException(String command) {
        return commandNameExceptions.contains(command);
    }

    boolean commandReturnsException(String command) {
        return commandReturnsExceptions.contains(command);
    }

    boolean memberNameException(String type) {
        return memberNameExceptions.contains(type);
    }

    /** Applies {@code { 'pragma': value }} found at {@code where}. */
    void apply(Object value, SourceLocation where) {
        if (!(value instanceof Map<?, ?> pragma)) {
            throw new SchemaException(where, "value of 'pragma' must be an object");
        }
        for (Map.Entry<?, ?> p : pragma.entrySet()) {
            String name = (String) p.getKey();
            Object v = p.getValue();
            if (name.equals("doc-required")) {
                if (!(v instanceof Boolean b)) {
                    throw new SchemaException(where, "pragma 'doc-required' must be boolean");
                }
                docRequired = b;
            } else if (LISTS.contains(name)) {
                if (!(v instanceof List<?> l) || !l.stream().allMatch(x -> x instanceof String)) {
                    throw new SchemaException(where, "pragma " + name + " must be a list of strings");
                }
                List<String> names = l.stream().map(String.class::cast).toList();
                switch (name) {
                    case "command-name-exceptions" -> commandNameExceptions = names;
                    case "command-returns-exceptions" -> commandReturnsExceptions = names;
                    default -> memberNameExceptions = names;
                }
            } else {
                throw new SchemaException(where, "unknown pragma '" + name + "'");
            }
        }
    }
}
