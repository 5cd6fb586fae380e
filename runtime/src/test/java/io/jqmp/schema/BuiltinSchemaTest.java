package io.jqmp.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BuiltinSchemaTest {

    @Test
    void builtinLoadsWithoutDialect() {
        Schema s = Schema.builtin(Set.of("JQMP_X_OOB_TEST"));
        assertEquals(List.of("qmp_capabilities", "query-version", "query-commands", "query-qmp-schema", "x-oob-test"),
                s.commands().stream().map(CommandDef::name).toList());
        assertTrue(s.events().isEmpty());
        assertFalse(s.type("CommandDropReason").isPresent());
        CommandDef caps = s.command("qmp_capabilities").orElseThrow();
        assertEquals("q_obj_qmp_capabilities-arg", caps.argType());
        assertTrue(caps.allowPreconfig());
        assertFalse(caps.allowOob());
        assertTrue(s.command("query-qmp-schema").orElseThrow().gen(), "generated in QEMU 7.2, so its arguments are checked");
        assertEquals("SchemaInfoList", s.command("query-qmp-schema").orElseThrow().retType());
        assertTrue(s.command("x-oob-test").orElseThrow().allowOob());
    }

    @Test
    void dialect212AddsCommandDropped() {
        Schema s = Schema.builtin(Set.of("JQMP_DIALECT_2_12"));
        assertEquals(List.of("COMMAND_DROPPED"), s.events().stream().map(EventDef::name).toList());
        SchemaType.EnumType reason = (SchemaType.EnumType) s.type("CommandDropReason").orElseThrow();
        assertEquals("queue-full", reason.values().get(0).name());
    }
}
