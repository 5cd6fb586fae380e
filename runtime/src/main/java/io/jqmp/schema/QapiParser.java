package io.jqmp.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parser for QEMU's QAPI schema syntax: a sequence of top-level JSON objects written with
 * single-quoted strings of printable ASCII (the only escape is a doubled backslash), {@code true}/{@code false},
 * {@code #} comments to the end of the line, and {@code ##} documentation blocks between
 * expressions (see {@link DocComment}). Objects become {@code LinkedHashMap} (key order
 * kept), arrays {@code ArrayList}, strings {@code String}, booleans {@code Boolean}. Numbers and
 * {@code null} do not exist in QAPI. Not thread-safe; one instance per text.
 */
final class QapiParser {

    /**
     * One top-level expression, the line it starts on, the pragmas of the schema it was read
     * with (QEMU applies a pragma to every file of the tree it appears in), and the documentation
     * block right before it (null if none).
     */
    record Expr(Map<String, Object> value, SourceLocation location, Pragma pragma, DocComment doc) {
    }

    private final String text;
    private final String file;
    private int pos;
    private int line = 1;

    private QapiParser(String text, String file) {
        this.text = text;
        this.file = file;
    }

    static List<Expr> parse(String text, String file) {
        return new QapiParser(text, file).parseAll();
    }

    private List<Expr> parseAll() {
        List<Expr> exprs = new ArrayList<>();
        DocComment doc = null;
        skipSpace();
        while (pos < text.length()) {
            if (text.startsWith("##", pos)) {
                rejectDoc(doc);
                doc = docBlock();
                skipSpace();
                continue;
            }
            int startLine = line;
            if (!(value() instanceof Map<?, ?> m)) {
                throw new SchemaException(new SourceLocation(file, startLine), "top-level expression must be an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> obj = (Map<String, Object>) m;
            if (obj.containsKey("include") || obj.containsKey("pragma")) {
                rejectDoc(doc);
                doc = null;
            } else if (doc != null && doc.symbol() == null) {
                throw new SchemaException(doc.location, "definition documentation required");
            }
            exprs.add(new Expr(obj, new SourceLocation(file, startLine), null, doc));
            doc = null;
            skipSpace();
        }
        rejectDoc(doc);
        return exprs;
    }

    /** Documentation of a definition must come right before it. */
    private static void rejectDoc(DocComment doc) {
        if (doc != null && doc.symbol() != null) {
            throw new SchemaException(doc.location, "documentation for '" + doc.symbol()
                    + "' is not followed by the definition");
        }
    }

    /**
     * A {@code ##} ... {@code ##} block, at {@code pos}; returns the last documentation block in
     * it (a {@code # =} heading after text starts another, free-form one).
     */
    private DocComment docBlock() {
        SourceLocation start = new SourceLocation(file, line);
        if (!restOfLine().equals("##")) {
            throw error("junk after '##' at start of documentation comment");
        }
        DocComment doc = new DocComment(start);
        while (true) {
            skipBlank();
            if (pos >= text.length() || text.charAt(pos) != '#') {
                throw error("documentation comment must end with '##'");
            }
            SourceLocation here = new SourceLocation(file, line);
            String comment = restOfLine();
            if (comment.startsWith("##")) {
                if (!comment.equals("##")) {
                    throw new SchemaException(here, "junk after '##' at end of documentation comment");
                }
                doc.end(here);
                return doc;
            }
            if (comment.startsWith("# =")) {
                if (doc.symbol() != null) {
                    throw new SchemaException(here, "unexpected '=' markup in definition documentation");
                }
                if (doc.hasBodyText()) {
                    doc.end(here);
                    doc = new DocComment(start);
                }
            }
            doc.append(comment, here);
        }
    }

    /** The text from {@code pos} to the end of the line (newline excluded); {@code pos} moves there. */
    private String restOfLine() {
        int end = text.indexOf('\n', pos);
        if (end < 0) {
            end = text.length();
        }
        String s = text.substring(pos, end);
        pos = end;
        return s;
    }

    /** Skips white space and newlines, but not comments. */
    private void skipBlank() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            if (text.charAt(pos) == '\n') {
                line++;
            }
            pos++;
        }
    }

    private SchemaException error(String msg) {
        return new SchemaException(new SourceLocation(file, line), msg);
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                line++;
                pos++;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                pos++;
            } else if (c == '#' && !text.startsWith("##", pos)) {
                // A comment; "##" starts documentation, which only a top-level position takes.
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else {
                return;
            }
        }
    }

    private Object value() {
        skipSpace();
        if (pos >= text.length()) {
            throw error("expected '{', '[', string, or boolean");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '\'':
                return string();
            default:
                if (text.startsWith("true", pos)) {
                    pos += 4;
                    return Boolean.TRUE;
                }
                if (text.startsWith("false", pos)) {
                    pos += 5;
                    return Boolean.FALSE;
                }
                throw unexpected("expected '{', '[', string, or boolean");
        }
    }

    private Map<String, Object> object() {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        if (peek() != '\'') {
            throw unexpected("expected string or '}'");
        }
        while (true) {
            String key = string();
            skipSpace();
            if (peek() != ':') {
                throw unexpected("expected ':'");
            }
            pos++;
            Object v = value();
            if (map.containsKey(key)) {
                throw error("duplicate key '" + key + "'");
            }
            map.put(key, v);
            skipSpace();
            char c = peek();
            if (c == '}') {
                pos++;
                return map;
            }
            if (c != ',') {
                throw unexpected("expected ',' or '}'");
            }
            pos++;
            skipSpace();
            if (peek() != '\'') {
                throw unexpected("expected string");
            }
        }
    }

    private List<Object> array() {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        char first = peek();
        if (first != '{' && first != '[' && first != '\'' && !text.startsWith("true", pos)
                && !text.startsWith("false", pos)) {
            throw unexpected("expected '{', '[', ']', string, or boolean");
        }
        while (true) {
            list.add(value());
            skipSpace();
            char c = peek();
            if (c == ']') {
                pos++;
                return list;
            }
            if (c != ',') {
                throw unexpected("expected ',' or ']'");
            }
            pos++;
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length() || text.charAt(pos) == '\n') {
                throw error("missing terminating \"'\"");
            }
            char c = text.charAt(pos++);
            if (c == '\'') {
                return sb.toString();
            }
            if (c == '\\') {
                // QEMU 7.2 recognises only \\ (it has no use for other escapes).
                if (pos >= text.length() || text.charAt(pos) == '\n') {
                    throw error("missing terminating \"'\"");
                }
                c = text.charAt(pos++);
                if (c != '\\') {
                    throw error("unknown escape \\" + c);
                }
            }
            if (c < 32 || c >= 127) {
                throw error("funny character in string");
            }
            sb.append(c);
        }
    }

    /**
     * A character that starts no token is "stray" (shown up to the next structural character,
     * space or quote, as QEMU does); otherwise the token is just not the one expected.
     */
    private SchemaException unexpected(String expected) {
        char c = peek();
        if (c != '\0' && "{}[],:'".indexOf(c) < 0 && !text.startsWith("true", pos) && !text.startsWith("false", pos)) {
            int end = pos + 1;
            while (end < text.length() && "[]{}:,'\"".indexOf(text.charAt(end)) < 0
                    && !Character.isWhitespace(text.charAt(end))) {
                end++;
            }
            return error("stray '" + text.substring(pos, end) + "'");
        }
        return error(expected);
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }
}
