package io.jqmp.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which commands the proxy passes on, the same for in-band and out-of-band requests. A command
 * is refused when it matches a {@code --deny} pattern, when {@code --allow} patterns are given and
 * it matches none, or, with {@code --read-only}, when it is not {@code query-*} nor in
 * {@link #READ_ONLY_SAFE}. Patterns are globs on the command name: {@code *} any run of
 * characters, {@code ?} one. Each is compiled once, when the policy is built. Immutable; any thread.
 */
public final class ProxyPolicy {

    /** Besides {@code query-*}, the commands {@code --read-only} lets through: they only read state. */
    public static final List<String> READ_ONLY_SAFE = List.of("qmp_capabilities", "x-query-*", "qom-get", "qom-list",
            "qom-list-types", "qom-list-properties", "device-list-properties");

    /** What {@code --read-only} passes: {@code query-*} and {@link #READ_ONLY_SAFE}. */
    private static final List<Glob> READ_ONLY =
            globs(Stream.concat(Stream.of("query-*"), READ_ONLY_SAFE.stream()).toList());

    /** Passes everything. */
    public static final ProxyPolicy OPEN = new ProxyPolicy(List.of(), List.of(), false);

    private final List<Glob> allow;
    private final List<Glob> deny;
    private final boolean readOnly;

    /**
     * @param allow    patterns of commands passed on (empty: all)
     * @param deny     patterns of commands refused
     * @param readOnly whether only commands that change nothing pass
     * @throws IllegalArgumentException a pattern is empty or can match no command
     */
    public ProxyPolicy(List<String> allow, List<String> deny, boolean readOnly) {
        this.allow = globs(allow);
        this.deny = globs(deny);
        this.readOnly = readOnly;
    }

    /**
     * Why {@code command} is refused, as the text of the error the client gets, or null when it
     * passes. Any thread.
     *
     * @param command the command's name
     * @return the error text, or null
     */
    public String refusal(String command) {
        for (Glob g : deny) {
            if (g.matches(command)) {
                return refused(command, "it matches --deny '" + g.text() + "'");
            }
        }
        if (!allow.isEmpty() && !anyMatches(allow, command)) {
            return refused(command, "it matches no --allow pattern");
        }
        if (readOnly && !anyMatches(READ_ONLY, command)) {
            return refused(command, "--read-only passes only query-* and " + String.join(", ", READ_ONLY_SAFE));
        }
        return null;
    }

    private static String refused(String command, String why) {
        return "The command " + command + " is refused by this QMP proxy's policy: " + why;
    }

    private static boolean anyMatches(List<Glob> globs, String command) {
        for (Glob g : globs) {
            if (g.matches(command)) {
                return true;
            }
        }
        return false;
    }

    private static List<Glob> globs(List<String> patterns) {
        List<Glob> globs = new ArrayList<>(patterns.size());
        for (String p : patterns) {
            globs.add(Glob.of(p));
        }
        return List.copyOf(globs);
    }

    /** A glob as given (for refusal texts) and as the regex that matches all of a command name. */
    private record Glob(String text, Pattern regex) {
        /** Letters, digits, the QAPI name punctuation and the two wildcards: anything else could never match. */
        private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_.*?-]+");

        static Glob of(String pattern) {
            if (pattern == null || pattern.isEmpty()) {
                throw new IllegalArgumentException("a command pattern must not be empty");
            }
            if (!VALID.matcher(pattern).matches()) {
                throw new IllegalArgumentException("the command pattern '" + pattern + "' can match no command: a"
                        + " pattern is letters, digits, '-', '_' and '.' with the wildcards * (any run of characters)"
                        + " and ? (one)");
            }
            StringBuilder re = new StringBuilder();
            for (char c : pattern.toCharArray()) {
                switch (c) {
                    case '*' -> re.append(".*");
                    case '?' -> re.append('.');
                    default -> re.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return new Glob(pattern, Pattern.compile(re.toString()));
        }

        boolean matches(String command) {
            return regex.matcher(command).matches();
        }
    }
}
