package io.jqmp.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jqmp.internal.wire.JsonWriter;
import io.jqmp.protocol.QmpException;
import io.jqmp.schema.Defines;
import io.jqmp.schema.IntrospectOptions;
import io.jqmp.schema.Schema;
import io.jqmp.server.QmpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulated machine behind QEMU 7.2's own schema, as {@code jqmp serve --schema
 * QEMU/qapi/qapi-schema.json --define-file docs/qemu-7.2-x86_64.defines} runs it: it starts
 * (every machine handler fits QEMU's declaration), introspects QEMU's schema alone and
 * simulates behind it. Needs a QEMU 7.2 source folder in {@code JQMP_QEMU_SOURCE}; skipped, saying
 * so, without one. (The interop test QemuSchemaTest compares that introspection with QEMU's.)
 */
@Timeout(60)
class QemuSchemaMachineTest {
    @TempDir
    Path dir;

    @Test
    void machineRunsBehindQemusSchema() throws Exception {
        String source = System.getenv("JQMP_QEMU_SOURCE");
        assumeTrue(source != null && !source.isEmpty(), "JQMP_QEMU_SOURCE is not set (to a QEMU 7.2 source folder):"
                + " the machine behind QEMU's own schema is not tried");
        Path schema = Path.of(source, "qapi", "qapi-schema.json");
        assumeTrue(Files.isRegularFile(schema), schema + " does not exist: the machine behind QEMU's schema is not tried");
        Path defines = Path.of("").toAbsolutePath();
        while (!Files.isRegularFile(defines.resolve("docs/qemu-7.2-x86_64.defines"))) {
            defines = defines.getParent();
        }
        defines = defines.resolve("docs/qemu-7.2-x86_64.defines");
        Path socket = dir.resolve("vm.qmp");
        Machine machine = new Machine(MachineConfig.defaults().withMemory(4 << 20).withDirtyRate(500));
        QmpServer server = machine.install(QmpServer.builder().listen("unix:" + socket))
                .schemaFile(schema).defineFile(defines)
                .fallbackHandler(ctx -> {
                    throw new QmpException("Command " + ctx.command() + " has no implementation");
                })
                .build();
        machine.start(server);
        server.start();
        try (QmpPeer qmp = QmpPeer.connect(socket)) {
            Schema alone = Schema.builder().define(Defines.read(defines)).load(schema).build();
            assertEquals("{\"return\": " + JsonWriter.toJson(alone.introspect(IntrospectOptions.DEFAULT)) + "}",
                    qmp.execute("query-qmp-schema", null));
            assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}",
                    qmp.execute("query-status", null));
            qmp.ok("stop", null);
            qmp.awaitEvent("\"event\": \"STOP\"");
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Migration parameter 'compress-level' is not"
                    + " simulated by this machine\"}}", qmp.execute("migrate-set-parameters", "{\"compress-level\": 1}"));
            assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Command query-pci has no implementation\"}}",
                    qmp.execute("query-pci", null));
        } finally {
            machine.close();
            server.close();
        }
    }
}
