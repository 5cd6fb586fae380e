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
    private void rejects(int line, String message, String text) throws IOException {
        Path p = write("bad.json", text);
        SchemaException e = assertThrows(SchemaException.class, () -> new SchemaLoader(Set.of()).load(p));
        assertEquals(p + ":" + line + ": " + message, e.getMessage());
    }

    @Test
    void parsesCommentsQuotesAndFlags() throws IOException {
        Schema s = load("""
                # comment
                { 'command': 'a', # trailing comment
                  'data': { 'n': 'str', '*o': [ 'int' ] },
                  'returns': 'int', 'allow-oob': true, 'allow-preconfig': true }
                { 'command': 'b', 'gen': false, 'success-response': false, 'coroutine': true,
                  'features': [ 'unstable' ] }
                { 'event': 'E', 'data': { 'it\\'s': 'bool' } }
                """);
        CommandDef a = s.command("a").orElseThrow();
        assertEquals(new CommandDef("a", "q_obj_a-arg", "int", false, true, true, true, true, false, List.of(),
                a.location()), a);
        assertEquals(2, a.location().line());
        CommandDef b = s.command("b").orElseThrow();
        assertEquals(new CommandDef("b", null, null, false, false, false, false, false, true, List.of("unstable"),
                new SourceLocation(dir.resolve("s.json").toString(), 5)), b);
        SchemaType.ObjectType arg = (SchemaType.ObjectType) s.type("q_obj_a-arg").orElseThrow();
        assertEquals(List.of(new SchemaType.Member("n", "str", false, List.of()),
                new SchemaType.Member("o", "intList", true, List.of())), arg.members());
        assertEquals(new SchemaType.ArrayType("intList", "int"), s.type("intList").orElseThrow());
        EventDef e = s.event("E").orElseThrow();
        assertEquals("it's", ((SchemaType.ObjectType) s.type(e.argType()).orElseThrow()).members().get(0).name());
        assertFalse(s.command("E").isPresent());
    }

    @Test
    void syntaxErrors() throws IOException {
        rejects(2, "stray '\"'", "{ 'command': 'a' }\n{ \"command\": 'b' }\n");
        rejects(1, "expected ',' or '}'", "{ 'command': 'a' 'x' }");
        rejects(3, "missing terminating \"'\"", "\n\n{ 'command': 'a\n}");
        rejects(1, "duplicate key 'command'", "{ 'command': 'a', 'command': 'b' }");
        rejects(1, "expected '{'", "[ 'x' ]");
    }

    @Test
    void flagRules() throws IOException {
        rejects(2, "flag 'allow-oob' may only use true value", "\n{ 'command': 'a', 'allow-oob': false }");
        rejects(1, "flags 'allow-oob' and 'coroutine' are incompatible",
                "{ 'command': 'a', 'allow-oob': true, 'coroutine': true }");
        rejects(1, "flag 'gen' may only use false value", "{ 'command': 'a', 'gen': true }");
        rejects(1, "flag 'success-response' may only use false value", "{ 'command': 'a', 'success-response': true }");
        rejects(1, "flag 'boxed' may only use true value", "{ 'command': 'a', 'data': 'S', 'boxed': false }");
        rejects(1, "flag 'allow-preconfig' may only use true value", "{ 'command': 'a', 'allow-preconfig': 'yes' }");
        rejects(1, "flag 'coroutine' may only use true value", "{ 'command': 'a', 'coroutine': false }");
        rejects(1, "flag 'boxed' may only use true value", "{ 'event': 'E', 'data': 'S', 'boxed': false }");
    }

    @Test
    void unknownAndMissingKeys() throws IOException {
        rejects(1, "command has unknown key 'bogus'; valid keys are 'allow-oob', 'allow-preconfig', 'boxed',"
                + " 'command', 'coroutine', 'data', 'features', 'gen', 'if', 'returns', 'success-response'",
                "{ 'command': 'a', 'bogus': true }");
        rejects(1, "struct misses key 'data'", "{ 'struct': 'S' }");
        rejects(1, "expression is missing metatype", "{ 'thing': 'S' }");
        rejects(1, "member 'm' of struct 'S' has unknown key 'typo'; valid keys are 'features', 'if', 'type'",
                "{ 'struct': 'S', 'data': { 'm': { 'typo': 'int', 'type': 'int' } } }");
    }

    @Test
    void duplicateDefinitions() throws IOException {
        rejects(2, "'a' is already defined (previous definition at " + dir.resolve("bad.json") + ":1)",
                "{ 'command': 'a' }\n{ 'command': 'a' }");
        rejects(2, "'X' is already defined (previous definition at " + dir.resolve("bad.json") + ":1)",
                "{ 'struct': 'X', 'data': {} }\n{ 'event': 'X' }");
        rejects(1, "built-in type 'str' is already defined", "{ 'enum': 'str', 'data': [] }");
        rejects(1, "member 'a' of struct 'S' collides with member 'a'", "{ 'struct': 'S', 'data': { 'a': 'int', '*a': 'int' } }");
        rejects(2, "member 'a' of struct 'S' collides with member 'a' of type 'B'",
                "{ 'struct': 'B', 'data': { 'a': 'int' } }\n{ 'struct': 'S', 'base': 'B', 'data': { 'a': 'int' } }");
    }

    @Test
    void undefinedTypes() throws IOException {
        rejects(1, "member 'p' of command 'a' uses unknown type 'Nope'", "{ 'command': 'a', 'data': { 'p': 'Nope' } }");
        rejects(1, "member 'p' of command 'a' uses unknown type 'Nope'", "{ 'command': 'a', 'data': { 'p': ['Nope'] } }");
        rejects(1, "command's 'returns' uses unknown type 'Nope'", "{ 'command': 'a', 'returns': 'Nope' }");
        rejects(1, "command's 'data' uses unknown type 'Nope'", "{ 'command': 'a', 'data': 'Nope' }");
        rejects(1, "'base' for struct 'S' uses unknown type 'Nope'", "{ 'struct': 'S', 'base': 'Nope', 'data': {} }");
        rejects(2, "member 'x' of struct 'S' uses command 'c' as a type",
                "{ 'command': 'c' }\n{ 'struct': 'S', 'data': { 'x': 'c' } }");
        rejects(1, "struct 'XList' name should not end in 'List'", "{ 'struct': 'XList', 'data': {} }");
    }

    @Test
    void unionRules() throws IOException {
        String base = "{ 'enum': 'K', 'data': [ 'a', 'b' ] }\n{ 'struct': 'B', 'data': { 'k': 'K', '*o': 'K', 's': 'str' } }\n"
                + "{ 'struct': 'A', 'data': { 'x': 'int' } }\n";
        rejects(4, "union misses key 'discriminator'", base + "{ 'union': 'U', 'base': 'B', 'data': {} }");
        rejects(4, "discriminator 'z' is not a member of base type 'B'",
                base + "{ 'union': 'U', 'base': 'B', 'discriminator': 'z', 'data': {} }");
        rejects(4, "discriminator member 's' of base type 'B' must be of enum type",
                base + "{ 'union': 'U', 'base': 'B', 'discriminator': 's', 'data': {} }");
        rejects(4, "discriminator member 'o' of base type 'B' must not be optional",
                base + "{ 'union': 'U', 'base': 'B', 'discriminator': 'o', 'data': {} }");
        rejects(4, "branch 'c' of union 'U' is not a value of enum type 'K'",
                base + "{ 'union': 'U', 'base': 'B', 'discriminator': 'k', 'data': { 'c': 'A' } }");
        rejects(4, "branch 'a' of union 'U' requires a struct type, found 'K'",
                base + "{ 'union': 'U', 'base': 'B', 'discriminator': 'k', 'data': { 'a': 'K' } }");
        rejects(5, "command's 'data' can take union type 'U' only with 'boxed': true",
                base + "{ 'union': 'U', 'base': 'B', 'discriminator': 'k', 'data': { 'a': 'A' } }\n"
                        + "{ 'command': 'c', 'data': 'U' }");
        Schema s = load(base + "{ 'union': 'U', 'base': { 'k': 'K' }, 'discriminator': 'k', 'data': { 'b': 'A' } }");
        SchemaType.ObjectType u = (SchemaType.ObjectType) s.type("U").orElseThrow();
        assertEquals("q_obj_U-base", u.base());
        assertEquals(List.of(new SchemaType.Variant("b", "A"), new SchemaType.Variant("a", "q_empty")), u.variants());
    }

    @Test
    void boxedRules() throws IOException {
        rejects(1, "'boxed': true requires 'data'", "{ 'command': 'c', 'boxed': true }");
        rejects(1, "'data' for command 'c' should be a type name", "{ 'command': 'c', 'data': { 'a': 'int' }, 'boxed': true }");
        rejects(2, "command's 'data' cannot take type 'E'", "{ 'enum': 'E', 'data': [] }\n{ 'command': 'c', 'data': 'E' }");
        rejects(1, "'boxed': true requires 'data'", "{ 'event': 'E', 'boxed': true }");
    }

    @Test
    void alternateRules() throws IOException {
        rejects(2, "branch 'b' of alternate 'A' can't be distinguished from 'a'",
                "{ 'enum': 'E', 'data': [] }\n{ 'alternate': 'A', 'data': { 'a': 'str', 'b': 'E' } }");
        rejects(1, "branch 'b' of alternate 'A' can't be distinguished from 'a'",
                "{ 'alternate': 'A', 'data': { 'a': 'int', 'b': 'number' } }");
        rejects(1, "branch 'a' of alternate 'A' cannot use type 'any'", "{ 'alternate': 'A', 'data': { 'a': 'any' } }");
    }

    @Test
    void pragmas() throws IOException {
        load("{ 'pragma': { 'doc-required': true, 'command-name-exceptions': [ 'x_y' ] } }\n{ 'command': 'x_y' }");
        rejects(1, "unknown pragma 'nope'", "{ 'pragma': { 'nope': true } }");
        rejects(1, "pragma command-returns-exceptions must be a list of strings",
                "{ 'pragma': { 'command-returns-exceptions': true } }");
    }

    @Test
    void conditions() throws IOException {
        String text = """
                { 'enum': 'E', 'data': [ 'a', { 'name': 'b', 'if': 'B' } ] }
                { 'command': 'only-a', 'if': 'A' }
                { 'command': 'all', 'if': { 'all': [ 'A', 'B' ] } }
                { 'command': 'either', 'if': { 'any': [ 'A', 'B' ] } }
                { 'command': 'not-a', 'if': { 'not': 'A' } }
                { 'command': 'm', 'data': { 'x': { 'type': 'int', 'if': 'B' }, 'y': 'E' },
                  'features': [ 'f', { 'name': 'g', 'if': 'A' } ] }
                """;
        Schema none = load(text);
        assertEquals(List.of("not-a", "m"), none.commands().stream().map(CommandDef::name).toList());
        assertEquals(List.of("f"), none.command("m").orElseThrow().features());
        assertEquals(List.of("y"), ((SchemaType.ObjectType) none.type("q_obj_m-arg").orElseThrow()).members().stream()
                .map(SchemaType.Member::name).toList());
        assertEquals(1, ((SchemaType.EnumType) none.type("E").orElseThrow()).values().size());
        Schema a = load(text, "A");
        assertEquals(List.of("only-a", "either", "m"), a.commands().stream().map(CommandDef::name).toList());
        assertEquals(List.of("f", "g"), a.command("m").orElseThrow().features());
        Schema ab = load(text, "A", "B");
        assertEquals(List.of("only-a", "all", "either", "m"), ab.commands().stream().map(CommandDef::name).toList());
        assertEquals(2, ((SchemaType.EnumType) ab.type("E").orElseThrow()).values().size());
        assertEquals(List.of("x", "y"), ((SchemaType.ObjectType) ab.type("q_obj_m-arg").orElseThrow()).members()
                .stream().map(SchemaType.Member::name).toList());
    }

    @Test
    void conditionedTypeVanishes() throws IOException {
        rejects(2, "member 'x' of command 'c' uses unknown type 'T'",
                "{ 'struct': 'T', 'data': {}, 'if': 'NO' }\n{ 'command': 'c', 'data': { 'x': 'T' } }");
        rejects(1, "'all' condition of command 'c' must be a non-empty array", "{ 'command': 'c', 'if': { 'all': [] } }");
        rejects(1, "'if' condition of command 'c' has unknown key 'either'",
                "{ 'command': 'c', 'if': { 'either': [ 'A' ] } }");
        rejects(1, "'if' condition of command 'c' must be a string or an object", "{ 'command': 'c', 'if': true }");
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
        assertEquals(inc + ":3: flag 'gen' may only use false value", e.getMessage());
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
        rejects(1, "object 'A' contains itself",
                "{ 'struct': 'A', 'base': 'B', 'data': {} }\n{ 'struct': 'B', 'base': 'A', 'data': {} }");
    }
}
