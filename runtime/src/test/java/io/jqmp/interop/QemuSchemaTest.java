package io.jqmp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import io.jqmp.protocol.QmpException;
import io.jqmp.schema.SchemaException;
import io.jqmp.schema.SchemaLoader;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import io.jqmp.server.QmpServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU's own schema served by jqmp, compared with QEMU itself: given a QEMU 7.2 source folder in
 * the environment variable {@code JQMP_QEMU_SOURCE} (its {@code qapi/} folder is what is read)
 * and {@code qemu-system-x86_64} 7.2 on the PATH, a jqmp server with that schema and the names
 * of {@code docs/qemu-7.2-x86_64.defines} must answer the greeting, query-version (given QEMU's
 * version), query-qmp-schema and query-commands byte for byte as QEMU does; and jqmp's loader
 * must accept and reject the schemas of QEMU's generator tests as QEMU does. Skipped, saying
 * why, when something is missing.
 */
class QemuSchemaTest {
    static final String SOURCE_VARIABLE = "JQMP_QEMU_SOURCE";

    @TempDir
    Path dir;

    /** {@code qapi/qapi-schema.json} of the QEMU source folder the environment names; skips the test without one. */
    static Path qemuSchema() {
        String source = System.getenv(SOURCE_VARIABLE);
        assumeTrue(source != null && !source.isEmpty(), SOURCE_VARIABLE + " is not set (to a QEMU 7.2 source folder):"
                + " comparison with QEMU's own schema skipped");
        Path schema = Path.of(source, "qapi", "qapi-schema.json");
        assumeTrue(Files.isRegularFile(schema), schema + " does not exist: comparison with QEMU's own schema skipped");
        return schema;
    }

    /** docs/qemu-7.2-x86_64.defines, found from the working directory up. */
    static Path x86Defines() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path f = d.resolve("docs/qemu-7.2-x86_64.defines");
            if (Files.isRegularFile(f)) {
                return f;
            }
        }
        throw new IllegalStateException("docs/qemu-7.2-x86_64.defines not found above " + Path.of("").toAbsolutePath());
    }

    /** The first answers of a conversation: greeting, then one line per request (CR LF kept). */
    private static List<String> converse(Path socket, String... requests) throws IOException, InterruptedException {
        try (RawConversation c = new RawConversation(socket)) {
            List<String> lines = new ArrayList<>();
            lines.add(c.next(20_000));
            for (String r : requests) {
                c.send(r);
                lines.add(c.next(20_000));
            }
            return lines;
        }
    }

    /** Where two long answers first differ, with some context from each. */
    static String firstDifference(String expected, String actual) {
        int i = 0;
        while (i < expected.length() && i < actual.length() && expected.charAt(i) == actual.charAt(i)) {
            i++;
        }
        int from = Math.max(0, i - 120);
        return "byte " + i + ":\n  QEMU: ..." + expected.substring(from, Math.min(expected.length(), i + 120))
                + "\n  jqmp: ..." + actual.substring(from, Math.min(actual.length(), i + 120));
    }

    @Test
    void introspectionEqualsQemus() throws Exception {
        Path schema = qemuSchema();
        assumeTrue(Qemu.available(), Qemu.BINARY + " is not on the PATH: comparison with QEMU's own schema skipped");
        String[] requests = {"{\"execute\": \"qmp_capabilities\"}", "{\"execute\": \"query-version\"}",
            "{\"execute\": \"query-qmp-schema\"}", "{\"execute\": \"query-commands\"}"};
        List<String> qemu;
        try (Qemu q = new Qemu(dir)) {
            qemu = converse(q.socket, requests);
        }
        // Report QEMU's own version, so that the greeting and query-version can be compared too.
        Map<?, ?> version = (Map<?, ?>) JSON.std.mapFrom(qemu.get(2)).get("return");
        Map<?, ?> triple = (Map<?, ?>) version.get("qemu");
        Path socket = dir.resolve("jqmp.sock");
        try (QmpServer server = QmpServer.builder()
                .listen(new Endpoint.Unix(socket))
                .schemaFile(schema)
                .defineFile(x86Defines())
                .version(new QmpServerConfig.Version(((Number) triple.get("major")).longValue(),
                        ((Number) triple.get("minor")).longValue(), ((Number) triple.get("micro")).longValue(),
                        (String) version.get("package")))
                .fallbackHandler(ctx -> {
                    throw new QmpException("Command " + ctx.command() + " has no implementation");
                })
                .build().start()) {
            List<String> jqmp = converse(socket, requests);
            String[] what = {"greeting", "qmp_capabilities", "query-version", "query-qmp-schema", "query-commands"};
            for (int i = 0; i < what.length; i++) {
                String q = qemu.get(i);
                String j = jqmp.get(i);
                if (!q.equals(j)) {
                    fail(what[i] + " differs from QEMU's (" + q.length() + " and " + j.length() + " bytes), first at "
                            + firstDifference(q, j));
                }
            }
        }
    }

    /**
     * QEMU's own tests of its generator ({@code tests/qapi-schema/} of the source folder): a
     * schema whose {@code .err} file is empty is accepted by QEMU's generator, any other is
     * rejected, and jqmp must agree. One case differs on purpose: {@code doc-good.json} keeps a
     * union whose discriminator's enum only exists under a condition nothing defines, which
     * QEMU's generator accepts (its C would not compile) and jqmp refuses.
     */
    @Test
    void acceptsAndRejectsWhatQemusGeneratorDoes() throws IOException {
        Path tests = qemuSchema().getParent().getParent().resolve("tests/qapi-schema");
        assumeTrue(Files.isDirectory(tests), tests + " does not exist: QEMU's generator tests skipped");
        List<String> differences = new ArrayList<>();
        int compared = 0;
        try (var files = Files.list(tests)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                Path err = Path.of(f.toString().replace(".json", ".err"));
                if (!Files.exists(err)) {
                    continue; // a file the tests include
                }
                compared++;
                boolean qemuRejects = Files.size(err) > 0;
                String jqmp = null;
                try {
                    new SchemaLoader(Set.of()).load(f);
                } catch (SchemaException e) {
                    jqmp = e.getMessage();
                }
                boolean expectedDifference = f.getFileName().toString().equals("doc-good.json") && jqmp != null
                        && jqmp.contains("which its 'if' condition leaves out");
                if ((jqmp != null) != qemuRejects && !expectedDifference) {
                    differences.add(f.getFileName() + ": QEMU " + (qemuRejects ? "rejects: "
                            + Files.readString(err).strip() : "accepts") + "; jqmp " + (jqmp == null ? "accepts" : jqmp));
                }
            }
        }
        assertTrue(compared > 100, "only " + compared + " of QEMU's generator tests found in " + tests);
        assertEquals(List.of(), differences);
    }
}
