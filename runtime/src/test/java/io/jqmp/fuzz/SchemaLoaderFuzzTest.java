package io.jqmp.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jqmp.schema.Schema;
import io.jqmp.schema.SchemaException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Fuzzes the QAPI schema loader with schema files made of arbitrary bytes: the only exception
 * that may escape is {@link SchemaException}, and its message must start with {@code FILE:LINE: }.
 */
class SchemaLoaderFuzzTest {
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("jqmp-schema-fuzz");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void loadSchemaFile(byte[] input) throws IOException {
        Path file = DIR.resolve("fuzz.json");
        Files.write(file, input);
        Pattern located = Pattern.compile(Pattern.quote(file.toString()) + ":\\d+: .*", Pattern.DOTALL);
        try {
            Schema.builder().load(file).build();
        } catch (SchemaException e) {
            assertTrue(e.getMessage() != null && located.matcher(e.getMessage()).matches(),
                    "message without FILE:LINE: '" + e.getMessage() + "' for " + Corpus.show(input));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
