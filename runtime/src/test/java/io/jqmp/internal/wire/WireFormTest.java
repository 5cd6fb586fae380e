package io.jqmp.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A streamer that keeps the wire form: received objects, their order, and the bytes of plain objects. */
class WireFormTest {

    private static JsonResult.Value parse(String text, boolean keep) {
        JsonStreamer s = new JsonStreamer();
        if (keep) {
            s.keepWireForm();
        }
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.feed(b, 0, b.length);
        return assertInstanceOf(JsonResult.Value.class, s.poll());
    }

    @Test
    void aPlainObjectReadWholeKeepsItsBytes() {
        String text = "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": 12}";
        JsonResult.Value v = parse("  " + text + "\r\n", true);
        assertArrayEquals(text.getBytes(StandardCharsets.US_ASCII), v.source());
        Map<?, ?> m = assertInstanceOf(ReceivedObject.class, v.value());
        assertInstanceOf(ReceivedObject.class, m.get("return"));
        assertEquals(List.of("status", "singlestep", "running"), new ArrayList<>(((Map<?, ?>) m.get("return")).keySet()));
    }

    @Test
    void objectsTheFastPathLeavesAreReceivedObjectsWithoutBytes() {
        JsonResult.Value escaped = parse("{\"a\": \"x\\ny\", \"b\": {\"c\": 1.5}}", true);
        assertNull(escaped.source());
        Map<?, ?> m = assertInstanceOf(ReceivedObject.class, escaped.value());
        assertInstanceOf(ReceivedObject.class, m.get("b"));
    }

    @Test
    void withoutTheSettingObjectsArePlainAndKeepNoBytes() {
        JsonResult.Value v = parse("{\"a\": {\"b\": 1}}", false);
        assertNull(v.source());
        assertEquals(LinkedHashMap.class, v.value().getClass());
        assertEquals(LinkedHashMap.class, ((Map<?, ?>) v.value()).get("a").getClass());
    }

    /**
     * "micro" and "minor" share a QDict bucket: a map built in Java is written with the later key
     * first, as QEMU iterates a QDict; a received one as it came.
     */
    @Test
    void aReceivedObjectIsWrittenInTheOrderItCameWithinABucket() {
        Map<String, Object> built = new LinkedHashMap<>();
        built.put("micro", 1L);
        built.put("minor", 2L);
        assertEquals("{\"minor\": 2, \"micro\": 1}", JsonWriter.toJson(built));
        assertEquals("{\"micro\": 1, \"minor\": 2}", JsonWriter.toJson(parse("{\"micro\": 1, \"minor\": 2}", true).value()));
        assertEquals("{\"minor\": 2, \"micro\": 1}", JsonWriter.toJson(parse("{\"micro\": 1, \"minor\": 2}", false).value()));
    }

    /**
     * Whatever QEMU's order made of a value (random objects whose keys collide in buckets), reading
     * it with the wire form kept and writing it again gives the same text, by the fast path and
     * by the exact one (a float sends a value there).
     */
    @Test
    void textInQemusOrderReadAndWrittenAgainIsTheSame() {
        Random rnd = new Random(7);
        for (int round = 0; round < 2000; round++) {
            Object value = randomObject(rnd, 0);
            String text = JsonWriter.toJson(value);
            assertEquals(text, JsonWriter.toJson(parse(text, true).value()), text);
        }
    }

    private static final String[] KEYS = {"micro", "minor", "major", "a", "b", "status", "singlestep", "running", "id"};

    private static Map<String, Object> randomObject(Random rnd, int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        int n = rnd.nextInt(6);
        for (int i = 0; i < n; i++) {
            m.put(KEYS[rnd.nextInt(KEYS.length)], randomValue(rnd, depth + 1));
        }
        return m;
    }

    private static Object randomValue(Random rnd, int depth) {
        return switch (depth > 3 ? rnd.nextInt(4) : rnd.nextInt(6)) {
            case 0 -> (long) rnd.nextInt(1000);
            case 1 -> rnd.nextBoolean() ? "plain" : "esc\"aped";
            case 2 -> rnd.nextBoolean() ? 0.5 : null;
            case 3 -> rnd.nextBoolean();
            case 4 -> randomObject(rnd, depth);
            default -> List.of(randomObject(rnd, depth), (long) depth);
        };
    }

    @Test
    void asBuiltTurnsReceivedObjectsIntoPlainOnesAndLeavesTheRestAlone() {
        Object received = parse("{\"minor\": [1, {\"micro\": 0, \"minor\": 1}], \"micro\": 0}", true).value();
        Object built = ReceivedObject.asBuilt(received);
        assertEquals(received, built);
        assertEquals(LinkedHashMap.class, built.getClass());
        Object inner = ((List<?>) ((Map<?, ?>) built).get("minor")).get(1);
        assertEquals(LinkedHashMap.class, inner.getClass());
        assertEquals("{\"micro\": 0, \"minor\": [1, {\"minor\": 1, \"micro\": 0}]}", JsonWriter.toJson(built));
        Map<String, Object> plain = new LinkedHashMap<>(Map.of("a", List.of(1L)));
        assertSame(plain, ReceivedObject.asBuilt(plain));
        assertSame("x", ReceivedObject.asBuilt("x"));
        assertNotSame(received, built);
    }
}
