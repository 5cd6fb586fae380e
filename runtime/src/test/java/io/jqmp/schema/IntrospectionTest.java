package io.jqmp.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.internal.wire.JsonWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * query-qmp-schema and query-commands, rule by rule. Each expected listing is what QEMU 7.2
 * answers for the same schema and defines: it was produced by QEMU 7.2's own generator
 * (scripts/qapi-gen.py, its qapi-introspect.c run through the C preprocessor with the defines)
 * and written the way QEMU writes it on the wire, one SchemaInfo a line.
 */
class IntrospectionTest {
    private static final String RULES = "io/jqmp/schema/rules/";

    private static Schema rules(String file, String... defines) {
        return Schema.builder().define(Set.of(defines)).loadResource(RULES + file).build();
    }

    /** One SchemaInfo a line, as QEMU writes it (its member order, its separators). */
    private static String wire(List<Object> infos) {
        StringBuilder sb = new StringBuilder();
        for (Object o : infos) {
            sb.append(JsonWriter.toJson(o)).append('\n');
        }
        return sb.toString();
    }

    private static String find(List<Object> infos, String name) {
        for (Object o : infos) {
            if (name.equals(((Map<?, ?>) o).get("name"))) {
                return JsonWriter.toJson(o);
            }
        }
        throw new AssertionError("no SchemaInfo named " + name);
    }

    /** Commands and events come file by file, each file where it was first included. */
    @Test
    void moduleOrder() {
        Schema s = rules("modules.json");
        assertEquals("""
                {"name": "root-cmd", "ret-type": "0", "meta-type": "command", "arg-type": "0"}
                {"name": "a-cmd", "ret-type": "0", "meta-type": "command", "arg-type": "1"}
                {"name": "A_EVENT", "meta-type": "event", "arg-type": "0"}
                {"name": "c-cmd", "ret-type": "0", "meta-type": "command", "arg-type": "0"}
                {"name": "b-cmd", "ret-type": "2", "meta-type": "command", "arg-type": "0"}
                {"name": "0", "members": [], "meta-type": "object"}
                {"name": "1", "members": [{"name": "c", "type": "3"}], "meta-type": "object"}
                {"name": "2", "members": [{"name": "id", "type": "str"}], "meta-type": "object"}
                {"name": "3", "members": [{"name": "v", "type": "int"}], "meta-type": "object"}
                {"name": "str", "json-type": "string", "meta-type": "builtin"}
                {"name": "int", "json-type": "int", "meta-type": "builtin"}
                """, wire(s.introspect(IntrospectOptions.DEFAULT)));
        assertEquals(List.of("b-cmd", "c-cmd", "a-cmd", "root-cmd"), s.commandNamesForQueryCommands());
        // The definitions themselves were read in include order.
        assertEquals(List.of("b-cmd", "c-cmd", "a-cmd", "root-cmd"), s.commands().stream().map(CommandDef::name).toList());
    }

    /**
     * Numbers are handed out as if every condition held (the first type used gets "0"; "2" and
     * "8" went to the removed command's types), and types reachable only through removed parts
     * (Extra, Round, SizeName, and str through Gone) are still listed.
     */
    @Test
    void conditionsApplyAfterNumberingAndWalking() {
        assertEquals("""
                {"name": "first", "ret-type": "1", "meta-type": "command", "arg-type": "0"}
                {"name": "after", "ret-type": "3", "meta-type": "command", "arg-type": "1", "features": []}
                {"name": "SHAPED", "meta-type": "event", "arg-type": "4"}
                {"name": "resize", "ret-type": "1", "meta-type": "command", "arg-type": "5"}
                {"name": "last", "ret-type": "[3]", "meta-type": "command", "arg-type": "6"}
                {"name": "0", "members": [{"name": "opts", "type": "7"}], "meta-type": "object"}
                {"name": "1", "members": [], "meta-type": "object"}
                {"name": "3", "members": [{"name": "ok", "type": "bool"}], "meta-type": "object"}
                {"name": "4", "members": [{"name": "shape", "type": "9"}], "meta-type": "object"}
                {"name": "5", "members": [{"name": "size", "type": "10"}], "meta-type": "object"}
                {"name": "6", "members": [{"name": "ids", "type": "[int]"}], "meta-type": "object"}
                {"name": "[3]", "element-type": "3", "meta-type": "array"}
                {"name": "7", "members": [{"name": "mode", "type": "11"}, {"name": "level", "default": null, "type": "int"}], "meta-type": "object"}
                {"name": "bool", "json-type": "boolean", "meta-type": "builtin"}
                {"name": "9", "tag": "kind", "variants": [{"case": "square", "type": "1"}], "members": [{"name": "kind", "type": "13"}], "meta-type": "object"}
                {"name": "10", "members": [{"type": "int"}], "meta-type": "alternate"}
                {"name": "[int]", "element-type": "int", "meta-type": "array"}
                {"name": "int", "json-type": "int", "meta-type": "builtin"}
                {"name": "11", "members": [{"name": "fast"}, {"name": "odd", "features": []}], "meta-type": "enum", "values": ["fast", "odd"]}
                {"name": "12", "members": [{"name": "depth", "type": "int"}], "meta-type": "object"}
                {"name": "str", "json-type": "string", "meta-type": "builtin"}
                {"name": "13", "members": [{"name": "square"}], "meta-type": "enum", "values": ["square"]}
                {"name": "14", "members": [{"name": "r", "type": "number"}], "meta-type": "object"}
                {"name": "15", "members": [{"name": "small"}], "meta-type": "enum", "values": ["small"]}
                {"name": "number", "json-type": "number", "meta-type": "builtin"}
                """, wire(rules("conditions.json").introspect(IntrospectOptions.DEFAULT)));
    }

    @Test
    void definesKeepWhatTheirConditionsName() {
        List<Object> out = rules("conditions.json", "CONFIG_SLOW", "CONFIG_ROUND", "CONFIG_OLD", "CONFIG_EXTRA")
                .introspect(IntrospectOptions.DEFAULT);
        assertEquals(25, out.size());
        assertEquals("{\"name\": \"7\", \"members\": [{\"name\": \"mode\", \"type\": \"11\"}, {\"name\": \"extra\", "
                + "\"default\": null, \"type\": \"12\"}, {\"name\": \"level\", \"default\": null, \"type\": \"int\"}], "
                + "\"meta-type\": \"object\"}", find(out, "7"));
        assertEquals("{\"name\": \"9\", \"tag\": \"kind\", \"variants\": [{\"case\": \"round\", \"type\": \"14\"}, "
                + "{\"case\": \"square\", \"type\": \"1\"}], \"members\": [{\"name\": \"kind\", \"type\": \"13\"}], "
                + "\"meta-type\": \"object\"}", find(out, "9"));
        assertEquals("{\"name\": \"11\", \"members\": [{\"name\": \"fast\"}, {\"name\": \"slow\"}, {\"name\": \"odd\", "
                + "\"features\": [\"deprecated\"]}], \"meta-type\": \"enum\", \"values\": [\"fast\", \"slow\", \"odd\"]}",
                find(out, "11"));
    }

    /** QEMU registers 'gen': false commands by hand after the generated ones; query-commands lists newest first. */
    @Test
    void handWrittenCommandsComeFirstInQueryCommands() {
        Schema s = rules("conditions.json");
        assertEquals(List.of("resize", "last", "after", "first"), s.commandNamesForQueryCommands());
        assertEquals(List.of("resize", "last", "after", "gone", "first"),
                rules("conditions.json", "CONFIG_GONE").commandNamesForQueryCommands());
    }

    /** A member may use a struct whose base is the member's own struct (QEMU's BlockdevOptions chain). */
    @Test
    void baseCycleThroughAMember() {
        Schema s = Schema.builder()
                .declare(Declaration.struct("Base").optionalMember("next", "Child").build())
                .declare(Declaration.struct("Child").base("Base").member("x", "int").build())
                .command(Declaration.command("walk").data("Child").build())
                .build();
        assertEquals("""
                {"name": "walk", "ret-type": "1", "meta-type": "command", "arg-type": "0"}
                {"name": "0", "members": [{"name": "next", "default": null, "type": "0"}, {"name": "x", "type": "int"}], "meta-type": "object"}
                {"name": "1", "members": [], "meta-type": "object"}
                {"name": "int", "json-type": "int", "meta-type": "builtin"}
                """, wire(s.introspect(IntrospectOptions.DEFAULT)));
    }

    @Test
    void unmaskedKeepsNames() {
        List<Object> out = rules("conditions.json").introspect(new IntrospectOptions(true, false));
        assertEquals("{\"name\": \"last\", \"ret-type\": \"[Result]\", \"meta-type\": \"command\", "
                + "\"arg-type\": \"q_obj_last-arg\"}", JsonWriter.toJson(out.get(4)));
        assertTrue(out.stream().anyMatch(o -> "Round".equals(((Map<?, ?>) o).get("name"))));
    }

    @Test
    void dialect212ReportsAllowOobOnEveryCommand() {
        List<Object> out = rules("conditions.json").introspect(IntrospectOptions.DIALECT_2_12);
        assertEquals(Boolean.FALSE, ((Map<?, ?>) out.get(0)).get("allow-oob"));
        List<Object> builtin = Schema.builtin(Set.of("JQMP_X_OOB_TEST")).introspect(IntrospectOptions.DIALECT_2_12);
        assertEquals(Boolean.TRUE, ((Map<?, ?>) builtin.get(4)).get("allow-oob"));
    }

    @Test
    void resultIsCachedPerOptionsAndUnmodifiable() {
        Schema s = rules("modules.json");
        assertSame(s.introspect(IntrospectOptions.DEFAULT), s.introspect(new IntrospectOptions(false, false)));
        assertThrows(UnsupportedOperationException.class, () -> s.introspect(IntrospectOptions.DEFAULT).clear());
    }

    @Test
    void builtinSchemaShapes() {
        Schema s = Schema.builtin(Set.of("JQMP_X_OOB_TEST"));
        List<Object> out = s.introspect(IntrospectOptions.DEFAULT);
        assertEquals("""
                {"name": "qmp_capabilities", "ret-type": "1", "meta-type": "command", "arg-type": "0"}
                {"name": "query-version", "ret-type": "2", "meta-type": "command", "arg-type": "1"}
                {"name": "query-commands", "ret-type": "[3]", "meta-type": "command", "arg-type": "1"}
                {"name": "query-qmp-schema", "ret-type": "[4]", "meta-type": "command", "arg-type": "1"}
                {"name": "x-oob-test", "ret-type": "1", "allow-oob": true, "meta-type": "command", "arg-type": "5"}
                {"name": "0", "members": [{"name": "enable", "default": null, "type": "[7]"}], "meta-type": "object"}
                """, wire(out.subList(0, 6)));
        assertEquals("{\"name\": \"7\", \"members\": [{\"name\": \"oob\"}], \"meta-type\": \"enum\", \"values\": [\"oob\"]}",
                find(out, "7"));
        assertEquals("{\"name\": \"15\", \"members\": [{\"name\": \"arg-type\", \"type\": \"str\"}, "
                + "{\"name\": \"ret-type\", \"type\": \"str\"}, {\"name\": \"allow-oob\", \"default\": null, "
                + "\"type\": \"bool\"}], \"meta-type\": \"object\"}", find(out, "15"));
        assertEquals(List.of("str", "bool", "any", "int"), out.stream().map(o -> (Map<?, ?>) o)
                .filter(m -> m.get("meta-type").equals("builtin")).map(m -> m.get("name")).toList());
        assertEquals(List.of("x-oob-test", "query-qmp-schema", "query-commands", "query-version", "qmp_capabilities"),
                s.commandNamesForQueryCommands());

        List<Object> old = Schema.builtin(Set.of("JQMP_DIALECT_2_12")).introspect(IntrospectOptions.DIALECT_2_12);
        // "5" went to x-oob-test's arguments, which its condition removes.
        assertEquals("{\"name\": \"COMMAND_DROPPED\", \"meta-type\": \"event\", \"arg-type\": \"6\"}",
                JsonWriter.toJson(old.get(4)));
        assertEquals("{\"name\": \"6\", \"members\": [{\"name\": \"id\", \"type\": \"any\"}, {\"name\": \"reason\", "
                + "\"type\": \"17\"}], \"meta-type\": \"object\"}", find(old, "6"));
    }
}
