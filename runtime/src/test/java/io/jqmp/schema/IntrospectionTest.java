package io.jqmp.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * query-qmp-schema output. Maps are compared through {@code toString()}, which follows the
 * LinkedHashMap insertion order, so member order is checked too.
 */
class IntrospectionTest {
    private static final Schema SCHEMA = Schema.builder().loadResource("io/jqmp/schema/introspect.json").build();

    private static String render(List<Object> infos) {
        StringBuilder sb = new StringBuilder();
        for (Object o : infos) {
            sb.append(o).append('\n');
        }
        return sb.toString();
    }

    @Test
    void maskedOutputInGeneratorOrder() {
        assertEquals("""
                {arg-type=0, ret-type=0, name=noop, meta-type=command}
                {arg-type=1, ret-type=[int], allow-oob=true, name=run, meta-type=command, features=[unstable]}
                {arg-type=2, name=DONE, meta-type=event}
                {arg-type=0, name=PING, meta-type=event}
                {members=[], name=0, meta-type=object}
                {members=[{name=job, type=3}, {name=v, type=4, default=null, features=[unstable]}, \
                {name=ids, type=[int], default=null}], name=1, meta-type=object}
                {element-type=int, name=[int], meta-type=array}
                {json-type=int, name=int, meta-type=builtin}
                {members=[{name=ok, type=bool}], name=2, meta-type=object}
                {members=[{name=mode, type=5}], tag=mode, variants=[{case=fast, type=6}, {case=slow, type=0}], \
                name=3, meta-type=object}
                {members=[{type=number}, {type=str}, {type=null}], name=4, meta-type=alternate}
                {json-type=boolean, name=bool, meta-type=builtin}
                {members=[{name=fast}, {name=slow, features=[deprecated]}], values=[fast, slow], name=5, meta-type=enum}
                {members=[{name=speed, type=int}], name=6, meta-type=object}
                {json-type=number, name=number, meta-type=builtin}
                {json-type=string, name=str, meta-type=builtin}
                {json-type=null, name=null, meta-type=builtin}
                """, render(SCHEMA.introspect(IntrospectOptions.DEFAULT)));
    }

    @Test
    void unmaskedKeepsNames() {
        List<Object> out = SCHEMA.introspect(new IntrospectOptions(true, false));
        assertEquals("{arg-type=q_obj_run-arg, ret-type=[int], allow-oob=true, name=run, meta-type=command,"
                + " features=[unstable]}", out.get(1).toString());
        assertEquals("{members=[{name=mode, type=Mode}], tag=mode, variants=[{case=fast, type=Fast},"
                + " {case=slow, type=q_empty}], name=Job, meta-type=object}", out.get(9).toString());
    }

    @Test
    void dialect212ReportsAllowOobOnEveryCommand() {
        List<Object> out = SCHEMA.introspect(IntrospectOptions.DIALECT_2_12);
        assertEquals("{arg-type=0, ret-type=0, allow-oob=false, name=noop, meta-type=command}", out.get(0).toString());
        assertEquals(Boolean.TRUE, ((Map<?, ?>) out.get(1)).get("allow-oob"));
    }

    @Test
    void resultIsCachedPerOptionsAndUnmodifiable() {
        assertSame(SCHEMA.introspect(IntrospectOptions.DEFAULT), SCHEMA.introspect(new IntrospectOptions(false, false)));
        assertThrows(UnsupportedOperationException.class, () -> SCHEMA.introspect(IntrospectOptions.DEFAULT).clear());
    }

    /** The SchemaInfo named {@code name}, rendered. */
    private static String find(List<Object> infos, String name) {
        for (Object o : infos) {
            if (name.equals(((Map<?, ?>) o).get("name"))) {
                return o.toString();
            }
        }
        throw new AssertionError("no SchemaInfo named " + name);
    }

    @Test
    void builtinSchemaShapes() {
        Schema s = Schema.builtin(Set.of("JQMP_X_OOB_TEST"));
        List<Object> out = s.introspect(IntrospectOptions.DEFAULT);
        assertEquals("{arg-type=1, ret-type=0, name=qmp_capabilities, meta-type=command}", out.get(0).toString());
        assertEquals("{arg-type=0, ret-type=2, name=query-version, meta-type=command}", out.get(1).toString());
        assertEquals("{arg-type=0, ret-type=[3], name=query-commands, meta-type=command}", out.get(2).toString());
        assertEquals("{arg-type=0, ret-type=[4], name=query-qmp-schema, meta-type=command}", out.get(3).toString());
        assertEquals("{arg-type=5, ret-type=0, allow-oob=true, name=x-oob-test, meta-type=command}",
                out.get(4).toString());
        assertEquals("{members=[{name=enable, type=[6], default=null}], name=1, meta-type=object}", find(out, "1"));
        assertEquals("{members=[], name=0, meta-type=object}", find(out, "0"));
        assertEquals("{element-type=6, name=[6], meta-type=array}", find(out, "[6]"));
        assertEquals("{members=[{name=oob}], values=[oob], name=6, meta-type=enum}", find(out, "6"));
        assertEquals("{members=[{name=qemu, type=7}, {name=package, type=str}], name=2, meta-type=object}",
                find(out, "2"));
        assertEquals("{members=[{name=major, type=int}, {name=minor, type=int}, {name=micro, type=int}], name=7,"
                + " meta-type=object}", find(out, "7"));
        assertEquals("{members=[{name=name, type=str}, {name=meta-type, type=8}, {name=features, type=[str],"
                + " default=null}], tag=meta-type, variants=[{case=builtin, type=9}, {case=enum, type=10},"
                + " {case=array, type=11}, {case=object, type=12}, {case=alternate, type=13}, {case=command, type=14},"
                + " {case=event, type=15}], name=4, meta-type=object}", find(out, "4"));
        // allow-oob is an optional member of SchemaInfoCommand unless in the 2.12 dialect.
        assertEquals("{members=[{name=arg-type, type=str}, {name=ret-type, type=str},"
                + " {name=allow-oob, type=bool, default=null}], name=14, meta-type=object}", find(out, "14"));
        assertEquals(List.of("str", "bool", "int", "any"), out.stream().map(o -> (Map<?, ?>) o)
                .filter(m -> m.get("meta-type").equals("builtin")).map(m -> m.get("name")).toList());

        Schema old = Schema.builtin(Set.of("JQMP_DIALECT_2_12", "JQMP_X_OOB_TEST"));
        List<Object> oldOut = old.introspect(IntrospectOptions.DIALECT_2_12);
        assertEquals("{arg-type=1, ret-type=0, allow-oob=false, name=qmp_capabilities, meta-type=command}",
                oldOut.get(0).toString());
        assertEquals("{arg-type=6, name=COMMAND_DROPPED, meta-type=event}", oldOut.get(5).toString());
        assertEquals("{members=[{name=id, type=any}, {name=reason, type=17}], name=6, meta-type=object}",
                find(oldOut, "6"));
        assertEquals("{members=[{name=queue-full}], values=[queue-full], name=17, meta-type=enum}", find(oldOut, "17"));
        assertEquals("{members=[{name=arg-type, type=str}, {name=ret-type, type=str},"
                + " {name=allow-oob, type=bool}], name=15, meta-type=object}", find(oldOut, "15"));
        assertEquals(List.of("x-oob-test", "query-qmp-schema", "query-commands", "query-version", "qmp_capabilities"),
                s.commandNamesForQueryCommands());
    }

    @Test
    void queryCommandsIsReverseDefinitionOrder() {
        assertEquals(List.of("run", "noop"), SCHEMA.commandNamesForQueryCommands());
    }
}
