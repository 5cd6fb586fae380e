package io.jqmp.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonWriterTest {

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    // ---- member order (§1.1)

    @Test
    void bucketNumbersFromTheReference() {
        String[] keys = {"seconds", "timestamp", "QMP", "exec-oob", "version", "class", "capabilities", "minor",
            "micro", "qemu", "execute", "package", "event", "microseconds", "desc", "return", "arguments", "major",
            "id", "error", "data"};
        int[] buckets = {5, 26, 99, 162, 184, 211, 216, 225, 225, 232, 299, 326, 361, 374, 377, 401, 447, 481, 486,
            489, 505};
        Map<String, Integer> expected = new LinkedHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            expected.put(keys[i], buckets[i]);
        }
        Map<String, Integer> actual = new LinkedHashMap<>();
        for (String key : expected.keySet()) {
            actual.put(key, JsonWriter.bucket(key));
        }
        assertEquals(expected, actual);
    }

    @Test
    void greetingOrder() {
        Map<String, Object> qemu = map("major", 7L, "minor", 2L, "micro", 22L);
        Map<String, Object> version = map("qemu", qemu, "package", "Debian 1:7.2+dfsg-7+deb12u18");
        Map<String, Object> greeting = map("QMP", map("version", version, "capabilities", List.of("oob")));
        assertEquals("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
                + "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}}",
                JsonWriter.toJson(greeting));
    }

    @Test
    void sameBucketMostRecentlyInsertedFirst() {
        assertEquals("{\"micro\": 1, \"minor\": 2}", JsonWriter.toJson(map("minor", 2L, "micro", 1L)));
        assertEquals("{\"minor\": 2, \"micro\": 1}", JsonWriter.toJson(map("micro", 1L, "minor", 2L)));
    }

    @Test
    void successOrderIsIndependentOfInsertion() {
        assertEquals("{\"return\": {}, \"id\": 1}", JsonWriter.toJson(map("id", 1L, "return", map())));
        assertEquals("{\"return\": {}, \"id\": 1}", JsonWriter.toJson(map("return", map(), "id", 1L)));
    }

    @Test
    void errorOrder() {
        Map<String, Object> error = map("class", "GenericError", "desc", "JSON parse error, expecting value");
        assertEquals("{\"id\": \"a\", \"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, expecting value\"}}",
                JsonWriter.toJson(map("error", error, "id", "a")));
    }

    @Test
    void eventOrder() {
        Map<String, Object> ts = map("seconds", 1700000000L, "microseconds", 123456L);
        Map<String, Object> event = map("event", "STOP", "data", map("reason", "x"), "timestamp", ts);
        assertEquals("{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": \"STOP\", "
                + "\"data\": {\"reason\": \"x\"}}", JsonWriter.toJson(event));
    }

    @Test
    void requestOrder() {
        assertEquals("{\"exec-oob\": \"migrate-pause\", \"arguments\": {}, \"id\": 3}",
                JsonWriter.toJson(map("id", 3L, "arguments", map(), "exec-oob", "migrate-pause")));
    }

    @Test
    void anyMapImplementationIsAccepted() {
        Map<String, Object> m = new HashMap<>();
        m.put("id", 1L);
        m.put("return", List.of());
        assertEquals("{\"return\": [], \"id\": 1}", JsonWriter.toJson(m));
    }

    @Test
    void nonAsciiAndNulKeysHashTheirQemuBytes() {
        // Computed by hand from tdb_hash over C3 A9 and over C0 80.
        assertEquals(tdb("\u00E9".getBytes(StandardCharsets.UTF_8)), JsonWriter.bucket("\u00E9"));
        assertEquals(tdb(new byte[] {(byte) 0xC0, (byte) 0x80}), JsonWriter.bucket("\u0000"));
        assertEquals(tdb("a\uD83D\uDE00".getBytes(StandardCharsets.UTF_8)), JsonWriter.bucket("a\uD83D\uDE00"));
        assertEquals(tdb("\u20AC".getBytes(StandardCharsets.UTF_8)), JsonWriter.bucket("\u20AC"));
    }

    @Test
    void asciiKeysOfAnyLengthHashTheirBytes() {
        // ASCII keys take a one-pass path; long keys wrap its shift (5 bits a byte, modulo 24) many times.
        java.util.Random random = new java.util.Random(512);
        for (int round = 0; round < 2000; round++) {
            char[] key = new char[random.nextInt(60)];
            for (int i = 0; i < key.length; i++) {
                key[i] = (char) (1 + random.nextInt(0x7F));
            }
            String k = new String(key);
            assertEquals(tdb(k.getBytes(StandardCharsets.US_ASCII)), JsonWriter.bucket(k), k);
        }
    }

    /** Independent straightforward tdb_hash % 512 in long arithmetic. */
    private static int tdb(byte[] key) {
        long v = (0x238F13AFL * key.length) & 0xFFFFFFFFL;
        for (int i = 0; i < key.length; i++) {
            v = (v + ((long) (key[i] & 0xFF) << (i * 5 % 24))) & 0xFFFFFFFFL;
        }
        long h = (1103515243L * v + 12345L) & 0xFFFFFFFFL;
        return (int) (h % 512);
    }

    // ---- layout (§1.1)

    @Test
    void compactSeparators() {
        assertEquals("{\"a\": [1, 2, {}], \"b\": []}", JsonWriter.toJson(map("b", List.of(), "a", List.of(1L, 2L, map()))));
        assertEquals("{}", JsonWriter.toJson(map()));
        assertEquals("[]", JsonWriter.toJson(List.of()));
    }

    @Test
    void prettyEmptyContainersPutTheCloserOnItsOwnLine() {
        assertEquals("{\n}", JsonWriter.toJson(map(), true));
        assertEquals("[\n]", JsonWriter.toJson(List.of(), true));
        assertEquals("{\n    \"return\": {\n    }\n}", JsonWriter.toJson(map("return", map()), true));
        assertEquals("{\n    \"return\": [\n    ]\n}", JsonWriter.toJson(map("return", List.of()), true));
    }

    @Test
    void prettyNested() {
        // Buckets: list 81, status 202.
        Map<String, Object> v = map("return", map("status", "running", "list", List.of(1L, map("k", true))), "id", 1L);
        assertEquals("{\n"
                + "    \"return\": {\n"
                + "        \"list\": [\n"
                + "            1,\n"
                + "            {\n"
                + "                \"k\": true\n"
                + "            }\n"
                + "        ],\n"
                + "        \"status\": \"running\"\n"
                + "    },\n"
                + "    \"id\": 1\n"
                + "}", JsonWriter.toJson(v, true));
    }

    @Test
    void messageIsJsonPlusCrLf() {
        assertArrayEquals("{\"return\": {}, \"id\": 1}\r\n".getBytes(StandardCharsets.US_ASCII),
                JsonWriter.message(map("id", 1L, "return", map()), false));
    }

    @Test
    void prettyMessageUsesCrLfEverywhere() {
        assertArrayEquals("{\r\n    \"return\": {\r\n    },\r\n    \"id\": 1\r\n}\r\n".getBytes(StandardCharsets.US_ASCII),
                JsonWriter.message(map("id", 1L, "return", map()), true));
    }

    @Test
    void messageIsPureAscii() {
        byte[] out = JsonWriter.message(map("return", "\u00E9\uD83D\uDE00\n"), false);
        assertEquals("{\"return\": \"\\u00E9\\uD83D\\uDE00\\n\"}\r\n", new String(out, StandardCharsets.US_ASCII));
        for (byte b : out) {
            assertEquals(true, b >= 0, "non-ASCII byte");
        }
    }

    // ---- strings (§1.1)

    @Test
    void shortEscapes() {
        assertEquals("\"\\\"\\\\\\b\\f\\n\\r\\t/\"", JsonWriter.toJson("\"\\\b\f\n\r\t/"));
    }

    @Test
    void otherControlAndNonAsciiAsUpperCaseHex() {
        assertEquals("\"\\u0000\\u0001\\u001F \\u007F\\u0080\\u00E9\\u20AC\\uFFFD\"",
                JsonWriter.toJson("\u0000\u0001\u001F \u007F\u0080\u00E9\u20AC\uFFFD"));
    }

    @Test
    void astralAsSurrogatePair() {
        assertEquals("\"\\u00E9\\uD83D\\uDE00\"", JsonWriter.toJson("\u00E9\uD83D\uDE00"));
        assertEquals("\"\\uDBFF\\uDFFD\"", JsonWriter.toJson("\uDBFF\uDFFD"));
    }

    @Test
    void codePointsQemuCannotHoldBecomeReplacementCharacter() {
        assertEquals("\"\\uFFFDa\"", JsonWriter.toJson("\uD800a"));
        assertEquals("\"a\\uFFFD\"", JsonWriter.toJson("a\uDC00"));
        assertEquals("\"\\uFFFD\\uFFFD\\uFFFD\"", JsonWriter.toJson("\uFDD0\uFFFE\uFFFF"));
        assertEquals("\"\\uFFFD\"", JsonWriter.toJson("\uD83F\uDFFE"));
    }

    @Test
    void printableAsciiUnchanged() {
        assertEquals("\"query-status 'x' {}[]:,%\"", JsonWriter.toJson("query-status 'x' {}[]:,%"));
    }

    // ---- numbers (§1.1)

    @Test
    void integers() {
        assertEquals("[-9223372036854775808, 9223372036854775807, 42, -7, 3, 0]",
                JsonWriter.toJson(List.of(Long.MIN_VALUE, Long.MAX_VALUE, 42, (short) -7, (byte) 3, 0L)));
        assertEquals("18446744073709551615", JsonWriter.toJson(new BigInteger("18446744073709551615")));
        assertEquals("9223372036854775808", JsonWriter.toJson(new BigInteger("9223372036854775808")));
    }

    @Test
    void bigIntegerOutOfRangeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson(new BigInteger("18446744073709551616")));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson(new BigInteger("-9223372036854775809")));
    }

    @Test
    void doublesLikePercentPoint17g() {
        assertEquals("1500", JsonWriter.toJson(1500.0));
        assertEquals("-9.2233720368547758e+18", JsonWriter.toJson(-9223372036854775809.0));
        assertEquals("0.10000000000000001", JsonWriter.toJson(0.1));
        assertEquals("1.0000000000000001e-05", JsonWriter.toJson(1e-5));
        assertEquals("2.5000000000000001e-05", JsonWriter.toJson(2.5e-5));
        assertEquals("0.0001", JsonWriter.toJson(0.0001));
        assertEquals("0.00014999999999999999", JsonWriter.toJson(1.5e-4));
        assertEquals("0.00015000000000000001", JsonWriter.toJson(1e-4 * 1.5));
        assertEquals("1e+17", JsonWriter.toJson(1e17));
        assertEquals("10000000000000000", JsonWriter.toJson(1e16));
        assertEquals("1.2345678901234567e+19", JsonWriter.toJson(12345678901234567890.0));
        assertEquals("123.456", JsonWriter.toJson(123.456));
        assertEquals("100.25", JsonWriter.toJson(100.25));
        assertEquals("0.5", JsonWriter.toJson(0.5));
        assertEquals("-1.5", JsonWriter.toJson(-1.5));
        assertEquals("0.30000000000000004", JsonWriter.toJson(0.1 + 0.2));
        assertEquals("1.0000000000000001e+300", JsonWriter.toJson(1e300));
        assertEquals("1.7976931348623157e+308", JsonWriter.toJson(Double.MAX_VALUE));
        assertEquals("4.9406564584124654e-324", JsonWriter.toJson(Double.MIN_VALUE));
        assertEquals("0", JsonWriter.toJson(0.0));
        assertEquals("-0", JsonWriter.toJson(-0.0));
        assertEquals("0.5", JsonWriter.toJson(0.5f));
        assertEquals("0.10000000149011612", JsonWriter.toJson(0.1f));
    }

    @Test
    void nonFiniteDoublesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson(List.of(Float.NEGATIVE_INFINITY)));
    }

    // ---- types

    @Test
    void scalarsAndArrays() {
        assertEquals("[null, true, false, \"s\", [1]]",
                JsonWriter.toJson(new Object[] {null, true, false, "s", new Object[] {1L}}));
        List<Object> withNull = new ArrayList<>();
        withNull.add(null);
        assertEquals("{\"n\": null, \"l\": [null]}", JsonWriter.toJson(map("n", null, "l", withNull)));
    }

    @Test
    void unknownTypesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson(new Object()));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson('c'));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson(List.of(new StringBuilder())));
        Map<Object, Object> badKey = new LinkedHashMap<>();
        badKey.put(1, 2);
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.toJson(badKey));
    }

    @Test
    void roundTripThroughTheStreamer() {
        // Buckets: n 88, path 253, u 325.
        byte[] in = "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/\u00E9\",\"n\":1.5e3,\"u\":18446744073709551615},\"id\":\"a\"}"
                .getBytes(StandardCharsets.UTF_8);
        List<JsonResult> r = new JsonStreamer().feedAll(in);
        Object v = assertInstanceOf(JsonResult.Value.class, r.get(0)).value();
        assertEquals("{\"execute\": \"qom-get\", \"arguments\": {\"n\": 1500, \"path\": \"/\\u00E9\", "
                + "\"u\": 18446744073709551615}, \"id\": \"a\"}", JsonWriter.toJson(v));
    }
}
