package io.jqmp.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonStreamer#feed(byte[], int, int)} parses a whole plain object straight from the bytes
 * at hand and leaves everything else to the byte-by-byte path. Both must give the same results,
 * value by value, with the same sizes charged: checked here against {@link JsonStreamer#feed(byte)}
 * (which never takes the fast path) on generated messages that mix the plain subset with every
 * way out of it (escapes, UTF-8, single quotes, floats, long integers, bad keywords, duplicate
 * keys, stray bytes, values cut by a read) and with small limits.
 */
class JsonStreamerFastPathTest {

    /** One streamer per path, fed the same input; results compared after every message. */
    private static final class Pair {
        final JsonStreamer fast;
        final JsonStreamer exact;

        Pair(long maxBytes, long maxTokens, int maxNesting) {
            fast = new JsonStreamer(maxBytes, maxTokens, maxNesting);
            exact = new JsonStreamer(maxBytes, maxTokens, maxNesting);
        }

        void feed(byte[] bytes, String context) {
            fast.feed(bytes, 0, bytes.length);
            for (byte b : bytes) {
                exact.feed(b);
            }
            List<JsonResult> a = drain(fast);
            List<JsonResult> b = drain(exact);
            assertEquals(b, a, context);
            assertEquals(exact.lastValueBytes(), fast.lastValueBytes(), context);
            assertEquals(exact.lastValueTokens(), fast.lastValueTokens(), context);
            assertEquals(exact.pendingBytes(), fast.pendingBytes(), context);
            assertEquals(exact.pendingTokens(), fast.pendingTokens(), context);
        }
    }

    private static List<JsonResult> drain(JsonStreamer s) {
        List<JsonResult> out = new ArrayList<>();
        JsonResult r;
        while ((r = s.poll()) != null) {
            out.add(r);
        }
        return out;
    }

    @Test
    void aPlainObjectTakesTheFastPathAndCountsAsTheExactPathDoes() {
        byte[] answer = ("{\"return\": [{\"type\": \"chardev\", \"id\": \"c0\"}, {\"type\": \"chardev\", \"id\": \"c1\"}],"
                + " \"id\": 7, \"n\": -12, \"z\": -0, \"t\": true, \"f\": false, \"x\": null, \"e\": {}, \"l\": []}\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        Pair p = new Pair(JsonStreamer.DEFAULT_MAX_TOKEN_SIZE, JsonStreamer.DEFAULT_MAX_TOKEN_COUNT,
                JsonStreamer.DEFAULT_MAX_NESTING);
        p.feed(answer, "plain answer");
        JsonStreamer s = new JsonStreamer();
        List<JsonResult> r = s.feedAll(answer);
        assertEquals(1, r.size());
        Map<?, ?> m = (Map<?, ?>) assertInstanceOf(JsonResult.Value.class, r.get(0)).value();
        assertEquals(List.of("return", "id", "n", "z", "t", "f", "x", "e", "l"), List.copyOf(m.keySet()));
        assertEquals(7L, m.get("id"));
        assertEquals(-12L, m.get("n"));
        assertEquals(0L, m.get("z"));
        assertTrue(m.containsKey("x"));
    }

    @Test
    void generatedMessagesGiveTheSameResultsOnBothPaths() {
        Random random = new Random(20261202);
        for (int round = 0; round < 3000; round++) {
            boolean small = random.nextInt(4) == 0;
            Pair p = small
                    ? new Pair(20 + random.nextInt(200), 3 + random.nextInt(40), 1 + random.nextInt(4))
                    : new Pair(JsonStreamer.DEFAULT_MAX_TOKEN_SIZE, JsonStreamer.DEFAULT_MAX_TOKEN_COUNT,
                            JsonStreamer.DEFAULT_MAX_NESTING);
            int messages = 1 + random.nextInt(4);
            for (int m = 0; m < messages; m++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                value(random, out, 0, true);
                space(random, out);
                byte[] bytes = out.toByteArray();
                String context = "round " + round + ", message " + m + ": "
                        + new String(bytes, StandardCharsets.ISO_8859_1);
                if (random.nextInt(5) == 0) {
                    // Cut by a read: the first part alone, then the rest.
                    int cut = random.nextInt(bytes.length + 1);
                    p.feed(java.util.Arrays.copyOfRange(bytes, 0, cut), context + " (first part)");
                    p.feed(java.util.Arrays.copyOfRange(bytes, cut, bytes.length), context + " (rest)");
                } else {
                    p.feed(bytes, context);
                }
            }
        }
    }

    @Test
    void severalMessagesInOneReadGiveTheSameResultsAsByteByByte() {
        Random random = new Random(7);
        for (int round = 0; round < 500; round++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int messages = 2 + random.nextInt(6);
            for (int m = 0; m < messages; m++) {
                value(random, out, 0, true);
                space(random, out);
            }
            byte[] bytes = out.toByteArray();
            JsonStreamer fast = new JsonStreamer();
            fast.feed(bytes, 0, bytes.length);
            JsonStreamer exact = new JsonStreamer();
            for (byte b : bytes) {
                exact.feed(b);
            }
            assertEquals(drain(exact), drain(fast), new String(bytes, StandardCharsets.ISO_8859_1));
        }
    }

    /** A value, mostly plain, sometimes with something the fast path must leave alone. */
    private static void value(Random r, ByteArrayOutputStream out, int depth, boolean top) {
        int kind = top ? (r.nextInt(20) == 0 ? r.nextInt(8) : 0) : r.nextInt(depth > 3 ? 6 : 8);
        switch (kind) {
            case 0, 6 -> {
                out.write('{');
                int n = r.nextInt(5);
                List<String> keys = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (i > 0) {
                        separator(r, out, ',');
                    }
                    space(r, out);
                    String key = r.nextInt(15) == 0 && !keys.isEmpty() ? keys.get(0) : "k" + r.nextInt(50);
                    keys.add(key);
                    string(r, out, key);
                    separator(r, out, ':');
                    space(r, out);
                    value(r, out, depth + 1, false);
                }
                space(r, out);
                close(r, out, '}');
            }
            case 1, 7 -> {
                out.write('[');
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    if (i > 0) {
                        separator(r, out, ',');
                    }
                    space(r, out);
                    value(r, out, depth + 1, false);
                }
                space(r, out);
                close(r, out, ']');
            }
            case 2 -> string(r, out, word(r));
            case 3 -> number(r, out);
            case 4 -> ascii(out, List.of("true", "false", "null", "nul", "truex", "True")
                    .get(r.nextInt(10) < 8 ? r.nextInt(3) : 3 + r.nextInt(3)));
            default -> garbage(r, out);
        }
    }

    private static void string(Random r, ByteArrayOutputStream out, String text) {
        int kind = r.nextInt(12);
        char quote = kind == 0 ? '\'' : '"';
        out.write(quote);
        ascii(out, text);
        switch (kind) {
            case 1 -> ascii(out, List.of("\\n", "\\u00e9", "\\\"", "\\\\", "\\/").get(r.nextInt(5)));
            case 2 -> out.writeBytes("é€\uD83D\uDE00".getBytes(StandardCharsets.UTF_8));
            case 3 -> out.write(0x7F);
            case 4 -> out.write(r.nextBoolean() ? 0x01 : 0xC3); // a control byte, or a cut UTF-8 sequence
            default -> { }
        }
        out.write(quote);
    }

    private static void number(Random r, ByteArrayOutputStream out) {
        ascii(out, switch (r.nextInt(12)) {
            case 0 -> "0";
            case 1 -> "-0";
            case 2 -> "123456789012345678"; // 18 digits
            case 3 -> r.nextBoolean() ? "1234567890123456789" : "9999999999999999999"; // 19 digits: the exact path's
            case 4 -> "18446744073709551616";
            case 5 -> "1.5";
            case 6 -> "2e10";
            case 7 -> "012";
            case 8 -> "-";
            case 9 -> "-" + r.nextInt(1000);
            default -> Integer.toString(r.nextInt(100000));
        });
    }

    private static String word(Random r) {
        // The long one passes the small limits inside one token (the lexer cuts it there).
        return List.of("", "chardev", "query-status", "a b", "x/y:z", "{[,:]}", "x".repeat(300)).get(r.nextInt(7));
    }

    private static void garbage(Random r, ByteArrayOutputStream out) {
        switch (r.nextInt(5)) {
            case 0 -> out.write(0xFF);
            case 1 -> out.write('}');
            case 2 -> out.write(':');
            case 3 -> out.write('\f');
            default -> out.write('@');
        }
    }

    private static void separator(Random r, ByteArrayOutputStream out, char c) {
        out.write(r.nextInt(60) == 0 ? ';' : c);
    }

    private static void close(Random r, ByteArrayOutputStream out, char c) {
        if (r.nextInt(60) != 0) {
            out.write(c);
        }
    }

    private static void space(Random r, ByteArrayOutputStream out) {
        int n = r.nextInt(3);
        for (int i = 0; i < n; i++) {
            out.write(" \t\r\n".charAt(r.nextInt(4)));
        }
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
