package io.jqmp.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whether a handler written for one declaration of a command can serve another declaration of it. */
class CompatibilityTest {
    /** The declarations the handlers were written for. */
    private static final String HANDLER = """
            { 'enum': 'Color', 'data': [ 'red', 'green', 'blue' ] }
            { 'struct': 'Node', 'data': { 'v': 'int', '*next': 'Node' } }
            { 'union': 'Shape', 'base': { 'kind': 'Color' }, 'discriminator': 'kind',
              'data': { 'red': 'Node' } }
            { 'alternate': 'Size', 'data': { 'n': 'int32', 'c': 'Color' } }
            { 'command': 'paint',
              'data': { 'color': 'Color', '*count': 'int32', '*ratio': 'number', '*node': 'Node',
                        '*shape': 'Shape', '*size': 'Size', '*tags': [ 'str' ], '*blob': 'any' } }
            { 'command': 'raw', 'data': { 'x': 'int' }, 'gen': false }
            { 'command': 'ping', 'allow-oob': true }
            { 'command': 'slow' }
            """;

    /** Types a served declaration may use. */
    private static final String TYPES = """
            { 'enum': 'Color', 'data': [ 'red', 'green' ] }
            { 'struct': 'Node', 'data': { 'v': 'int8', '*next': 'Node' } }
            """;

    @TempDir
    Path dir;

    private Schema load(String name, String text) throws IOException {
        return new SchemaLoader(Set.of()).load(Files.writeString(dir.resolve(name), text));
    }

    /** Why the handler written for {@code command} in {@link #HANDLER} cannot serve {@code served}'s declaration of it. */
    private Optional<String> check(String command, String served) throws IOException {
        Schema handler = load("handler.json", HANDLER);
        Schema s = load("served.json", served);
        return s.incompatibility(s.command(command).orElseThrow(), handler, handler.command(command).orElseThrow());
    }

    @Test
    void narrowerDeclarationsFit() throws IOException {
        assertEquals(Optional.empty(), check("paint", TYPES + """
                { 'command': 'paint', 'data': { 'color': 'Color', '*count': 'uint16', '*ratio': 'int',
                                                '*node': 'Node', '*blob': [ 'Color' ] } }
                """));
        // An alternate's branches go to the handler's branches of the same JSON type.
        assertEquals(Optional.empty(), check("paint", """
                { 'enum': 'Color', 'data': [ 'red' ] }
                { 'alternate': 'Size', 'data': { 'c': 'Color', 'n': 'int8' } }
                { 'command': 'paint', 'data': { 'color': 'Color', '*size': 'Size', '*tags': [ 'str' ] } }
                """));
        // A plain type fits the handler's alternate through its branch.
        assertEquals(Optional.empty(), check("paint", TYPES
                + "{ 'command': 'paint', 'data': { 'color': 'Color', '*size': 'uint8' } }"));
        assertEquals(Optional.empty(), check("paint", """
                { 'enum': 'Color', 'data': [ 'red', 'green' ] }
                { 'struct': 'Leaf', 'data': { 'v': 'int' } }
                { 'union': 'Shape', 'base': { 'kind': 'Color' }, 'discriminator': 'kind',
                  'data': { 'red': 'Leaf' } }
                { 'command': 'paint', 'data': { 'color': 'Color', '*shape': 'Shape' } }
                """));
        assertEquals(Optional.empty(), check("slow", "{ 'command': 'slow' }"));
        assertEquals(Optional.empty(), check("ping", "{ 'command': 'ping' }"));
        // A handler of a 'gen': false command takes whatever it is given.
        assertEquals(Optional.empty(), check("raw", "{ 'command': 'raw', 'data': { 'y': 'str' } }"));
    }

    @Test
    void widerDeclarationsDoNot() throws IOException {
        assertEquals(Optional.of("arguments.extra is not a member the handler takes"), check("paint",
                TYPES + "{ 'command': 'paint', 'data': { 'color': 'Color', '*extra': 'int' } }"));
        assertEquals(Optional.of("arguments lacks member 'color', which the handler needs"), check("paint",
                "{ 'command': 'paint' }"));
        assertEquals(Optional.of("arguments.color is optional, but the handler needs it"), check("paint",
                TYPES + "{ 'command': 'paint', 'data': { '*color': 'Color' } }"));
        assertEquals(Optional.of("arguments.color may be 'black', which the handler does not take"), check("paint",
                "{ 'enum': 'Color', 'data': [ 'red', 'black' ] }\n{ 'command': 'paint', 'data': { 'color': 'Color' } }"));
        assertEquals(Optional.of("arguments.count is 'int', but the handler takes only 'int32'"), check("paint",
                TYPES + "{ 'command': 'paint', 'data': { 'color': 'Color', '*count': 'int' } }"));
        assertEquals(Optional.of("arguments.ratio is 'str', but the handler takes 'number'"), check("paint",
                TYPES + "{ 'command': 'paint', 'data': { 'color': 'Color', '*ratio': 'str' } }"));
        assertEquals(Optional.of("arguments.tags[] is 'int', but the handler takes 'str'"), check("paint",
                TYPES + "{ 'command': 'paint', 'data': { 'color': 'Color', '*tags': [ 'int' ] } }"));
        // Recursive types are followed once.
        assertEquals(Optional.of("arguments.node.next.w is not a member the handler takes"), check("paint", """
                { 'enum': 'Color', 'data': [ 'red' ] }
                { 'struct': 'Node', 'data': { 'v': 'int', '*next': 'Other' } }
                { 'struct': 'Other', 'data': { 'v': 'int', '*w': 'int' } }
                { 'command': 'paint', 'data': { 'color': 'Color', '*node': 'Node' } }
                """));
        assertEquals(Optional.of("arguments.shape(kind=red).z is not a member the handler takes"), check("paint", """
                { 'enum': 'Color', 'data': [ 'red' ] }
                { 'struct': 'Leaf', 'data': { 'v': 'int', 'z': 'int' } }
                { 'union': 'Shape', 'base': { 'kind': 'Color' }, 'discriminator': 'kind',
                  'data': { 'red': 'Leaf' } }
                { 'command': 'paint', 'data': { 'color': 'Color', '*shape': 'Shape' } }
                """));
        // A string goes to the alternate's string branch, an enumeration.
        assertEquals(Optional.of("arguments.size is 'str', but the handler takes an enumeration"), check("paint",
                TYPES + "{ 'command': 'paint', 'data': { 'color': 'Color', '*size': 'str' } }"));
        assertEquals(Optional.of("arguments.node is 'int', but the handler takes an object"), check("paint",
                TYPES + "{ 'command': 'paint', 'data': { 'color': 'Color', '*node': 'int' } }"));
    }

    @Test
    void flagsTheHandlerWasNotWrittenFor() throws IOException {
        assertEquals(Optional.of("it allows out-of-band execution, which the handler was not written for"),
                check("slow", "{ 'command': 'slow', 'allow-oob': true }"));
        assertEquals(Optional.of("it does not check arguments ('gen': false), but the handler expects checked ones"),
                check("slow", "{ 'command': 'slow', 'gen': false }"));
    }
}
