package io.jqmp.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading schema files: syntax, QEMU's definition rules, includes, pragmas and conditions. Every
 * schema accepted here is accepted by QEMU 7.2's generator, and every one rejected here is
 * rejected by it too (except where a test says otherwise); the messages are jqmp's own, and each
 * names the file, the line and the definition at fault.
 */
class LoaderTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    private Schema load(String text, String... defines) throws IOException {
        return new SchemaLoader(Set.of(defines)).load(write("s.json", text));
    }

    /** Loading {@code text} fails with {@code FILE:line: message}. */
    private void rejects(int line, String message, String text, String... defines) throws IOException {
        Path p = write("bad.json", text);
        SchemaException e = assertThrows(SchemaException.class, () -> new SchemaLoader(Set.of(defines)).load(p));
        assertEquals(p + ":" + line + ": " + message, e.getMessage());
    }

    @Test
    void parsesCommentsQuotesAndFlags() throws IOException {
        Schema s = load("""
                # comment
                { 'command': 'a', # trailing comment
                  'data': { 'n': 'str', '*o': [ 'int' ] },
                  'returns': 'Res', 'allow-oob': true, 'allow-preconfig': true }
                { 'command': 'b', 'gen': false, 'success-response': false, 'coroutine': true,
                  'features': [ 'unstable' ] }
                { 'event': 'EV', 'data': { 'on': 'bool' } }
                { 'struct': 'Res', 'data': {} }
                """);
        CommandDef a = s.command("a").orElseThrow();
        assertEquals(new CommandDef("a", "q_obj_a-arg", "Res", false, true, true, true, true, false, List.of(),
                a.location()), a);
        assertEquals(2, a.location().line());
        CommandDef b = s.command("b").orElseThrow();
        assertEquals(new CommandDef("b", null, null, false, false, false, false, false, true, List.of("unstable"),
                new SourceLocation(dir.resolve("s.json").toString(), 5)), b);
        SchemaType.ObjectType arg = (SchemaType.ObjectType) s.type("q_obj_a-arg").orElseThrow();
        assertEquals(List.of(new SchemaType.Member("n", "str", false, List.of()),
                new SchemaType.Member("o", "intList", true, List.of())), arg.members());
        assertEquals(new SchemaType.ArrayType("intList", "int"), s.type("intList").orElseThrow());
        EventDef e = s.event("EV").orElseThrow();
        assertEquals("on", ((SchemaType.ObjectType) s.type(e.argType()).orElseThrow()).members().get(0).name());
        assertFalse(s.command("EV").isPresent());
    }

    @Test
    void syntaxErrors() throws IOException {
        rejects(2, "stray '\"command'", "{ 'command': 'a' }\n{ \"command\": 'b' }\n");
        rejects(1, "expected ',' or '}'", "{ 'command': 'a' 'x' }");
        rejects(3, "missing terminating \"'\"", "\n\n{ 'command': 'a\n}");
        rejects(1, "duplicate key 'command'", "{ 'command': 'a', 'command': 'b' }");
        rejects(1, "top-level expression must be an object", "[ 'x' ]");
        rejects(1, "unknown escape \\'", "{ 'command': 'it\\'s' }");
        rejects(1, "funny character in string", "{ 'command': 'caf\u00e9' }");
        rejects(1, "stray 'nothing'", "{ 'command': nothing }");
        rejects(1, "expected string or '}'", "{ true: 'a' }");
        rejects(1, "expected '{', '[', ']', string, or boolean", "{ 'enum': 'Ab', 'data': [ : ] }");
    }

    @Test
    void invalidUtf8NamesItsLine() throws IOException {
        Path p = dir.resolve("latin1.json");
        Files.write(p, "{ 'command': 'a' }\n# caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        SchemaException e = assertThrows(SchemaException.class, () -> new SchemaLoader(Set.of()).load(p));
        assertEquals(p + ":2: invalid UTF-8", e.getMessage());
    }

    @Test
    void flagRules() throws IOException {
        rejects(2, "flag 'allow-oob' of command 'a' may only use true value", "\n{ 'command': 'a', 'allow-oob': false }");
        rejects(1, "flags 'allow-oob' and 'coroutine' of command 'a' are incompatible",
                "{ 'command': 'a', 'allow-oob': true, 'coroutine': true }");
        rejects(1, "flag 'gen' of command 'a' may only use false value", "{ 'command': 'a', 'gen': true }");
        rejects(1, "flag 'success-response' of command 'a' may only use false value",
                "{ 'command': 'a', 'success-response': true }");
        rejects(2, "flag 'boxed' of command 'a' may only use true value",
                "{ 'struct': 'Args', 'data': {} }\n{ 'command': 'a', 'data': 'Args', 'boxed': false }");
        rejects(1, "flag 'allow-preconfig' of command 'a' may only use true value",
                "{ 'command': 'a', 'allow-preconfig': 'yes' }");
        rejects(1, "flag 'coroutine' of command 'a' may only use true value", "{ 'command': 'a', 'coroutine': false }");
        rejects(1, "flag 'boxed' of event 'EV' may only use true value", "{ 'event': 'EV', 'data': 'Args', 'boxed': false }");
    }

    @Test
    void unknownAndMissingKeys() throws IOException {
        rejects(1, "command 'a' has unknown key 'bogus'; valid keys are 'allow-oob', 'allow-preconfig', 'boxed',"
                + " 'command', 'coroutine', 'data', 'features', 'gen', 'if', 'returns', 'success-response'",
                "{ 'command': 'a', 'bogus': true }");
        rejects(1, "struct 'Sx' misses key 'data'", "{ 'struct': 'Sx' }");
        rejects(1, "expression must have exactly one key 'enum', 'struct', 'union', 'alternate', 'command', 'event'",
                "{ 'thing': 'Sx' }");
        rejects(1, "expression must have exactly one key 'enum', 'struct', 'union', 'alternate', 'command', 'event'",
                "{ 'command': 'a', 'event': 'A' }");
        rejects(1, "member 'm' of struct 'Sx' has unknown key 'typo'; valid keys are 'features', 'if', 'type'",
                "{ 'struct': 'Sx', 'data': { 'm': { 'typo': 'int', 'type': 'int' } } }");
    }

    @Test
    void namingRules() throws IOException {
        rejects(1, "name of struct 'S' must use CamelCase", "{ 'struct': 'S', 'data': {} }");
        rejects(1, "name of enum 'lower' must use CamelCase", "{ 'enum': 'lower', 'data': [] }");
        rejects(1, "name of command 'Do-It' must not use uppercase or '_'", "{ 'command': 'Do-It' }");
        rejects(1, "name of command 'do_it' must not use uppercase or '_'", "{ 'command': 'do_it' }");
        rejects(1, "name of event 'Done' must not use lowercase or '-'", "{ 'event': 'Done' }");
        rejects(1, "command '1st' has an invalid name", "{ 'command': '1st' }");
        rejects(1, "command 'q-x' has an invalid name", "{ 'command': 'q-x' }");
        rejects(1, "name of member 'Big' of command 'c' must not use uppercase or '_'",
                "{ 'command': 'c', 'data': { 'Big': 'int' } }");
        rejects(1, "member 'u' of command 'c' uses reserved name", "{ 'command': 'c', 'data': { 'u': 'int' } }");
        rejects(1, "member 'has-x' of command 'c' uses reserved name", "{ 'command': 'c', 'data': { '*has-x': 'int' } }");
        rejects(1, "name of value 'Up' of enum 'Dir' must not use uppercase or '_'", "{ 'enum': 'Dir', 'data': [ 'Up' ] }");
        rejects(1, "name of feature 'Odd' of command 'c' must not use uppercase or '_'",
                "{ 'command': 'c', 'features': [ 'Odd' ] }");
        rejects(1, "struct 'ThingList' name should not end in 'List'", "{ 'struct': 'ThingList', 'data': {} }");
        // Prefixes, digits leading enum values, and the pragmas that allow exceptions.
        Schema s = load("""
                { 'pragma': { 'command-name-exceptions': [ 'legacy_cmd' ],
                              'member-name-exceptions': [ 'Old', 'Vals' ] } }
                { 'command': '__org.example_x-thing', 'data': { 'x-flag': 'bool' } }
                { 'command': 'legacy_cmd' }
                { 'struct': 'Old', 'data': { 'Mixed_Case': 'int' } }
                { 'enum': 'Vals', 'data': [ '1x', 'UP' ] }
                { 'event': 'X-SOME_EVENT' }
                """);
        assertTrue(s.command("__org.example_x-thing").isPresent());
        assertTrue(s.command("legacy_cmd").isPresent());
        assertEquals("Mixed_Case", ((SchemaType.ObjectType) s.type("Old").orElseThrow()).members().get(0).name());
        assertTrue(s.event("X-SOME_EVENT").isPresent());
    }

    @Test
    void duplicateDefinitions() throws IOException {
        rejects(2, "'a' is already defined (previous definition at " + dir.resolve("bad.json") + ":1)",
                "{ 'command': 'a' }\n{ 'command': 'a', 'data': { 'x': 'int' } }");
        rejects(2, "'Xy' is already defined (previous definition at " + dir.resolve("bad.json") + ":1)",
                "{ 'struct': 'Xy', 'data': {} }\n{ 'enum': 'Xy', 'data': [] }");
        rejects(1, "enum type 'QType' is already defined", "{ 'enum': 'QType', 'data': [] }");
        rejects(1, "member 'a' of struct 'Sx' collides with member 'a'", "{ 'struct': 'Sx', 'data': { 'a': 'int', '*a': 'int' } }");
        rejects(2, "member 'a_b' of struct 'Sx' collides with member 'a-b'",
                "{ 'pragma': { 'member-name-exceptions': [ 'Sx' ] } }\n"
                        + "{ 'struct': 'Sx', 'data': { 'a-b': 'int', 'a_b': 'int' } }");
        rejects(2, "member 'a' of struct 'Sx' collides with member 'a' of type 'Bx'",
                "{ 'struct': 'Bx', 'data': { 'a': 'int' } }\n{ 'struct': 'Sx', 'base': 'Bx', 'data': { 'a': 'int' } }");
        rejects(1, "value 'a' of enum 'Ex' collides with value 'a'", "{ 'enum': 'Ex', 'data': [ 'a', 'a' ] }");
        rejects(1, "feature 'f' of command 'c' collides with feature 'f'", "{ 'command': 'c', 'features': [ 'f', 'f' ] }");
        // Conditions do not separate names: QEMU defines everything first.
        rejects(2, "'c' is already defined (previous definition at " + dir.resolve("bad.json") + ":1)",
                "{ 'command': 'c', 'if': 'CONFIG_A' }\n{ 'command': 'c', 'if': { 'not': 'CONFIG_A' } }");
    }

    @Test
    void undefinedTypes() throws IOException {
        rejects(1, "member 'p' of command 'a' uses unknown type 'Nope'", "{ 'command': 'a', 'data': { 'p': 'Nope' } }");
        rejects(1, "member 'p' of command 'a' uses unknown type 'Nope'", "{ 'command': 'a', 'data': { 'p': ['Nope'] } }");
        rejects(1, "'returns' of command 'a' uses unknown type 'Nope'", "{ 'command': 'a', 'returns': 'Nope' }");
        rejects(1, "'data' of command 'a' uses unknown type 'Nope'", "{ 'command': 'a', 'data': 'Nope' }");
        rejects(1, "'base' of struct 'Sx' uses unknown type 'Nope'", "{ 'struct': 'Sx', 'base': 'Nope', 'data': {} }");
        rejects(2, "member 'x' of struct 'Sx' uses command 'c' as a type",
                "{ 'command': 'c' }\n{ 'struct': 'Sx', 'data': { 'x': 'c' } }");
    }

    @Test
    void returnsMustBeObjectsUnlessThePragmaSaysSo() throws IOException {
        rejects(1, "'returns' of command 'c' cannot take built-in type 'int' (only objects and arrays of objects,"
                + " unless pragma 'command-returns-exceptions' lists it)", "{ 'command': 'c', 'returns': 'int' }");
        rejects(2, "'returns' of command 'c' cannot take array type ['Ex'] (only objects and arrays of objects,"
                + " unless pragma 'command-returns-exceptions' lists it)",
                "{ 'enum': 'Ex', 'data': [] }\n{ 'command': 'c', 'returns': [ 'Ex' ] }");
        Schema s = load("{ 'pragma': { 'command-returns-exceptions': [ 'c' ] } }\n{ 'command': 'c', 'returns': 'int' }");
        assertEquals("int", s.command("c").orElseThrow().retType());
    }

    @Test
    void featuresOnTypes() throws IOException {
        rejects(1, "feature 'deprecated' of struct 'Sx' is not supported for types",
                "{ 'struct': 'Sx', 'data': {}, 'features': [ 'deprecated' ] }");
        Schema s = load("{ 'struct': 'Sx', 'data': { 'm': { 'type': 'int', 'features': [ 'deprecated' ] } },"
                + " 'features': [ 'custom' ] }");
        assertEquals(List.of("custom"), ((SchemaType.ObjectType) s.type("Sx").orElseThrow()).features());
    }

    @Test
    void unionRules() throws IOException {
        String base = "{ 'enum': 'Kind', 'data': [ 'a', 'b' ] }\n"
                + "{ 'struct': 'Bx', 'data': { 'k': 'Kind', '*o': 'Kind', 's': 'str', 'c': { 'type': 'Kind', 'if': 'CONFIG_C' } } }\n"
                + "{ 'struct': 'Ax', 'data': { 'x': 'int' } }\n";
        rejects(4, "union 'Ux' misses key 'discriminator'", base + "{ 'union': 'Ux', 'base': 'Bx', 'data': {} }");
        rejects(4, "discriminator 'z' of union 'Ux' is not a member of base type 'Bx'",
                base + "{ 'union': 'Ux', 'base': 'Bx', 'discriminator': 'z', 'data': {} }");
        rejects(4, "discriminator member 's' of base type 'Bx' must be of enum type",
                base + "{ 'union': 'Ux', 'base': 'Bx', 'discriminator': 's', 'data': {} }");
        rejects(4, "discriminator member 'o' of base type 'Bx' must not be optional",
                base + "{ 'union': 'Ux', 'base': 'Bx', 'discriminator': 'o', 'data': {} }");
        rejects(4, "discriminator member 'c' of base type 'Bx' must not be conditional",
                base + "{ 'union': 'Ux', 'base': 'Bx', 'discriminator': 'c', 'data': {} }");
        rejects(4, "branch 'c' of union 'Ux' is not a value of enum type 'Kind'",
                base + "{ 'union': 'Ux', 'base': 'Bx', 'discriminator': 'k', 'data': { 'c': 'Ax' } }");
        rejects(4, "branch 'a' of union 'Ux' requires a struct type, found enum type 'Kind'",
                base + "{ 'union': 'Ux', 'base': 'Bx', 'discriminator': 'k', 'data': { 'a': 'Kind' } }");
        rejects(4, "branch 'a' of union 'Ux' cannot be an array",
                base + "{ 'union': 'Ux', 'base': 'Bx', 'discriminator': 'k', 'data': { 'a': [ 'Ax' ] } }");
        rejects(5, "'data' of command 'c' can take union type 'Ux' only with 'boxed': true",
                base + "{ 'union': 'Ux', 'base': 'Bx', 'discriminator': 'k', 'data': { 'a': 'Ax' } }\n"
                        + "{ 'command': 'c', 'data': 'Ux' }");
        rejects(2, "union 'Ux' has no branches",
                "{ 'enum': 'Empty', 'data': [] }\n{ 'union': 'Ux', 'base': { 'k': 'Empty' }, 'discriminator': 'k', 'data': {} }");
        rejects(4, "member 'x' of type 'Ax' (branch 'a' of union 'Ux') collides with member 'x' of 'base'",
                base + "{ 'union': 'Ux', 'base': { 'k': 'Kind', 'x': 'str' }, 'discriminator': 'k', 'data': { 'a': 'Ax' } }");
        Schema s = load(base + "{ 'union': 'Ux', 'base': { 'k': 'Kind' }, 'discriminator': 'k', 'data': { 'b': 'Ax' } }");
        SchemaType.ObjectType u = (SchemaType.ObjectType) s.type("Ux").orElseThrow();
        assertEquals("q_obj_Ux-base", u.base());
        assertEquals(List.of(new SchemaType.Variant("b", "Ax"), new SchemaType.Variant("a", "q_empty")), u.variants());
    }

    @Test
    void boxedRules() throws IOException {
        rejects(1, "command 'c' has 'boxed': true but no 'data'", "{ 'command': 'c', 'boxed': true }");
        rejects(1, "'data' of command 'c' should be a type name", "{ 'command': 'c', 'data': { 'a': 'int' }, 'boxed': true }");
        rejects(2, "'data' of command 'c' cannot take enum type 'Ex'", "{ 'enum': 'Ex', 'data': [] }\n{ 'command': 'c', 'data': 'Ex' }");
        rejects(2, "'data' of command 'c' cannot take alternate type 'Alt'",
                "{ 'alternate': 'Alt', 'data': { 'i': 'int' } }\n{ 'command': 'c', 'data': 'Alt', 'boxed': true }");
        rejects(1, "event 'EV' has 'boxed': true but no 'data'", "{ 'event': 'EV', 'boxed': true }");
    }

    @Test
    void alternateRules() throws IOException {
        rejects(2, "branch 'b' of alternate 'Alt' can't be distinguished from 'a'",
                "{ 'enum': 'Ex', 'data': [] }\n{ 'alternate': 'Alt', 'data': { 'a': 'str', 'b': 'Ex' } }");
        rejects(1, "branch 'b' of alternate 'Alt' can't be distinguished from 'a'",
                "{ 'alternate': 'Alt', 'data': { 'a': 'int', 'b': 'number' } }");
        // A string could be read as a number or a boolean (as on QEMU's command line).
        rejects(1, "branch 'b' of alternate 'Alt' can't be distinguished from 'a'",
                "{ 'alternate': 'Alt', 'data': { 'a': 'str', 'b': 'bool' } }");
        rejects(2, "branch 'b' of alternate 'Alt' can't be distinguished from 'a'",
                "{ 'enum': 'Switch', 'data': [ 'on', 'off' ] }\n{ 'alternate': 'Alt', 'data': { 'a': 'bool', 'b': 'Switch' } }");
        rejects(2, "branch 'b' of alternate 'Alt' can't be distinguished from 'a'",
                "{ 'enum': 'Speed', 'data': [ '10', '100' ] }\n{ 'alternate': 'Alt', 'data': { 'a': 'int', 'b': 'Speed' } }");
        rejects(1, "branch 'a' of alternate 'Alt' cannot use built-in type 'any'",
                "{ 'alternate': 'Alt', 'data': { 'a': 'any' } }");
        rejects(1, "'data' of alternate 'Alt' must not be empty", "{ 'alternate': 'Alt', 'data': {} }");
        Schema s = load("{ 'enum': 'Ex', 'data': [ 'x' ] }\n"
                + "{ 'alternate': 'Alt', 'data': { 'n': 'int', 'e': 'Ex', 'b': 'bool', 'l': [ 'str' ], 'z': 'null' } }");
        assertEquals(5, ((SchemaType.AlternateType) s.type("Alt").orElseThrow()).branches().size());
    }

    @Test
    void pragmasApplyToTheWholeTree() throws IOException {
        write("inc.json", "{ 'command': 'late_one' }");
        Path top = write("top.json", "{ 'include': 'inc.json' }\n"
                + "{ 'pragma': { 'doc-required': false, 'command-name-exceptions': [ 'late_one' ] } }");
        assertTrue(new SchemaLoader(Set.of()).load(top).command("late_one").isPresent());
        rejects(1, "unknown pragma 'nope'", "{ 'pragma': { 'nope': true } }");
        rejects(1, "pragma command-returns-exceptions must be a list of strings",
                "{ 'pragma': { 'command-returns-exceptions': true } }");
        rejects(1, "pragma 'doc-required' must be boolean", "{ 'pragma': { 'doc-required': 'yes' } }");
    }

    @Test
    void conditions() throws IOException {
        String text = """
                { 'enum': 'Ex', 'data': [ 'a', { 'name': 'b', 'if': 'CONFIG_B' } ] }
                { 'command': 'only-a', 'if': 'CONFIG_A' }
                { 'command': 'all', 'if': { 'all': [ 'CONFIG_A', 'CONFIG_B' ] } }
                { 'command': 'either', 'if': { 'any': [ 'CONFIG_A', 'CONFIG_B' ] } }
                { 'command': 'not-a', 'if': { 'not': 'CONFIG_A' } }
                { 'command': 'm', 'data': { 'x': { 'type': 'int', 'if': 'CONFIG_B' }, 'y': 'Ex' },
                  'features': [ 'f', { 'name': 'g', 'if': 'CONFIG_A' } ] }
                """;
        Schema none = load(text);
        assertEquals(List.of("not-a", "m"), none.commands().stream().map(CommandDef::name).toList());
        assertEquals(List.of("f"), none.command("m").orElseThrow().features());
        assertEquals(List.of("y"), ((SchemaType.ObjectType) none.type("q_obj_m-arg").orElseThrow()).members().stream()
                .map(SchemaType.Member::name).toList());
        assertEquals(1, ((SchemaType.EnumType) none.type("Ex").orElseThrow()).values().size());
        Schema a = load(text, "CONFIG_A");
        assertEquals(List.of("only-a", "either", "m"), a.commands().stream().map(CommandDef::name).toList());
        assertEquals(List.of("f", "g"), a.command("m").orElseThrow().features());
        Schema ab = load(text, "CONFIG_A", "CONFIG_B");
        assertEquals(List.of("only-a", "all", "either", "m"), ab.commands().stream().map(CommandDef::name).toList());
        assertEquals(2, ((SchemaType.EnumType) ab.type("Ex").orElseThrow()).values().size());
        assertEquals(List.of("x", "y"), ((SchemaType.ObjectType) ab.type("q_obj_m-arg").orElseThrow()).members()
                .stream().map(SchemaType.Member::name).toList());
    }

    @Test
    void conditionSyntax() throws IOException {
        rejects(1, "'if' condition [] of command 'c' is useless", "{ 'command': 'c', 'if': { 'all': [] } }");
        rejects(1, "'all' condition of command 'c' must be an array", "{ 'command': 'c', 'if': { 'all': 'CONFIG_A' } }");
        rejects(1, "'if' condition of command 'c' has unknown key 'either'; valid keys are 'all', 'any', 'not'",
                "{ 'command': 'c', 'if': { 'either': [ 'CONFIG_A' ] } }");
        rejects(1, "'if' condition of command 'c' has conflicting keys",
                "{ 'command': 'c', 'if': { 'all': [ 'CONFIG_A' ], 'not': 'CONFIG_B' } }");
        rejects(1, "'if' condition of command 'c' must be a string or an object", "{ 'command': 'c', 'if': true }");
        rejects(1, "'if' condition 'config_a' of command 'c' is not a valid identifier",
                "{ 'command': 'c', 'if': 'config_a' }");
        // Checked even where another condition already removes it.
        rejects(1, "'if' condition '' of member 'x' of command 'c' is not a valid identifier",
                "{ 'command': 'c', 'if': 'CONFIG_NO', 'data': { 'x': { 'type': 'int', 'if': '' } } }");
    }

    @Test
    void typesAreCheckedWhateverTheConditions() throws IOException {
        // QEMU checks a schema as if every condition held, then lets the defines remove things.
        rejects(1, "member 'x' of command 'c' uses unknown type 'Nope'",
                "{ 'command': 'c', 'if': 'CONFIG_NO', 'data': { 'x': 'Nope' } }");
    }

    @Test
    void keptDefinitionsMustNotUseRemovedTypes() throws IOException {
        // QEMU's generator accepts this and the C compiler then fails; jqmp says so when loading.
        String text = "{ 'struct': 'Opt', 'data': {}, 'if': 'CONFIG_T' }\n{ 'command': 'c', 'data': { 'x': 'Opt' } }";
        rejects(2, "member 'x' of command 'c' uses type 'Opt', which its 'if' condition leaves out (struct 'Opt' at "
                + dir.resolve("bad.json") + ":1)", text);
        assertTrue(load(text, "CONFIG_T").command("c").isPresent());
    }

    @Test
    void includesRelativeToTheFile() throws IOException {
        write("sub/leaf.json", "{ 'struct': 'Leaf', 'data': { 'v': 'int' } }");
        write("sub/mid.json", "{ 'include': 'leaf.json' }\n{ 'command': 'mid', 'data': 'Leaf' }");
        Path top = write("top.json", "{ 'include': 'sub/mid.json' }\n{ 'include': 'sub/leaf.json' }\n"
                + "{ 'command': 'top' }");
        Schema s = new SchemaLoader(Set.of()).load(top);
        assertEquals(List.of("mid", "top"), s.commands().stream().map(CommandDef::name).toList());
        assertEquals(new SourceLocation(dir.resolve("sub/mid.json").toString(), 2),
                s.command("mid").orElseThrow().location());
    }

    @Test
    void errorsInIncludedFilesNameThatFile() throws IOException {
        Path inc = write("inc.json", "\n\n{ 'command': 'x', 'gen': true }");
        Path top = write("top.json", "{ 'include': 'inc.json' }");
        SchemaException e = assertThrows(SchemaException.class, () -> new SchemaLoader(Set.of()).load(top));
        assertEquals(inc + ":3: flag 'gen' of command 'x' may only use false value", e.getMessage());
    }

    @Test
    void includeLoop() throws IOException {
        write("a.json", "{ 'include': 'b.json' }");
        Path b = write("b.json", "\n{ 'include': 'a.json' }");
        SchemaException e = assertThrows(SchemaException.class,
                () -> new SchemaLoader(Set.of()).load(dir.resolve("a.json")));
        assertEquals(b + ":2: inclusion loop for a.json", e.getMessage());
    }

    @Test
    void missingFile() {
        SchemaException e = assertThrows(SchemaException.class,
                () -> new SchemaLoader(Set.of()).load(dir.resolve("none.json")));
        assertTrue(e.getMessage().startsWith("can't read schema file '" + dir.resolve("none.json") + "'"));
    }

    @Test
    void missingIncludeNamesTheIncludingLine() throws IOException {
        Path top = write("top.json", "{ 'command': 'a' }\n{ 'include': 'gone.json' }");
        SchemaException e = assertThrows(SchemaException.class, () -> new SchemaLoader(Set.of()).load(top));
        assertTrue(e.getMessage().startsWith(top + ":2: can't read schema file '" + dir.resolve("gone.json") + "'"),
                e.getMessage());
    }

    @Test
    void resourcesWithIncludes() {
        Schema s = new SchemaLoader(Set.of()).loadResource("/io/jqmp/schema/main.json");
        assertEquals(List.of("use-it"), s.commands().stream().map(CommandDef::name).toList());
        assertTrue(s.type("Unit").isPresent());
        assertEquals(new SourceLocation("io/jqmp/schema/inc/types.json", 2),
                ((SchemaType.ObjectType) s.type("Point").orElseThrow()).location());
    }

    @Test
    void recursiveTypes() throws IOException {
        Schema s = load("{ 'struct': 'Node', 'data': { 'v': 'int', '*kids': [ 'Node' ] } }\n"
                + "{ 'command': 'tree', 'data': { 'root': 'Node' } }");
        s.validateArguments(s.command("tree").orElseThrow(), ValidationTest.obj("root",
                ValidationTest.obj("v", 1L, "kids", ValidationTest.arr(ValidationTest.obj("v", 2L)))));
        rejects(1, "object 'Ax' contains itself",
                "{ 'struct': 'Ax', 'base': 'Bx', 'data': {} }\n{ 'struct': 'Bx', 'base': 'Ax', 'data': {} }");
        rejects(1, "object 'Ax' contains itself", """
                { 'struct': 'Ax', 'base': 'Cx', 'data': {} }
                { 'struct': 'Bx', 'base': 'Ax', 'data': {} }
                { 'struct': 'Cx', 'base': 'Bx', 'data': {} }""");
    }

    /**
     * A struct's member may refer to a struct whose base is the first struct: QEMU 7.2's
     * BlockdevOptions chain does this. (jqmp once copied a base's members before the base was
     * complete and failed with a NullPointerException.)
     */
    @Test
    void baseCycleThroughAMember() throws IOException {
        Schema s = load("""
                { 'struct': 'Base', 'data': { '*next': 'Child' } }
                { 'struct': 'Child', 'base': 'Base', 'data': { 'x': 'int' } }
                { 'command': 'walk', 'data': 'Child' }
                """);
        assertEquals(List.of("next", "x"), ((SchemaType.ObjectType) s.type("Child").orElseThrow()).members().stream()
                .map(SchemaType.Member::name).toList());
        CommandDef walk = s.command("walk").orElseThrow();
        s.validateArguments(walk, ValidationTest.obj("x", 1L, "next", ValidationTest.obj("x", 2L)));
        assertEquals("Parameter 'next.x' is missing", assertThrows(io.jqmp.protocol.QmpException.class,
                () -> s.validateArguments(walk, ValidationTest.obj("x", 1L, "next", ValidationTest.obj()))).desc());
    }

    /** Documentation blocks, checked as QEMU checks them (their text is not kept). */
    @Test
    void documentationThatFits() throws IOException {
        Schema s = load("""
                { 'pragma': { 'doc-required': true } }
                ##
                # = A heading
                #
                # Free-form text.
                ##

                ##
                # @Shape:
                #
                # A shape.
                #
                # @kind: what it is
                # @size: how big,
                #        in millimetres
                #
                # Features:
                # @odd: a feature of a member
                #
                # Since: 7.2
                ##
                { 'struct': 'Shape',
                  'data': { 'kind': 'str', 'size': { 'type': 'int', 'features': [ 'odd' ] } } }

                ##
                # @draw:
                #
                # Returns: nothing
                #
                # Example:
                #
                # -> { "execute": "draw" }
                ##
                { 'command': 'draw', 'data': { 'shape': 'Shape' } }
                """);
        assertTrue(s.command("draw").isPresent());
    }

    @Test
    void documentationThatDoesNotFit() throws IOException {
        String def = "{ 'command': 'draw', 'data': { 'x': 'int' }, 'features': [ 'f' ] }";
        rejects(4, "documentation comment is for 'paint'", "##\n# @paint:\n##\n" + def);
        rejects(1, "definition documentation required", "##\n# Free text.\n##\n" + def);
        rejects(1, "documentation for 'draw' is not followed by the definition",
                "##\n# @draw:\n##\n{ 'pragma': { 'doc-required': false } }\n" + def);
        rejects(1, "documentation for 'draw' is not followed by the definition", "##\n# @draw:\n##\n");
        rejects(1, "junk after '##' at start of documentation comment", "## @draw:\n##\n" + def);
        rejects(3, "documentation comment must end with '##'", "##\n# @draw:\n" + def);
        rejects(2, "missing space after #", "##\n#@draw:\n##\n" + def);
        rejects(2, "line should end with ':'", "##\n# @draw\n##\n" + def);
        rejects(4, "'@x:' can't follow 'Returns' section", "##\n# @draw:\n# Returns: it\n# @x: an int\n##\n" + def);
        rejects(4, "duplicated 'Since' section", "##\n# @draw:\n# Since: 1.0\n# Since: 2.0\n##\n" + def);
        rejects(4, "empty doc section 'Since'", "##\n# @draw:\n# Since:\n##\n" + def);
        rejects(4, "unexpected de-indent (expected at least 4 spaces)",
                "##\n# @draw:\n# @x: an int,\n#  or two\n##\n" + def);
        rejects(3, "unexpected '=' markup in definition documentation", "##\n# @draw:\n# = Heading\n##\n" + def);
        rejects(3, "'@x:' not allowed in free-form documentation", "##\n# Text.\n# @x: what?\n##\n");
        rejects(1, "'Returns:' is only valid for commands",
                "##\n# @Ev:\n# Returns: it\n##\n{ 'enum': 'Ev', 'data': [] }");
        rejects(5, "feature 'f' lacks documentation", "##\n# @draw:\n# @x: an int\n##\n" + def);
        rejects(1, "documented members 'y', 'z' do not exist",
                "##\n# @draw:\n# @y: a\n# @z: b\n#\n# Features:\n# @f: f\n##\n" + def);
        rejects(2, "documentation comment required (pragma 'doc-required')",
                "{ 'pragma': { 'doc-required': true } }\n" + def);
        rejects(1, "stray '##'", "{ 'command': 'draw', ## no documentation here\n }");
    }
}
