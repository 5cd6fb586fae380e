package io.jqmp.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What {@code jqmp shell} offers on TAB: command names (from {@code query-commands}) for the first
 * word, and {@code name=} for the arguments of that command (from {@code query-qmp-schema},
 * nested members as dotted names) after it. Immutable after construction; thread-safe.
 */
final class ShellCompletion {
    /** Depth limit for dotted argument names, so recursive types stay finite. */
    private static final int MAX_DEPTH = 4;

    private final Set<String> commands = new TreeSet<>();
    private final Map<String, List<String>> arguments = new TreeMap<>();

    /**
     * @param commandNames the {@code name}s from {@code query-commands}
     * @param schema       the return value of {@code query-qmp-schema}, or {@code null}
     */
    ShellCompletion(List<String> commandNames, List<?> schema) {
        commands.addAll(commandNames);
        if (schema == null) {
            return;
        }
        Map<String, Map<?, ?>> types = new HashMap<>();
        for (Object o : schema) {
            if (o instanceof Map<?, ?> info && info.get("name") instanceof String name) {
                types.put(name, info);
            }
        }
        for (Map<?, ?> info : types.values()) {
            if ("command".equals(info.get("meta-type")) && info.get("name") instanceof String name
                    && commands.contains(name)) {
                List<String> names = new ArrayList<>();
                collect(types, String.valueOf(info.get("arg-type")), "", 0, new HashSet<>(), names);
                arguments.put(name, names);
            }
        }
    }

    private static void collect(Map<String, Map<?, ?>> types, String type, String prefix, int depth,
                                Set<String> visiting, List<String> out) {
        Map<?, ?> info = types.get(type);
        if (info == null || depth >= MAX_DEPTH || !visiting.add(type)) {
            return;
        }
        if ("object".equals(info.get("meta-type"))) {
            if (info.get("members") instanceof List<?> members) {
                for (Object m : members) {
                    if (m instanceof Map<?, ?> member && member.get("name") instanceof String n) {
                        String full = prefix + n;
                        if (!out.contains(full)) {
                            out.add(full);
                        }
                        collect(types, String.valueOf(member.get("type")), full + ".", depth + 1, visiting, out);
                    }
                }
            }
            if (info.get("variants") instanceof List<?> variants) {
                for (Object v : variants) {
                    if (v instanceof Map<?, ?> variant) {
                        collect(types, String.valueOf(variant.get("type")), prefix, depth, visiting, out);
                    }
                }
            }
        }
        visiting.remove(type);
    }

    /** Command names known. */
    Set<String> commands() {
        return commands;
    }

    /** Argument names of {@code command} (dotted for nested members), in schema order. */
    List<String> arguments(String command) {
        return arguments.getOrDefault(command, List.of());
    }

    /**
     * Candidates for the word at {@code index} of {@code words} (the word may be partial; JLine
     * filters by prefix). Command names for the first word (with a {@code !} kept), else
     * {@code name=} for each argument not given yet.
     */
    List<String> candidates(List<String> words, int index) {
        int first = !words.isEmpty() && words.get(0).equals("-o") ? 1 : 0;
        if (index <= first) {
            String word = index < words.size() ? words.get(index) : "";
            String bang = word.startsWith("!") ? "!" : "";
            List<String> out = new ArrayList<>();
            for (String c : commands) {
                out.add(bang + c);
            }
            return out;
        }
        String command = words.get(first);
        if (command.startsWith("!")) {
            command = command.substring(1);
        }
        Set<String> given = new HashSet<>();
        for (int i = first + 1; i < words.size(); i++) {
            int eq = words.get(i).indexOf('=');
            if (i != index && eq > 0) {
                given.add(words.get(i).substring(0, eq));
            }
        }
        List<String> out = new ArrayList<>();
        for (String a : arguments(command)) {
            if (!given.contains(a)) {
                out.add(a + "=");
            }
        }
        return out;
    }
}
