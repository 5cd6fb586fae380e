package io.jqmp.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parser for QEMU's QAPI schema syntax: a sequence of top-level JSON objects written with
 * single-quoted strings, {@code true}/{@code false}, and {@code #} comments to the end of the
 * line. Objects become {@code LinkedHashMap} (key order kept), arrays {@code ArrayList}, strings
 * {@code String}, booleans {@code Boolean}. Numbers and {@code null} do not exist in QAPI.
 * Not thread-safe; one instance per text.
 */
final class QapiParser {

    /** One top-level expression and the line it starts on. */
    record Expr(Map<String, Object> value, SourceLocation location) {
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
        skipSpace();
        while (pos < text.length()) {
            int startLine = line;
            if (text.charAt(pos) != '{') {
                throw error("expected '{'");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> obj = (Map<String, Object>) value();
            exprs.add(new Expr(obj, new SourceLocation(file, startLine)));
            skipSpace();
        }
        return exprs;
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
            } else if (c == '#') {
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
                throw error("stray '" + c + "'");
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
        while (true) {
            skipSpace();
            if (peek() != '\'') {
                throw unexpected("expected string");
            }
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
                if (pos >= text.length()) {
                    throw error("missing terminating \"'\"");
                }
                char e = text.charAt(pos++);
                if (e != '\\' && e != '\'' && e != '"') {
                    throw error("unknown escape \\" + e);
                }
                sb.append(e);
            } else {
                sb.append(c);
            }
        }
    }

    /** A character that starts no token is "stray"; otherwise the token is just not the one expected. */
    private SchemaException unexpected(String expected) {
        char c = peek();
        if (c != '\0' && "{}[],:'".indexOf(c) < 0 && !text.startsWith("true", pos) && !text.startsWith("false", pos)) {
            return error("stray '" + c + "'");
        }
        return error(expected);
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }
}
