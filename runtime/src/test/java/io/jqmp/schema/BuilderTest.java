package io.jqmp.schema;

import static io.jqmp.schema.ValidationTest.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.protocol.QmpException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BuilderTest {

    @Test
    void javaDeclaredCommandsAreCheckedLikeFiles() {
        Schema s = Schema.builder()
                .define("JQMP_X_OOB_TEST")
                .builtin()
                .declare(Declaration.struct("MyType").member("id", "int").build())
                .command(CommandDef.builder("my-cmd").member("name", "str").optionalMember("n", "int")
                        .returns("MyType").allowOob().build())
                .declare(Declaration.command("conditional").ifCondition("CONFIG_X").build())
                .define("CONFIG_X")
                .build();
        CommandDef cmd = s.command("my-cmd").orElseThrow();
        assertEquals(new CommandDef("my-cmd", "q_obj_my-cmd-arg", "MyType", false, true, true, true, false, false,
                List.of(), new SourceLocation("<java>", 2)), cmd);
        assertTrue(s.command("conditional").isPresent());
        assertTrue(s.command("qmp_capabilities").isPresent());
        QmpException e = assertThrows(QmpException.class, () -> s.validateArguments(cmd, obj("n", 1L)));
        assertEquals("Parameter 'name' is missing", e.desc());
        Map<String, Object> args = obj("name", "x", "n", 2L);
        assertEquals(args, s.validateArguments(cmd, args));
        assertEquals(List.of("conditional", "my-cmd", "x-oob-test", "query-qmp-schema", "query-commands",
                "query-version", "qmp_capabilities"), s.commandNamesForQueryCommands());
        assertEquals("<java>", s.command("conditional").orElseThrow().location().file());
    }

    @Test
    void javaDeclarationErrorsCarryTheirPosition() {
        SchemaException e = assertThrows(SchemaException.class, () -> Schema.builder()
                .command(CommandDef.builder("ok").build())
                .command(CommandDef.builder("bad").allowOob().coroutine().build()).build());
        assertEquals("<java>:2: flags 'allow-oob' and 'coroutine' of command 'bad' are incompatible", e.getMessage());
        e = assertThrows(SchemaException.class, () -> Schema.builder()
                .command(CommandDef.builder("c").returns("Missing").build()).build());
        assertEquals("<java>:1: 'returns' of command 'c' uses unknown type 'Missing'", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Schema.builder().command(Declaration.enumeration("E", "a")));
    }

    @Test
    void arraysEventsAndEnumsFromJava() {
        Schema s = Schema.builder()
                .declare(Declaration.enumeration("Color", "red", "blue"))
                .declare(Declaration.event("PAINTED").member("colors", "[Color]").build())
                .command(CommandDef.builder("paint").data("PaintArgs").build())
                .declare(Declaration.struct("PaintArgs").member("c", "Color").feature("my-feature").build())
                .build();
        assertEquals("q_obj_PAINTED-arg", s.event("PAINTED").orElseThrow().argType());
        QmpException e = assertThrows(QmpException.class,
                () -> s.validateArguments(s.command("paint").orElseThrow(), obj("c", "green")));
        assertEquals("Parameter 'c' does not accept value 'green'", e.desc());
        assertEquals(List.of("my-feature"), ((SchemaType.ObjectType) s.type("PaintArgs").orElseThrow()).features());
    }

    @Test
    void mergeCombinesAndRejectsDuplicates() {
        Schema a = Schema.builtin(Set.of());
        Schema b = Schema.builder().command(CommandDef.builder("extra").build()).build();
        Schema merged = Schema.merge(a, b);
        assertEquals("extra", merged.commands().get(merged.commands().size() - 1).name());
        SchemaException e = assertThrows(SchemaException.class, () -> Schema.merge(a, a));
        assertEquals("io/jqmp/schema/builtin.json:10: 'QMPCapability' is already defined (previous definition at"
                + " io/jqmp/schema/builtin.json:10)", e.getMessage());
    }

    @Test
    void givenDefinitionsReplaceTheDefaultOnes() {
        Schema s = Schema.builder().builtin()
                .declare(Declaration.command("query-version").returns("VersionInfo").feature("deprecated").build())
                .declare(Declaration.struct("CommandInfo").member("name", "str").member("extra", "bool").build())
                .build();
        CommandDef version = s.command("query-version").orElseThrow();
        assertEquals(List.of("deprecated"), version.features());
        assertEquals(new SourceLocation("<java>", 1), version.location());
        assertEquals(2, ((SchemaType.ObjectType) s.type("CommandInfo").orElseThrow()).members().size());
        assertTrue(s.command("qmp_capabilities").isPresent(), "definitions not given stay");
    }

    @Test
    void aGivenWholeSchemaLeavesOutTheDefaults() {
        Schema s = Schema.builder().define("JQMP_X_OOB_TEST").builtin()
                .declare(Declaration.of(Map.of("pragma", Map.of("command-name-exceptions", List.of("qmp_capabilities")))))
                .declare(Declaration.command("qmp_capabilities").build())
                .declare(Declaration.command("only-mine").build())
                .build();
        assertEquals(List.of("qmp_capabilities", "only-mine"), s.commands().stream().map(CommandDef::name).toList());
        assertTrue(s.type("VersionInfo").isEmpty());
    }

    @Test
    void sameSourceTwiceIsReadOnce() {
        Schema s = Schema.builder().define("JQMP_X_OOB_TEST").builtin().builtin().build();
        assertEquals(5, s.commands().size());
    }
}
