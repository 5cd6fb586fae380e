package io.jqmp.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code ##} documentation block, checked with the rules of QEMU 7.2's generator (its text
 * is not kept). A block whose first line is {@code # @NAME:} documents the definition NAME: then
 * {@code @member:} lines start member sections, {@code Features:} starts the feature sections,
 * and {@code Returns:}, {@code Since:}, {@code Note:}, {@code Example:}, {@code TODO:} (and their
 * plurals) start other sections, after which member lines may not come. Any other block is
 * free-form. Built by {@link QapiParser} line by line; not thread-safe while built, read-only
 * afterwards.
 */
final class DocComment {
    private static final Set<String> SECTION_TAGS = Set.of("Returns:", "Since:", "Note:", "Notes:", "Example:",
            "Examples:", "TODO:");
    private static final Pattern ARG_HEAD = Pattern.compile("@\\S*:\\s*");
    private static final Pattern TAG_HEAD = Pattern.compile("\\S*:\\s*");
    private static final Pattern LEADING_SPACE = Pattern.compile("\\s*");
    private static final Pattern SYMBOL_LINE = Pattern.compile("(@\\S+:).*", Pattern.DOTALL);

    /** What the next line continues. */
    private enum Part { BODY, ARGS, FEATURES, OTHER }

    /** A section: its name (null for the body and untagged ones), the indent its lines keep, its text. */
    private static final class Section {
        final String name;
        final int indent;
        final StringBuilder text = new StringBuilder();

        Section(String name, int indent) {
            this.name = name;
            this.indent = indent;
        }
    }

    /** The {@code ##} line that opens the block. */
    final SourceLocation location;
    private String symbol;
    private final Section body = new Section(null, 0);
    private final Map<String, Section> args = new LinkedHashMap<>();
    private final Map<String, Section> features = new LinkedHashMap<>();
    private final List<Section> sections = new ArrayList<>();
    private Section current = body;
    private Part part = Part.BODY;
    /** Where the line being appended is, for errors. */
    private SourceLocation at;

    DocComment(SourceLocation location) {
        this.location = location;
    }

    /** The definition the block documents, or null for free-form documentation. */
    String symbol() {
        return symbol;
    }

    /** Whether the body has text yet (a {@code # =} heading then starts a new block). */
    boolean hasBodyText() {
        return body.text.length() > 0;
    }

    private SchemaException error(String message) {
        return new SchemaException(at, message);
    }

    /** Adds one comment line, {@code #} included, read at {@code where}. */
    void append(String line, SourceLocation where) {
        at = where;
        line = line.substring(1);
        if (line.isEmpty()) {
            freeform(line);
            return;
        }
        if (line.charAt(0) != ' ') {
            throw error("missing space after #");
        }
        line = line.substring(1);
        switch (part) {
            case BODY -> bodyLine(line);
            case ARGS -> argsLine(line, args);
            case FEATURES -> argsLine(line, features);
            case OTHER -> otherLine(line);
        }
    }

    /** Ends the block at its closing {@code ##}. */
    void end(SourceLocation where) {
        at = where;
        switchTo(null);
    }

    private static String firstWord(String line) {
        int space = line.indexOf(' ');
        return space < 0 ? line : line.substring(0, space);
    }

    private static boolean isArgHead(String word) {
        return word.startsWith("@") && word.endsWith(":");
    }

    private void bodyLine(String line) {
        String word = firstWord(line);
        if (symbol == null && body.text.length() == 0 && line.startsWith("@")) {
            if (!line.endsWith(":")) {
                throw error("line should end with ':'");
            }
            symbol = line.substring(1, line.length() - 1);
            if (symbol.isEmpty()) {
                throw error("name required after '@'");
            }
        } else if (symbol != null) {
            if (isArgHead(word)) {
                part = Part.ARGS;
                argsLine(line, args);
            } else if (line.equals("Features:")) {
                part = Part.FEATURES;
            } else if (SECTION_TAGS.contains(word)) {
                part = Part.OTHER;
                otherLine(line);
            } else {
                freeform(line);
            }
        } else {
            freeform(line);
        }
    }

    /** A line of the member ({@code into == args}) or feature sections. */
    private void argsLine(String line, Map<String, Section> into) {
        String word = firstWord(line);
        if (isArgHead(word)) {
            // "@arg:   text": later lines keep the indent of the text.
            Matcher m = ARG_HEAD.matcher(line);
            m.lookingAt();
            int indent = m.end();
            String rest = line.substring(indent);
            if (rest.isEmpty()) {
                indent = 0;
            } else {
                rest = " ".repeat(indent) + rest;
            }
            startSymbolSection(into, word.substring(1, word.length() - 1), indent);
            freeform(rest);
            return;
        }
        if (SECTION_TAGS.contains(word)) {
            part = Part.OTHER;
            otherLine(line);
            return;
        }
        if (endsWithBlankLine() && !line.isEmpty() && !Character.isWhitespace(line.charAt(0))) {
            if (into == args && line.equals("Features:")) {
                part = Part.FEATURES;
            } else {
                startSection(null, 0);
                part = Part.OTHER;
                otherLine(line);
            }
            return;
        }
        freeform(line);
    }

    private boolean endsWithBlankLine() {
        int n = current.text.length();
        return n >= 2 && current.text.charAt(n - 1) == '\n' && current.text.charAt(n - 2) == '\n';
    }

    private void otherLine(String line) {
        String word = firstWord(line);
        if (isArgHead(word)) {
            throw error("'" + word + "' can't follow '" + sections.get(0).name + "' section");
        }
        if (SECTION_TAGS.contains(word)) {
            Matcher m = TAG_HEAD.matcher(line);
            m.lookingAt();
            int indent = m.end();
            line = line.substring(indent);
            if (line.isEmpty()) {
                indent = 0;
            } else {
                line = " ".repeat(indent) + line;
            }
            startSection(word.substring(0, word.length() - 1), indent);
        }
        freeform(line);
    }

    private void startSymbolSection(Map<String, Section> into, String name, int indent) {
        if (name.isEmpty()) {
            throw error("invalid parameter name");
        }
        if (into.containsKey(name)) {
            throw error("'" + name + "' parameter name duplicated");
        }
        Section s = new Section(name, indent);
        switchTo(s);
        into.put(name, s);
    }

    private void startSection(String name, int indent) {
        if (("Returns".equals(name) || "Since".equals(name))
                && sections.stream().anyMatch(s -> name.equals(s.name))) {
            throw error("duplicated '" + name + "' section");
        }
        Section s = new Section(name, indent);
        switchTo(s);
        sections.add(s);
    }

    /** Ends the current section (every one but the body needs text) and makes {@code next} current. */
    private void switchTo(Section next) {
        String text = current.text.toString().strip();
        current.text.setLength(0);
        current.text.append(text);
        if (current != body && text.isEmpty()) {
            throw error("empty doc section '" + current.name + "'");
        }
        current = next;
    }

    private void freeform(String line) {
        Matcher m = SYMBOL_LINE.matcher(line);
        if (m.matches()) {
            throw error("'" + m.group(1) + "' not allowed in free-form documentation");
        }
        if (!line.isEmpty()) {
            Matcher lead = LEADING_SPACE.matcher(line);
            lead.lookingAt();
            if (lead.end() < current.indent) {
                throw error("unexpected de-indent (expected at least " + current.indent + " spaces)");
            }
            line = line.substring(current.indent);
        }
        current.text.append(line.stripTrailing()).append('\n');
    }

    /**
     * Checks the block against the definition it documents, as QEMU does: the symbol names it,
     * {@code Returns:} is for commands, every feature is documented, and every documented member
     * and feature exists.
     *
     * @param members  the names of its members (values, branches) that the block may document
     * @param featured every feature of it, its members' and its values' included
     */
    void check(String name, String meta, SourceLocation definition, Set<String> members, Set<String> featured) {
        if (!name.equals(symbol)) {
            throw new SchemaException(definition, "documentation comment is for '" + symbol + "'");
        }
        if (!meta.equals("command") && sections.stream().anyMatch(s -> "Returns".equals(s.name))) {
            throw new SchemaException(location, "'Returns:' is only valid for commands");
        }
        for (String f : featured) {
            if (!features.containsKey(f)) {
                throw new SchemaException(definition, "feature '" + f + "' lacks documentation");
            }
        }
        bogus(args.keySet(), members, "member");
        bogus(features.keySet(), featured, "feature");
    }

    private void bogus(Set<String> documented, Set<String> existing, String what) {
        List<String> bogus = documented.stream().filter(n -> !existing.contains(n)).toList();
        if (!bogus.isEmpty()) {
            throw new SchemaException(location, "documented " + what + (bogus.size() > 1 ? "s" : "") + " '"
                    + String.join("', '", bogus) + "' " + (bogus.size() > 1 ? "do" : "does") + " not exist");
        }
    }
}
