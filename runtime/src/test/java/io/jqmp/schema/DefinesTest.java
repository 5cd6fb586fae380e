package io.jqmp.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefinesTest {
    @TempDir
    Path dir;

    @Test
    void oneNameALineWithComments() throws IOException {
        Path f = Files.writeString(dir.resolve("x.defines"), "# x86_64\nTARGET_I386\n\n  CONFIG_VNC  # VNC display\n#CONFIG_OFF\n");
        assertEquals(List.of("TARGET_I386", "CONFIG_VNC"), List.copyOf(Defines.read(f)));
    }

    @Test
    void badNamesAreRefusedWithFileAndLine() throws IOException {
        Path f = Files.writeString(dir.resolve("bad.defines"), "CONFIG_A\nconfig_b\n");
        SchemaException e = assertThrows(SchemaException.class, () -> Defines.read(f));
        assertEquals(f + ":2: 'config_b' is not a name an 'if' condition can test (an upper-case letter, then"
                + " upper-case letters, digits and '_', e.g. CONFIG_VNC)", e.getMessage());
        e = assertThrows(SchemaException.class, () -> Defines.read(dir.resolve("none.defines")));
        assertTrue(e.getMessage().startsWith("can't read define file '" + dir.resolve("none.defines") + "'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schema.builder().define("CONFIG-X"));
    }

    @Test
    void definesDecideConditions() throws IOException {
        Path schema = Files.writeString(dir.resolve("s.json"), "{ 'command': 'vnc', 'if': 'CONFIG_VNC' }");
        Path f = Files.writeString(dir.resolve("x.defines"), "CONFIG_VNC\n");
        assertTrue(Schema.builder().define(Defines.read(f)).load(schema).build().command("vnc").isPresent());
        assertTrue(new SchemaLoader(Set.of()).load(schema).command("vnc").isEmpty());
    }
}
