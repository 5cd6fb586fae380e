package io.jqmp.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonStreamerTest {

    // ---- helpers

    /** UTF-8 bytes of a string; use {@link #raw} for bytes that are not valid UTF-8. */
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Concatenation of parts: a String is UTF-8 encoded, an Integer is one raw byte. */
    private static byte[] raw(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) {
                out.writeBytes(utf8(s));
            } else {
                out.write((Integer) p);
            }
        }
        return out.toByteArray();
    }

    private static List<JsonResult> parse(String input) {
        return new JsonStreamer().feedAll(utf8(input));
    }

    private static List<JsonResult> parse(byte[] input) {
        return new JsonStreamer().feedAll(input);
    }

    private static JsonResult err(String tail) {
        return new JsonResult.Error("JSON parse error, " + tail);
    }

    private static JsonResult val(Object v) {
        return new JsonResult.Value(v);
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** The one value a complete input yields (a trailing newline ends numbers and keywords). */
    private static Object single(String input) {
        List<JsonResult> r = parse(input + "\n");
        assertEquals(1, r.size(), r.toString());
        return assertInstanceOf(JsonResult.Value.class, r.get(0)).value();
    }

    private static String singleError(byte[] input) {
        List<JsonResult> r = parse(input);
        assertEquals(1, r.size(), r.toString());
        return assertInstanceOf(JsonResult.Error.class, r.get(0)).desc();
    }

    private static String singleError(String input) {
        return singleError(utf8(input));
    }

    // ---- framing (§1.1, §3.1)

    @Test
    void concatenatedValuesNeedNoDelimiter() {
        assertEquals(List.of(val(map("execute", "query-name")), val(map("execute", "query-name", "id", 2L))),
                parse("{\"execute\":\"query-name\"}{\"execute\":\"query-name\",\"id\":2}"));
    }

    @Test
    void whitespaceBetweenValuesIsIgnored() {
        assertEquals(List.of(val(map("a", 1L)), val(List.of(true))),
                parse(" \t\r\n{ \"a\" :\n1 }\r\n\t [ true ] "));
    }

    @Test
    void byteByByteEmitsOnlyAtClosingBrace() {
        JsonStreamer s = new JsonStreamer();
        byte[] in = utf8("{\"execute\": \"query-status\", \"arguments\": {\"a\": [1, \"x\"]}, \"id\": 7}");
        for (int i = 0; i < in.length - 1; i++) {
            s.feed(in[i]);
            assertNull(s.poll(), "emitted early at byte " + i);
        }
        s.feed(in[in.length - 1]);
        assertEquals(val(map("execute", "query-status", "arguments", map("a", List.of(1L, "x")), "id", 7L)), s.poll());
        assertNull(s.poll());
    }

    @Test
    void numberWaitsForLookaheadByte() {
        JsonStreamer s = new JsonStreamer();
        assertEquals(List.of(), s.feedAll(utf8("42")));
        assertEquals(List.of(val(42L)), s.feedAll(utf8("\n")));
    }

    @Test
    void keywordWaitsForLookaheadByte() {
        JsonStreamer s = new JsonStreamer();
        assertEquals(List.of(), s.feedAll(utf8("true")));
        assertEquals(List.of(val(true)), s.feedAll(utf8(" ")));
    }

    @Test
    void stringEndsAtClosingQuoteWithoutLookahead() {
        assertEquals(List.of(val("abc")), parse("\"abc\""));
    }

    @Test
    void numberEndedByStrayBraceGivesValueThenError() {
        assertEquals(List.of(val(42L), err("expecting value")), parse("42}"));
    }

    @Test
    void strayClosingBracketsAreParsedImmediately() {
        assertEquals(List.of(err("expecting value")), parse("}"));
        assertEquals(List.of(err("expecting value")), parse("]"));
    }

    @Test
    void newlineIsNotATerminator() {
        JsonStreamer s = new JsonStreamer();
        assertEquals(List.of(), s.feedAll(utf8("{\"execute\": \"query-name\"")));
        assertEquals(List.of(), s.feedAll(utf8("\n")));
        assertEquals(List.of(val(map("execute", "query-name"))), s.feedAll(utf8("}")));
    }

    @Test
    void stateIsClearedAfterEachResult() {
        assertEquals(List.of(err("expected separator in list"), val(map("a", 1L))), parse("[1}{\"a\":1}"));
        assertEquals(List.of(err("expecting value"), val(List.of())), parse("[}[]"));
    }

    @Test
    void topLevelScalarsAreValues() {
        assertEquals(List.of(val("s"), val(1L), val(null), val(false)), parse("'s' 1 null false "));
    }

    // ---- parser errors (§3.5)

    @Test
    void parserErrorExamplesFromTheWire() {
        assertEquals("JSON parse error, expecting value", singleError("{\"execute\": }"));
        assertEquals("JSON parse error, missing : in object pair", singleError("{\"execute\" \"q\"}"));
        assertEquals("JSON parse error, expecting value", singleError("{\"execute\": \"q\",}"));
        assertEquals("JSON parse error, expected separator in list", singleError("[1 2]"));
        assertEquals("JSON parse error, key is not a string in object", singleError("{1: 2}"));
    }

    @Test
    void otherParserErrors() {
        assertEquals("JSON parse error, expected separator in dict", singleError("{\"a\": 1 \"b\": 2}"));
        assertEquals("JSON parse error, missing : in object pair", singleError("{\"a\"}"));
        assertEquals("JSON parse error, expecting value", singleError("[1,]"));
        assertEquals("JSON parse error, expecting value", singleError("{,}"));
        assertEquals("JSON parse error, expecting value", singleError("[,1]"));
        assertEquals("JSON parse error, expected separator in dict", singleError("{\"a\":1]"));
        assertEquals("JSON parse error, expected separator in dict", singleError("{\"a\":1:2}"));
        assertEquals("JSON parse error, key is not a string in object", singleError("{[]: 1}"));
        assertEquals("JSON parse error, duplicate key", singleError("{\"a\": 1, \"a\": 2}"));
        assertEquals("JSON parse error, duplicate key", singleError("{\"a\": 1, 'a': 2}"));
    }

    @Test
    void invalidKeywords() {
        assertEquals(List.of(err("invalid keyword 'xyz'")), parse("xyz "));
        assertEquals(List.of(err("invalid keyword 'nul'")), parse("[nul]"));
        assertEquals(List.of(err("invalid keyword 'truex'")), parse("{\"a\": truex}"));
    }

    @Test
    void longInvalidKeywordIsCutLikeQemusMessageBuffer() {
        String kw = "a".repeat(2000);
        String desc = singleError(kw + " ");
        String message = ("invalid keyword '" + kw + "'").substring(0, 1023);
        assertEquals("JSON parse error, " + message, desc);
    }

    @Test
    void firstErrorWins() {
        assertEquals("JSON parse error, invalid keyword 'nope'", singleError("{\"a\": nope, 1: 2}"));
        assertEquals("JSON parse error, invalid escape sequence in string", singleError("{\"a\\x\": 1}"));
        assertEquals("JSON parse error, invalid UTF-8 sequence in string", singleError(raw("[\"", 0xC3, "\", 1 2]")));
    }

    // ---- lexical errors (§3.3, §3.4)

    @Test
    void strayExamplesFromTheWire() {
        assertEquals("JSON parse error, stray '%'", singleError("%"));
        assertEquals("JSON parse error, stray '\u0001'", singleError(raw(0x01)));
        assertEquals("JSON parse error, stray '\uFFFD'", singleError(raw(0xFF)));
        assertEquals("JSON parse error, stray '\"a\t'", singleError("\"a\tb\""));
        assertEquals("JSON parse error, stray '-}'", singleError("-}"));
        assertEquals("JSON parse error, stray '01'", singleError("01"));
    }

    @Test
    void strayDescsAsTheyAppearOnTheWire() {
        assertEquals("\"JSON parse error, stray '\\u0001'\"", JsonWriter.toJson(singleError(raw(0x01))));
        assertEquals("\"JSON parse error, stray '\\uFFFD'\"", JsonWriter.toJson(singleError(raw(0xFF))));
        assertEquals("\"JSON parse error, stray '\\\"a\\t'\"", JsonWriter.toJson(singleError("\"a\tb\"")));
    }

    @Test
    void moreLexicalErrors() {
        assertEquals("JSON parse error, stray 'T'", singleError("True"));
        assertEquals("JSON parse error, stray '1.}'", singleError("1.}"));
        assertEquals("JSON parse error, stray '1e}'", singleError("1e}"));
        assertEquals("JSON parse error, stray '1e+}'", singleError("1e+}"));
        assertEquals("JSON parse error, stray '- '", singleError("- "));
        assertEquals("JSON parse error, stray '-a'", singleError("-a"));
        assertEquals("JSON parse error, stray '-01'", singleError("-01"));
        assertEquals("JSON parse error, stray '\"\uFFFD'", singleError(raw("\"", 0xFE)));
        assertEquals("JSON parse error, stray '\"ab\n'", singleError("\"ab\n"));
        assertEquals("JSON parse error, stray ''a\u001F'", singleError(raw("'a", 0x1F)));
    }

    @Test
    void nulEndsTheStrayTextLikeCPrintf() {
        assertEquals("JSON parse error, stray ''", singleError(raw(0x00)));
        assertEquals("JSON parse error, stray '\"ab'", singleError(raw("\"ab", 0x00)));
    }

    @Test
    void nonAsciiInStrayTokenIsDecoded() {
        // A valid UTF-8 character stays itself, a broken one becomes U+FFFD.
        assertEquals("JSON parse error, stray '\"\u00E9\t'", singleError(raw("\"\u00E9\t")));
        assertEquals("JSON parse error, stray '\"\uFFFD\t'", singleError(raw("\"", 0xC3, "\t")));
    }

    @Test
    void percentIsNotInterpolation() {
        assertEquals(List.of(err("stray '%'"), val(List.of(1L))), parse("%d [1]"));
    }

    @Test
    void upperCaseEndsKeywordThenIsStray() {
        assertEquals(List.of(val(true), err("stray 'X'")), parse("trueX"));
    }

    @Test
    void numberFollowedByLetterSplitsTokens() {
        assertEquals(List.of(val(1L), err("invalid keyword 'a'")), parse("1a "));
    }

    // ---- recovery (§3.4)

    @Test
    void controlCharInsideStringGivesTwoErrors() {
        assertEquals(List.of(err("stray '\"a\u0001'"), err("expecting value")),
                parse(raw("{\"id\": \"a", 0x01, "b\"}")));
    }

    @Test
    void leadingControlCharGivesOneErrorThenTheObject() {
        assertEquals(List.of(err("stray '\u0001'"), val(map("execute", "x"))),
                parse(raw(0x01, "{\"execute\":\"x\"}")));
    }

    @Test
    void ffInsideHalfReceivedObjectDiscardsIt() {
        assertEquals(List.of(err("stray '\uFFFD'"), val(map("execute", "y"))),
                parse(raw("{\"execute\": \"x\", ", 0xFF, "{\"execute\":\"y\"}")));
        assertEquals(List.of(err("stray '\uFFFD'"), val(map("execute", "y"))),
                parse(raw("{\"execute\": ", 0xFE, "{\"execute\":\"y\"}")));
        assertEquals(List.of(err("stray '\"ab\uFFFD'"), val(map("execute", "y"))),
                parse(raw("{\"execute\": \"ab", 0xFF, "{\"execute\":\"y\"}")));
    }

    @Test
    void recoverySkipsToStructuralCharacter() {
        assertEquals(List.of(err("stray '%'"), val(map("a", 1L))), parse("%abc \"def\" 12{\"a\":1}"));
        assertEquals(List.of(err("stray '%'"), err("expecting value")), parse("%x:"));
        assertEquals(List.of(err("stray '%'"), err("expecting value")), parse("%x,"));
        assertEquals(List.of(err("stray '%'"), err("expecting value")), parse("%x]"));
        assertEquals(List.of(err("stray '%'"), val(List.of())), parse("%x[]"));
    }

    @Test
    void tabDoesNotEndRecoveryButNewlineDoes() {
        assertEquals(List.of(err("stray '%'"), val("y")), parse("%\t\"x\"\n\"y\""));
        assertEquals(List.of(err("stray '%'"), val("x")), parse("%\n\"x\""));
        assertEquals(List.of(err("stray '%'"), val("x")), parse("%\r\"x\""));
    }

    @Test
    void controlCharEndsRecoveryAndIsLexedAgain() {
        // The re-lexed byte is itself an error, so recovery starts over and skips "x".
        assertEquals(List.of(err("stray '%'"), err("stray '\u0001'"), val(List.of("y"))),
                parse(raw("%abc", 0x01, "\"x\"[\"y\"]")));
        assertEquals(List.of(err("stray '%'"), err("stray '\uFFFD'"), val(List.of("y"))),
                parse(raw("%abc", 0xFF, "\"x\"[\"y\"]")));
        assertEquals(List.of(err("stray '%'"), err("stray ''"), val(List.of("y"))),
                parse(raw("%abc", 0x00, "\"x\"[\"y\"]")));
    }

    @Test
    void highBytesDoNotEndRecovery() {
        assertEquals(List.of(err("stray '%'"), val("y")), parse(raw("%", 0xC3, 0xA9, 0xFD, "\n\"y\"")));
    }

    @Test
    void resetDiscardsPartialInputSilently() {
        JsonStreamer s = new JsonStreamer();
        assertEquals(List.of(), s.feedAll(utf8("{\"execute\": [1, ")));
        s.reset();
        assertEquals(List.of(val(map("b", 2L))), s.feedAll(utf8("{\"b\":2}")));
        assertEquals(List.of(), s.feedAll(utf8("12")));
        s.reset();
        assertEquals(List.of(val(3L)), s.feedAll(utf8("3 ")));
        s.feedAll(utf8("%"));
        s.reset();
        assertEquals(List.of(val("x")), s.feedAll(utf8("\"x\"")));
        s.feed((byte) '}');
        s.reset();
        assertNull(s.poll());
    }

    // ---- limits (§3.2)

    private static String nested(int depth) {
        return "{\"execute\": \"x\", \"id\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
    }

    @Test
    void nestingOf1023ArraysInsideRequestIsAccepted() {
        List<JsonResult> r = parse(nested(1023));
        assertEquals(1, r.size());
        Object id = ((Map<?, ?>) assertInstanceOf(JsonResult.Value.class, r.get(0)).value()).get("id");
        int depth = 0;
        while (id instanceof List<?> l) {
            depth++;
            id = l.isEmpty() ? null : l.get(0);
        }
        assertEquals(1023, depth);
    }

    @Test
    void nestingOf1024ArraysIsRejectedWithFollowUpErrors() {
        JsonStreamer s = new JsonStreamer();
        List<JsonResult> r = s.feedAll(utf8(nested(1024)));
        assertEquals(new JsonResult.Error("JSON nesting depth limit exceeded"), r.get(0));
        // No recovery: every surplus ']' and the final '}' are parsed on their own.
        assertEquals(1 + 1024 + 1, r.size());
        for (JsonResult x : r.subList(1, r.size())) {
            assertEquals(err("expecting value"), x);
        }
        assertEquals(List.of(val(map("execute", "y"))), s.feedAll(utf8("{\"execute\": \"y\"}")));
    }

    @Test
    void smallNestingLimitDoesNotEnterRecovery() {
        JsonStreamer s = new JsonStreamer(1000, 1000, 3);
        assertEquals(List.of(val(List.of(List.of(List.of(1L))))), s.feedAll(utf8("[[[1]]]")));
        assertEquals(List.of(new JsonResult.Error("JSON nesting depth limit exceeded"), val(1L),
                err("expecting value"), err("expecting value"), err("expecting value"), err("expecting value")),
                s.feedAll(utf8("[[[[1]]]]")));
        // The rest is lexed normally: "a" and 1 become values, ':' and each closer an error.
        assertEquals(List.of(new JsonResult.Error("JSON nesting depth limit exceeded"), val("a"),
                err("expecting value"), val(1L),
                err("expecting value"), err("expecting value"), err("expecting value"), err("expecting value")),
                s.feedAll(utf8("{\"k\":[[{\"a\":1}]]}")));
    }

    @Test
    void tokenCountLimit() {
        JsonStreamer s = new JsonStreamer(1000, 5, 100);
        assertEquals(List.of(val(List.of(1L, 2L))), s.feedAll(utf8("[1,2]"))); // exactly 5 tokens
        assertEquals(List.of(new JsonResult.Error("JSON token count limit exceeded"), err("expecting value")),
                s.feedAll(utf8("[1,2,3]")));
        assertEquals(List.of(val(7L)), s.feedAll(utf8("7 ")));
    }

    @Test
    void tokenSizeLimitOverAllTokensOfAValue() {
        JsonStreamer s = new JsonStreamer(10, 1000, 100);
        // 9 bytes + 1 <= 10 passes, 10 bytes + 1 does not.
        assertEquals(List.of(val("abcdefg")), s.feedAll(utf8("\"abcdefg\"")));
        assertEquals(List.of(new JsonResult.Error("JSON token size limit exceeded")), s.feedAll(utf8("\"abcdefgh\"")));
        // Sum over the value: [ (1) "abc" (5) , (1) "d" (3) = 10, plus 1 > 10.
        assertEquals(List.of(new JsonResult.Error("JSON token size limit exceeded"), err("expecting value")),
                s.feedAll(utf8("[\"abc\",\"d\"]")));
        assertEquals(List.of(val(List.of("abc", "d"))), new JsonStreamer(12, 1000, 100).feedAll(utf8("[\"abc\",\"d\"]")));
    }

    @Test
    void overlongTokenIsCutByTheLexerWithoutRecovery() {
        JsonStreamer s = new JsonStreamer(10, 1000, 100);
        // The lexer cuts "abcdefghij (11 bytes); lexing restarts at k, so klmnop is a keyword.
        assertEquals(List.of(new JsonResult.Error("JSON token size limit exceeded"), err("invalid keyword 'klmnop'")),
                s.feedAll(utf8("\"abcdefghijklmnop\"")));
        // The closing quote opened a new string.
        assertEquals(List.of(val(" x ")), s.feedAll(utf8(" x \"")));
    }

    @Test
    void constructorRejectsNonsenseLimits() {
        assertThrows(IllegalArgumentException.class, () -> new JsonStreamer(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new JsonStreamer(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new JsonStreamer(1, 1, 0));
    }

    @Test
    void largeValueWithDefaultLimits() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 100_000; i++) {
            sb.append(i == 0 ? "" : ",").append('"').append("x".repeat(i % 50)).append('"');
        }
        sb.append(']');
        JsonStreamer s = new JsonStreamer();
        List<JsonResult> r = s.feedAll(utf8(sb.toString()));
        assertEquals(100_000, ((List<?>) assertInstanceOf(JsonResult.Value.class, r.get(0)).value()).size());
        assertEquals(List.of(val(map("a", "b"))), s.feedAll(utf8("{\"a\":\"b\"}")));
    }

    // ---- strings (§3.3, §3.6)

    @Test
    void escapes() {
        assertEquals("\"'\\/\b\f\n\r\t", single("\"\\\"\\'\\\\\\/\\b\\f\\n\\r\\t\""));
        assertEquals("A\u00E9\u20AC", single("\"\\u0041\\u00e9\\u20AC\""));
    }

    @Test
    void singleQuotedStrings() {
        assertEquals("a\"b", single("'a\"b'"));
        assertEquals("it's", single("'it\\'s'"));
        assertEquals(map("k", "v"), single("{'k': 'v'}"));
    }

    @Test
    void invalidEscape() {
        assertEquals("JSON parse error, invalid escape sequence in string", singleError("\"\\x\""));
        assertEquals("JSON parse error, invalid escape sequence in string", singleError("\"\\U0041\""));
        assertEquals("JSON parse error, invalid escape sequence in string", singleError("\"\\\u00E9\""));
    }

    @Test
    void surrogatePairs() {
        assertEquals("\uD83D\uDE00", single("\"\\uD83D\\uDE00\""));
        assertEquals("\uDBFF\uDFFD", single("\"\\udbff\\udffd\""));
    }

    @Test
    void invalidUnicodeEscapes() {
        assertEquals("JSON parse error, \\u12\" is not a valid Unicode character", singleError("\"\\u12\""));
        assertEquals("JSON parse error, \\u12xy is not a valid Unicode character", singleError("\"\\u12xyz\""));
        assertEquals("JSON parse error, \\uD800 is not a valid Unicode character", singleError("\"\\uD800\""));
        assertEquals("JSON parse error, \\uD800 is not a valid Unicode character", singleError("\"\\uD800x\""));
        assertEquals("JSON parse error, \\uD800 is not a valid Unicode character", singleError("\"\\uD800\\u0041\""));
        assertEquals("JSON parse error, \\uDC00 is not a valid Unicode character", singleError("\"\\uDC00\""));
        assertEquals("JSON parse error, \\uFDD0 is not a valid Unicode character", singleError("\"\\uFDD0\""));
        assertEquals("JSON parse error, \\uFDEF is not a valid Unicode character", singleError("\"\\uFDEF\""));
        assertEquals("JSON parse error, \\uFFFE is not a valid Unicode character", singleError("\"\\uFFFE\""));
        assertEquals("JSON parse error, \\uffff is not a valid Unicode character", singleError("\"\\uffff\""));
        assertEquals("JSON parse error, \\uDBFF\\uDFFF is not a valid Unicode character",
                singleError("\"\\uDBFF\\uDFFF\""));
        assertEquals("JSON parse error, \\uD83F\\uDFFE is not a valid Unicode character",
                singleError("\"\\uD83F\\uDFFE\""));
        assertEquals("\uFDCF\uFDF0\uFFFD", single("\"\\uFDCF\\uFDF0\\uFFFD\""));
    }

    @Test
    void nulViaEscapeOrC080() {
        assertEquals("a\u0000b", single("\"a\\u0000b\""));
        List<JsonResult> r = parse(raw("\"a", 0xC0, 0x80, "b\""));
        assertEquals(List.of(val("a\u0000b")), r);
        assertEquals("\"a\\u0000b\"", JsonWriter.toJson("a\u0000b"));
    }

    @Test
    void rawUtf8IsDecoded() {
        assertEquals(List.of(val("\u00E9\u20AC\uD83D\uDE00\u007F")), parse(utf8("\"\u00E9\u20AC\uD83D\uDE00\u007F\"")));
        assertEquals(List.of(val("\uFFFD\uFDCF")), parse(utf8("\"\uFFFD\uFDCF\"")));
    }

    @Test
    void invalidRawUtf8() {
        String invalid = "JSON parse error, invalid UTF-8 sequence in string";
        assertEquals(invalid, singleError(raw("\"", 0xC3, 0x28, "\"")), "missing continuation");
        assertEquals(invalid, singleError(raw("\"", 0x80, "\"")), "lone continuation byte");
        assertEquals(invalid, singleError(raw("\"", 0xC0, 0xAF, "\"")), "overlong 2-byte");
        assertEquals(invalid, singleError(raw("\"", 0xC1, 0xBF, "\"")), "overlong 2-byte");
        assertEquals(invalid, singleError(raw("\"", 0xE0, 0x80, 0x80, "\"")), "overlong 3-byte NUL");
        assertEquals(invalid, singleError(raw("\"", 0xE0, 0x9F, 0xBF, "\"")), "overlong 3-byte");
        assertEquals(invalid, singleError(raw("\"", 0xF0, 0x8F, 0xBF, 0xBF, "\"")), "overlong 4-byte");
        assertEquals(invalid, singleError(raw("\"", 0xED, 0xA0, 0x80, "\"")), "surrogate D800");
        assertEquals(invalid, singleError(raw("\"", 0xED, 0xBF, 0xBF, "\"")), "surrogate DFFF");
        assertEquals(invalid, singleError(raw("\"", 0xF4, 0x90, 0x80, 0x80, "\"")), "beyond U+10FFFF");
        assertEquals(invalid, singleError(raw("\"", 0xF8, 0x88, 0x80, 0x80, 0x80, "\"")), "5-byte");
        assertEquals(invalid, singleError(raw("\"", 0xFC, 0x84, 0x80, 0x80, 0x80, 0x80, "\"")), "6-byte");
        assertEquals(invalid, singleError(raw("\"", 0xEF, 0xB7, 0x90, "\"")), "U+FDD0");
        assertEquals(invalid, singleError(raw("\"", 0xEF, 0xB7, 0xAF, "\"")), "U+FDEF");
        assertEquals(invalid, singleError(raw("\"", 0xEF, 0xBF, 0xBE, "\"")), "U+FFFE");
        assertEquals(invalid, singleError(raw("\"", 0xEF, 0xBF, 0xBF, "\"")), "U+FFFF");
        assertEquals(invalid, singleError(raw("\"", 0xF0, 0x9F, 0xBF, 0xBF, "\"")), "U+1FFFF");
        assertEquals(invalid, singleError(raw("\"", 0xF4, 0x8F, 0xBF, 0xBE, "\"")), "U+10FFFE");
        assertEquals(invalid, singleError(raw("'", 0xE2, 0x82, "'")), "truncated at quote");
    }

    @Test
    void stringLimitsOfTheLexer() {
        // TAB, NUL and other control characters are not allowed raw; DEL and high bytes are.
        assertEquals("JSON parse error, stray '\"\t'", singleError("\"\t\""));
        assertEquals("\u007F", single("\"\u007F\""));
        assertEquals("JSON parse error, stray '\"\\\n'", singleError("\"\\\n\""));
        assertEquals("JSON parse error, stray ''\uFFFD'", singleError(raw("'", 0xFF, "'")));
    }

    // ---- numbers (§1.1, §3.3, §3.6)

    @Test
    void integers() {
        assertEquals(0L, single("0"));
        assertEquals(0L, single("-0"));
        assertEquals(-17L, single("-17"));
        assertEquals(Long.MAX_VALUE, single("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, single("-9223372036854775808"));
    }

    @Test
    void unsignedBeyondInt64() {
        assertEquals(new BigInteger("9223372036854775808"), single("9223372036854775808"));
        assertEquals(new BigInteger("18446744073709551615"), single("18446744073709551615"));
    }

    @Test
    void integersBeyondBothRangesAreDoubles() {
        assertEquals(1.8446744073709552E19, single("18446744073709551616"));
        assertEquals(-9.223372036854775808E18, single("-9223372036854775809"));
        assertEquals("-9.2233720368547758e+18", JsonWriter.toJson(single("-9223372036854775809")));
        assertEquals(1e30, single("1000000000000000000000000000000"));
    }

    @Test
    void floats() {
        assertEquals(1500.0, single("1.5e3"));
        assertEquals("1500", JsonWriter.toJson(single("1.5e3")));
        assertEquals(100.0, single("1E2"));
        assertEquals(0.01, single("1e-2"));
        assertEquals(0.5, single("0.5"));
        assertEquals(-0.0, single("-0.0"));
        assertEquals(2.5, single("25e-1"));
        assertEquals(0.0, single("1e-400"));
        assertEquals(1.7976931348623157e308, single("1.7976931348623157e308"));
    }

    @Test
    void doubleOverflowIsAnError() {
        assertEquals("JSON parse error, number out of range", singleError("1e400 "));
        assertEquals("JSON parse error, number out of range", singleError("-1e400 "));
        assertEquals("JSON parse error, number out of range", singleError("[1, 1.8e308]"));
        assertEquals("JSON parse error, number out of range", singleError("1" + "0".repeat(400) + " "));
    }

    @Test
    void leadingZerosAndIncompleteNumbers() {
        assertEquals("JSON parse error, stray '00'", singleError("00"));
        assertEquals("JSON parse error, stray '0.e'", singleError("0.e"));
        assertEquals(List.of(val(0L), val(List.of())), parse("0[]"));
    }

    // ---- misc

    @Test
    void valuesUseTheDocumentedModelTypes() {
        Object v = single("{\"o\": {}, \"a\": [], \"s\": \"\", \"t\": true, \"n\": null, \"i\": 1, \"d\": 1.0}");
        Map<?, ?> m = (Map<?, ?>) v;
        assertInstanceOf(LinkedHashMap.class, m);
        assertInstanceOf(LinkedHashMap.class, m.get("o"));
        assertInstanceOf(ArrayList.class, m.get("a"));
        assertEquals(List.of("o", "a", "s", "t", "n", "i", "d"), new ArrayList<>(m.keySet()));
        assertEquals(true, m.containsKey("n"));
        assertNull(m.get("n"));
        assertInstanceOf(Long.class, m.get("i"));
        assertInstanceOf(Double.class, m.get("d"));
    }

    @Test
    void feedSliceMatchesFeedAll() {
        JsonStreamer s = new JsonStreamer();
        byte[] in = utf8("xx[1][2]xx");
        s.feed(in, 2, 6);
        assertEquals(val(List.of(1L)), s.poll());
        assertEquals(val(List.of(2L)), s.poll());
        assertNull(s.poll());
    }
}
