package io.jqmp.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The input syntax of {@code jqmp shell}, as QEMU's qmp-shell: {@code COMMAND key=value ...},
 * with dotted keys for nested objects ({@code a.b=1} gives {@code {"a": {"b": 1}}}), values
 * parsed as JSON when they are one JSON value and taken as strings otherwise ({@code true} and
 * {@code false} in any case are booleans). A leading {@code !} on the command, or a first word
 * {@code -o}, sends it out-of-band. A line starting with <code>{</code> is a whole JSON request.
 * Stateless; thread-safe.
 */
final class ShellSyntax {
    private ShellSyntax() {
    }

    /** Words: runs of non-blanks, where quoted parts may contain blanks (qmp-shell's pattern). */
    private static final Pattern WORD = Pattern.compile("(?:[^\\s\"']|\"(?:\\\\.|[^\"])*\"|'(?:\\\\.|[^'])*')+");

    /** One command to send. */
    record Command(boolean oob, String name, Map<String, Object> arguments) {
    }

    /** The words of {@code line}. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(line);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /**
     * Parses one line.
     *
     * @return the command, or {@code null} for a blank line
     * @throws IllegalArgumentException with a message for the user
     */
    @SuppressWarnings("unchecked")
    static Command parse(String line) {
        String trimmed = line.strip();
        if (trimmed.isEmpty()) {
            return null;
        }
        if (trimmed.startsWith("{")) {
            ClientCommands.Parsed p = ClientCommands.parseJson(trimmed);
            if (p == null || !(p.value() instanceof Map)) {
                throw new IllegalArgumentException("not a JSON object: " + trimmed);
            }
            Map<String, Object> req = (Map<String, Object>) p.value();
            boolean oob = req.containsKey("exec-oob");
            Object name = oob ? req.get("exec-oob") : req.get("execute");
            if (!(name instanceof String s)) {
                throw new IllegalArgumentException("a JSON request needs \"execute\" or \"exec-oob\" with a command name");
            }
            Object args = req.get("arguments");
            if (args != null && !(args instanceof Map)) {
                throw new IllegalArgumentException("\"arguments\" must be an object");
            }
            return new Command(oob, s, args == null ? Map.of() : (Map<String, Object>) args);
        }
        List<String> words = words(trimmed);
        boolean oob = false;
        int first = 0;
        if (words.get(0).equals("-o")) {
            oob = true;
            first = 1;
        }
        if (first >= words.size()) {
            throw new IllegalArgumentException("expected a command after -o");
        }
        String name = words.get(first);
        if (name.startsWith("!")) {
            oob = true;
            name = name.substring(1);
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("expected a command after !");
        }
        Map<String, Object> arguments = new LinkedHashMap<>();
        for (String word : words.subList(first + 1, words.size())) {
            put(arguments, word);
        }
        return new Command(oob, name, arguments);
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> root, String word) {
        int eq = word.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("Expected a key=value pair, got '" + word + "'");
        }
        String key = word.substring(0, eq);
        Object value = value(word.substring(eq + 1));
        String[] path = key.split("\\.", -1);
        Map<String, Object> parent = root;
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < path.length - 1; i++) {
            if (i > 0) {
                current.append('.');
            }
            current.append(path[i]);
            Object child = parent.computeIfAbsent(path[i], k -> new LinkedHashMap<String, Object>());
            if (!(child instanceof Map)) {
                throw new IllegalArgumentException("Cannot use \"" + current + "\" as both leaf and non-leaf key");
            }
            parent = (Map<String, Object>) child;
        }
        String leaf = path[path.length - 1];
        if (parent.containsKey(leaf)) {
            if (parent.get(leaf) instanceof Map) {
                throw new IllegalArgumentException("Cannot use \"" + key + "\" as both leaf and non-leaf key");
            }
            throw new IllegalArgumentException("Cannot set \"" + key + "\" multiple times");
        }
        parent.put(leaf, value);
    }

    /** A value: {@code true}/{@code false} in any case, else JSON if it is one JSON value, else the text. */
    static Object value(String text) {
        if (text.equalsIgnoreCase("true")) {
            return Boolean.TRUE;
        }
        if (text.equalsIgnoreCase("false")) {
            return Boolean.FALSE;
        }
        ClientCommands.Parsed p = ClientCommands.parseJson(text);
        return p == null ? text : p.value();
    }
}
