package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** README's quick start: the client commands shown run as written, and every document is linked. */
class ReadmeTest {
    private static final Path ROOT = Path.of("..");

    private static String quickStart() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int start = readme.indexOf("## Quick start");
        assertTrue(start >= 0, "README has a quick start");
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    @Test
    void theQuickStartShowsCallShellAndEvents() throws IOException {
        String qs = quickStart();
        for (String command : List.of("call", "shell", "events")) {
            assertTrue(qs.contains("./jqmp " + command), "the quick start shows ./jqmp " + command);
        }
        // Each shown client command parses as written and goes to serve's default endpoint.
        Matcher m = Pattern.compile("(?m)^\\./jqmp (call|shell|events)((?: [^ #]+)*)").matcher(qs);
        int shown = 0;
        while (m.find()) {
            List<String> argv = m.group(2).isBlank() ? List.of() : List.of(m.group(2).trim().split(" "));
            Args a = Args.parse(argv, java.util.Set.of("--filter", "--timeout", "--count", "--history"),
                    java.util.Set.of("--oob", "--pretty", "--no-oob"));
            assertEquals(ClientCommands.DEFAULT_ENDPOINT, ClientCommands.positional(a.positional).endpoint(), m.group());
            shown++;
        }
        assertTrue(shown >= 3, "client command lines in the quick start: " + shown);
    }

    @Test
    void everyDocumentIsLinkedFromTheReadme() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            List<String> names = docs.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".md")).sorted().toList();
            assertFalse(names.isEmpty());
            for (String n : names) {
                assertTrue(readme.contains("](docs/" + n + ")"), "README links docs/" + n);
            }
        }
    }
}
