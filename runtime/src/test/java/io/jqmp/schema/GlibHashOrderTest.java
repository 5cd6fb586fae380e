package io.jqmp.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jqmp.protocol.QmpException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The unexpected argument named among several is QEMU's pick (observed on QEMU 7.2). */
class GlibHashOrderTest {

    static Map<String, Object> keys(String... names) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String n : names) {
            m.put(n, 1L);
        }
        return m;
    }

    @Test
    void picksAsQemuDoes() {
        assertEquals("y", GlibHashOrder.firstUnexpected(keys("x", "y"), Set.of(), List.of()));
        assertEquals("y", GlibHashOrder.firstUnexpected(keys("y", "x"), Set.of(), List.of()));
        assertEquals("b", GlibHashOrder.firstUnexpected(keys("a", "b", "c"), Set.of(), List.of()));
        assertEquals("b", GlibHashOrder.firstUnexpected(keys("c", "b", "a"), Set.of(), List.of()));
        assertEquals("bar", GlibHashOrder.firstUnexpected(keys("foo", "bar"), Set.of(), List.of()));
    }

    @Test
    void glibStringHash() {
        assertEquals(5381 * 33 + 'x', GlibHashOrder.strHash("x"));
        assertEquals(5381, GlibHashOrder.strHash(""));
    }

    @Test
    void validatorReportsThatKey() {
        Schema s = Schema.builder().command(Declaration.command("c").optionalMember("keep", "int").build()).build();
        CommandDef c = s.command("c").orElseThrow();
        QmpException e = org.junit.jupiter.api.Assertions.assertThrows(QmpException.class,
                () -> s.validateArguments(c, keys("keep", "foo", "bar")));
        assertEquals("Parameter 'bar' is unexpected", e.desc());
    }
}
