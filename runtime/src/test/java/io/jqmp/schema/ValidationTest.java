package io.jqmp.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.protocol.ErrorClass;
import io.jqmp.protocol.QmpException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every row of QEMU's argument validation table, with the exact texts. */
class ValidationTest {
    private static final Schema SCHEMA = Schema.builder().loadResource("io/jqmp/schema/validate.json").build();

    /** Builds a LinkedHashMap from alternating keys and values. */
    static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static List<Object> arr(Object... items) {
        return new ArrayList<>(Arrays.asList(items));
    }

    private static Map<String, Object> ok(String cmd, Map<String, Object> args) {
        return SCHEMA.validateArguments(SCHEMA.command(cmd).orElseThrow(), args);
    }

    private static void fails(String expected, String cmd, Map<String, Object> args) {
        QmpException e = assertThrows(QmpException.class,
                () -> SCHEMA.validateArguments(SCHEMA.command(cmd).orElseThrow(), args));
        assertEquals(expected, e.desc());
        assertEquals(ErrorClass.GenericError, e.errorClass());
    }

    @Test
    void returnsTheSameMap() {
        Map<String, Object> args = obj("first", "x", "second", 1L);
        assertSame(args, ok("order", args));
        assertEquals(Map.of(), ok("no-args", null));
    }

    @Test
    void missing() {
        fails("Parameter 'first' is missing", "order", obj());
        fails("Parameter 'second' is missing", "order", obj("first", "x"));
        fails("Parameter 'b' is missing", "named-args", obj());
    }

    @Test
    void missingIsReportedBeforeUnexpected() {
        fails("Parameter 'second' is missing", "order", obj("junk", 1L, "first", "x"));
    }

    @Test
    void typeErrorsFollowDeclarationOrder() {
        fails("Invalid parameter type for 'first', expected: string", "order", obj("second", "x", "first", 1L));
        fails("Invalid parameter type for 'second', expected: integer", "order", obj("first", "x", "second", "x"));
    }

    @Test
    void unexpected() {
        fails("Parameter 'junk' is unexpected", "order", obj("first", "x", "second", 1L, "junk", true));
        fails("Parameter 'junk' is unexpected", "no-args", obj("junk", true));
        fails("Parameter 'junk' is unexpected", "named-args", obj("b", 1L, "junk", true));
    }

    @Test
    void nestedUnexpectedIsCheckedWhenItsStructEnds() {
        // o's leftover key is reported before the later member z is found missing.
        fails("Parameter 'o.junk' is unexpected", "nest", obj("o", obj("b", 1L, "junk", 1L)));
        fails("Parameter 'z' is missing", "nest", obj("o", obj("b", 1L)));
    }

    @Test
    void eachWrongType() {
        fails("Invalid parameter type for 'o', expected: object", "types", obj("o", 1L));
        fails("Invalid parameter type for 'l', expected: array", "types", obj("l", obj()));
        fails("Invalid parameter type for 'i', expected: integer", "types", obj("i", "1"));
        fails("Invalid parameter type for 'i', expected: integer", "types", obj("i", 1.5));
        fails("Invalid parameter type for 'i', expected: integer", "types", obj("i", BigInteger.TWO.pow(63)));
        fails("Invalid parameter type for 'b', expected: boolean", "types", obj("b", "true"));
        fails("Invalid parameter type for 's', expected: string", "types", obj("s", 1L));
        fails("Invalid parameter type for 's', expected: string", "types", obj("s", null));
        fails("Invalid parameter type for 'n', expected: number", "types", obj("n", "1"));
        fails("Invalid parameter type for 'nul', expected: null", "types", obj("nul", 0L));
    }

    @Test
    void acceptedTypes() {
        ok("types", obj("s", "x", "b", false, "i", Long.MIN_VALUE, "nul", null, "l", arr(1L, 2L), "o", obj("b", 1L)));
        ok("types", obj("n", 1L));
        ok("types", obj("n", 1.5));
        ok("types", obj("n", BigInteger.TWO.pow(64).subtract(BigInteger.ONE)));
        for (Object any : arr(null, 1L, "x", true, obj("k", 1L), arr(), 2.5)) {
            ok("types", obj("a", any));
        }
        ok("types", obj("i64", Long.MAX_VALUE));
    }

    @Test
    void uint64() {
        ok("types", obj("u64", -1L));
        ok("types", obj("u64", Long.MIN_VALUE));
        ok("types", obj("u64", BigInteger.TWO.pow(64).subtract(BigInteger.ONE)));
        ok("types", obj("sz", -1L));
        fails("Parameter 'u64' expects uint64", "types", obj("u64", "1"));
        fails("Parameter 'u64' expects uint64", "types", obj("u64", 1.0));
        fails("Parameter 'sz' expects uint64", "types", obj("sz", true));
        fails("Parameter 'o.big' expects uint64", "types", obj("o", obj("b", 1L, "big", "x")));
    }

    @Test
    void sizedIntegersInRange() {
        ok("types", obj("u8", 0L, "u16", 65535L, "u32", 4294967295L));
        ok("types", obj("u8", 255L));
        ok("types", obj("i8", -128L, "i16", -32768L, "i32", -2147483648L));
        ok("types", obj("i8", 127L, "i16", 32767L, "i32", 2147483647L));
    }

    @Test
    void sizedIntegersOutOfRange() {
        fails("Parameter 'u8' expects uint8_t", "types", obj("u8", 256L));
        fails("Parameter 'u8' expects uint8_t", "types", obj("u8", -1L));
        fails("Parameter 'u16' expects uint16_t", "types", obj("u16", 65536L));
        fails("Parameter 'u32' expects uint32_t", "types", obj("u32", 4294967296L));
        fails("Parameter 'u32' expects uint32_t", "types", obj("u32", BigInteger.TWO.pow(64).subtract(BigInteger.ONE)));
        fails("Parameter 'i8' expects int8_t", "types", obj("i8", 128L));
        fails("Parameter 'i8' expects int8_t", "types", obj("i8", -129L));
        fails("Parameter 'i16' expects int16_t", "types", obj("i16", 32768L));
        fails("Parameter 'i16' expects int16_t", "types", obj("i16", -32769L));
        fails("Parameter 'i32' expects int32_t", "types", obj("i32", 2147483648L));
        fails("Parameter 'i32' expects int32_t", "types", obj("i32", -2147483649L));
    }

    @Test
    void sizedIntegersCheckTheBaseTypeFirst() {
        fails("Parameter 'u8' expects uint64", "types", obj("u8", "1"));
        fails("Invalid parameter type for 'i8', expected: integer", "types", obj("i8", "1"));
    }

    @Test
    void sizedIntegerErrorsUseTheBareName() {
        fails("Parameter 'small' expects int8_t", "types", obj("o", obj("b", 1L, "small", 200L)));
        fails("Parameter 'null' expects uint8_t", "types", obj("u8l", arr(1L, 300L)));
        fails("Parameter 'r' expects uint8_t", "boxed-union", obj("kind", "red", "id", "x", "r", 256L));
    }

    @Test
    void enums() {
        ok("types", obj("e", "green", "el", arr("red", "green")));
        fails("Parameter 'e' does not accept value 'blue'", "types", obj("e", "blue"));
        fails("Parameter 'null' does not accept value 'blue'", "types", obj("el", arr("red", "blue")));
        fails("Invalid parameter type for 'e', expected: string", "types", obj("e", 1L));
        fails("Invalid parameter type for 'el[0]', expected: string", "types", obj("el", arr(true)));
    }

    @Test
    void nestedPaths() {
        fails("Parameter 'o.b' is missing", "types", obj("o", obj()));
        fails("Invalid parameter type for 'o.b', expected: integer", "types", obj("o", obj("b", "x")));
        fails("Parameter 'o.junk' is unexpected", "types", obj("o", obj("b", 1L, "junk", 1L)));
        fails("Parameter 'ol[1].b' is missing", "types", obj("ol", arr(obj("b", 1L), obj())));
        fails("Invalid parameter type for 'ol[0].b', expected: integer", "types", obj("ol", arr(obj("b", "x"))));
        fails("Parameter 'ol[0].junk' is unexpected", "types", obj("ol", arr(obj("b", 1L, "junk", 2L))));
        fails("Invalid parameter type for 'ol[0]', expected: object", "types", obj("ol", arr(1L)));
        fails("Invalid parameter type for 'l[1]', expected: integer", "types", obj("l", arr(1L, "x")));
        fails("Parameter 'ol[0].big' expects uint64", "types", obj("ol", arr(obj("b", 1L, "big", -1.5))));
    }

    @Test
    void unions() {
        ok("boxed-union", obj("kind", "red", "id", "x", "r", 1L));
        ok("boxed-union", obj("kind", "green", "id", "x"));
        fails("Parameter 'r' is unexpected", "boxed-union", obj("kind", "green", "id", "x", "r", 1L));
        fails("Parameter 'r' is missing", "boxed-union", obj("kind", "red", "id", "x"));
        fails("Parameter 'kind' does not accept value 'blue'", "boxed-union", obj("kind", "blue", "id", "x"));
        fails("Parameter 'kind' is missing", "boxed-union", obj("id", "x"));
        fails("Parameter 'id' is missing", "boxed-union", obj("kind", "red", "r", 1L));
        fails("Parameter 'junk' is unexpected", "boxed-union", obj("junk", 0L, "kind", "red", "id", "x", "r", 1L));
    }

    @Test
    void alternates() {
        ok("types", obj("alt", 1L));
        ok("types", obj("alt", "red"));
        fails("Parameter 'alt' does not accept value 'x'", "types", obj("alt", "x"));
        ok("types", obj("alt", obj("b", 1L)));
        fails("Invalid parameter type for 'alt', expected: Alt", "types", obj("alt", true));
        fails("Invalid parameter type for 'alt', expected: Alt", "types", obj("alt", null));
        fails("Invalid parameter type for 'alt', expected: integer", "types", obj("alt", 1.5));
        fails("Parameter 'alt.b' is missing", "types", obj("alt", obj()));
    }

    @Test
    void genFalseIsNotValidated() {
        Map<String, Object> args = obj("anything", "goes");
        assertSame(args, ok("raw", args));
        assertTrue(!SCHEMA.command("raw").orElseThrow().gen());
    }

    @Test
    void foreignCommandIsRejected() {
        CommandDef other = Schema.builder().command(CommandDef.builder("order").build()).build()
                .command("order").orElseThrow();
        assertThrows(IllegalArgumentException.class, () -> SCHEMA.validateArguments(other, obj()));
    }
}
