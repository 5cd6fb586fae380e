package io.jqmp.internal.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Records, beans and enums to and from the value model, with QEMU's texts for what does not fit. */
class MappingTest {
    enum Mode { FAST, DARK_BLUE }

    enum Target {
        X86_64 {
            @Override
            public String toString() {
                return "x86_64";
            }
        }
    }

    record Disk(String nodeName, long cpuIndex) {
    }

    record Args(int n, String name, List<Disk> disks, Mode mode, Map<String, Object> extra, Object any,
                Boolean flag, double ratio, BigInteger big, Target target) {
    }

    /** A bean: its property names come from the getters and setters. */
    public static final class Version {
        private String pkg;
        private long major;

        public String getPackage() {
            return pkg;
        }

        public void setPackage(String p) {
            this.pkg = p;
        }

        public long getMajor() {
            return major;
        }

        public void setMajor(long major) {
            this.major = major;
        }
    }

    @Test
    void readsRecordsWithHyphenatedMembers() {
        Args a = Mapping.fromValue(Map.of("n", 5L, "name", "x",
                "disks", List.of(Map.of("node-name", "d0", "cpu-index", 3L)),
                "mode", "dark-blue", "extra", Map.of("k", 1L), "any", List.of(1L, "two"),
                "ratio", 2L, "big", new BigInteger("18446744073709551615"), "target", "x86_64"), Args.class);
        assertEquals(5, a.n());
        assertEquals(List.of(new Disk("d0", 3)), a.disks());
        assertEquals(Mode.DARK_BLUE, a.mode());
        assertEquals(Map.of("k", 1L), a.extra());
        assertInstanceOf(Long.class, a.extra().get("k"), "Object members keep the value model");
        assertEquals(List.of(1L, "two"), a.any());
        assertNull(a.flag(), "absent members are null");
        assertEquals(2.0, a.ratio());
        assertEquals(new BigInteger("18446744073709551615"), a.big());
        assertEquals(Target.X86_64, a.target());
    }

    @Test
    void readsBeans() {
        Version v = Mapping.fromValue(Map.of("package", "jqmp", "major", 7L, "unknown", true), Version.class);
        assertEquals("jqmp", v.getPackage());
        assertEquals(7, v.getMajor());
    }

    @Test
    void mismatchesGetQemusTexts() {
        assertEquals("Parameter 'n' expects int32", fail(Map.of("n", 99_999_999_999L)));
        assertEquals("Invalid parameter type for 'n', expected: integer", fail(Map.of("n", "one")));
        assertEquals("Invalid parameter type for 'n', expected: integer", fail(Map.of("n", 1.5)));
        assertEquals("Invalid parameter type for 'name', expected: string", fail(Map.of("name", 5L)));
        assertEquals("Invalid parameter type for 'flag', expected: boolean", fail(Map.of("flag", 1L)));
        assertEquals("Invalid parameter type for 'ratio', expected: number", fail(Map.of("ratio", "1")));
        assertEquals("Invalid parameter type for 'disks[0].cpu-index', expected: integer",
                fail(Map.of("disks", List.of(Map.of("cpu-index", "x")))));
        assertEquals("Parameter 'mode' does not accept value 'slow'", fail(Map.of("mode", "slow")));
    }

    record Counts(List<Integer> counts) {
    }

    @Test
    void aListElementIsNamedNullAsInQemu() {
        MappingException e = assertThrows(MappingException.class,
                () -> Mapping.fromValue(Map.of("counts", List.of(1L, 1L << 40)), Counts.class));
        assertEquals("Parameter 'null' expects int32", e.getMessage());
    }

    private static String fail(Map<String, Object> value) {
        return assertThrows(MappingException.class, () -> Mapping.fromValue(value, Args.class)).getMessage();
    }

    @Test
    void writesRecordsBeansAndEnumsAsTheValueModel() {
        Object v = Mapping.toValue(new Args(1, null, List.of(new Disk("d0", 2)), Mode.DARK_BLUE, Map.of("k", 1),
                null, true, 0.5, null, Target.X86_64));
        assertEquals(Map.of("n", 1L, "disks", List.of(Map.of("node-name", "d0", "cpu-index", 2L)),
                "mode", "dark-blue", "extra", Map.of("k", 1L), "flag", true, "ratio", 0.5, "target", "x86_64"), v);
        Version ver = new Version();
        ver.setPackage("p");
        assertEquals(Map.of("package", "p", "major", 0L), Mapping.toValue(ver));
        assertEquals(List.of(Map.of("node-name", "a", "cpu-index", 1L)), Mapping.toValue(List.of(new Disk("a", 1))));
    }

    @Test
    void plainValuesAreNotCopied() {
        Map<String, Object> plain = Map.of("a", List.of(1L, "b"));
        assertSame(plain, Mapping.toValue(plain));
        assertSame(plain, Mapping.fromValue(plain, Object.class));
    }

    @Test
    void aTypeThatCannotBeWrittenIsAnIllegalArgument() {
        assertThrows(IllegalArgumentException.class, () -> Mapping.toValue(new Object()));
    }
}
