package io.jqmp.proxy;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which commands the proxy passes on, the same for in-band and out-of-band requests. A command
 * is refused when it matches a {@code --deny} pattern, when {@code --allow} patterns are given and
 * it matches none, or, with {@code --read-only}, when it is not {@code query-*} nor in
 * {@link #READ_ONLY_SAFE}. Patterns are globs on the command name: {@code *} any run of
 * characters, {@code ?} one. Immutable.
 *
 * @param allow    patterns of commands passed on (empty: all)
 * @param deny     patterns of commands refused
 * @param readOnly whether only commands that change nothing pass
 */
public record ProxyPolicy(List<String> allow, List<String> deny, boolean readOnly) {

    /** Besides {@code query-*}, the commands {@code --read-only} lets through: they only read state. */
    public static final List<String> READ_ONLY_SAFE = List.of("qmp_capabilities", "x-query-*", "qom-get", "qom-list",
            "qom-list-types", "qom-list-properties", "device-list-properties");

    /** Passes everything. */
    public static final ProxyPolicy OPEN = new ProxyPolicy(List.of(), List.of(), false);

    public ProxyPolicy {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
        for (String p : allow) {
            checkPattern(p);
        }
        for (String p : deny) {
            checkPattern(p);
        }
    }

    /**
     * Why {@code command} is refused, as the text of the error the client gets, or null when it
     * passes. Any thread.
     *
     * @param command the command's name
     * @return the error text, or null
     */
    public String refusal(String command) {
        for (String p : deny) {
            if (matches(p, command)) {
                return refused(command, "it matches --deny '" + p + "'");
            }
        }
        if (!allow.isEmpty() && allow.stream().noneMatch(p -> matches(p, command))) {
            return refused(command, "it matches no --allow pattern");
        }
        if (readOnly && !matches("query-*", command) && READ_ONLY_SAFE.stream().noneMatch(p -> matches(p, command))) {
            return refused(command, "--read-only passes only query-* and " + String.join(", ", READ_ONLY_SAFE));
        }
        return null;
    }

    private static String refused(String command, String why) {
        return "The command " + command + " is refused by this QMP proxy's policy: " + why;
    }

    /** Whether the glob {@code pattern} matches all of {@code name}. */
    static boolean matches(String pattern, String name) {
        return glob(pattern).matcher(name).matches();
    }

    private static Pattern glob(String pattern) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    /** Letters, digits, the QAPI name punctuation and the two wildcards: anything else could never match. */
    private static final Pattern GLOB = Pattern.compile("[A-Za-z0-9_.*?-]+");

    private static void checkPattern(String p) {
        if (p == null || p.isEmpty()) {
            throw new IllegalArgumentException("a command pattern must not be empty");
        }
        if (!GLOB.matcher(p).matches()) {
            throw new IllegalArgumentException("the command pattern '" + p + "' can match no command: a pattern is"
                    + " letters, digits, '-', '_' and '.' with the wildcards * (any run of characters) and ? (one)");
        }
    }
}
