package io.jqmp.server;

import io.jqmp.protocol.ErrorClass;
import io.jqmp.protocol.QmpException;
import io.jqmp.schema.Schema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The commands every server has: {@code qmp_capabilities} (in command mode; negotiation is done
 * by the reader), {@code query-version}, {@code query-commands}, {@code query-qmp-schema} and the
 * test command {@code x-oob-test}.
 */
final class BuiltinCommands {
    static final Set<String> NAMES = Set.of("qmp_capabilities", "query-version", "query-commands",
            "query-qmp-schema", "x-oob-test");
    /** Schema condition that enables 2.12-only entities (COMMAND_DROPPED). */
    static final String DIALECT_2_12_DEFINE = "JQMP_DIALECT_2_12";
    /** Schema condition that enables x-oob-test. */
    static final String X_OOB_TEST_DEFINE = "JQMP_X_OOB_TEST";

    private final QmpServerConfig config;
    private final Schema schema;
    /** x-oob-test: lock=true takes a permit (waiting for one), lock=false gives one. */
    private final Semaphore oobTestGate = new Semaphore(0);
    private volatile boolean closed;
    private volatile Object schemaCache;

    BuiltinCommands(QmpServerConfig config, Schema schema) {
        this.config = config;
        this.schema = schema;
    }

    Map<String, CommandHandler> handlers(boolean xOobTest) {
        Map<String, CommandHandler> h = new LinkedHashMap<>();
        h.put("qmp_capabilities", ctx -> {
            throw new QmpException(ErrorClass.CommandNotFound, "Capabilities negotiation is already complete, command ignored");
        });
        h.put("query-version", ctx -> versionInfo());
        h.put("query-commands", ctx -> queryCommands());
        h.put("query-qmp-schema", ctx -> querySchema());
        if (xOobTest) {
            h.put("x-oob-test", this::xOobTest);
        }
        return h;
    }

    /** VersionInfo: {@code {"qemu": {"major", "minor", "micro"}, "package": ...}}. */
    Map<String, Object> versionInfo() {
        QmpServerConfig.Version v = config.version();
        Map<String, Object> triple = new LinkedHashMap<>();
        triple.put("major", v.major());
        triple.put("minor", v.minor());
        triple.put("micro", v.micro());
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("qemu", triple);
        info.put("package", v.packageName());
        return info;
    }

    private List<Object> queryCommands() {
        List<Object> out = new ArrayList<>();
        for (String name : SchemaAssembly.queryCommandsOrder(schema)) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("name", name);
            out.add(info);
        }
        return out;
    }

    private Object querySchema() {
        Object cached = schemaCache;
        if (cached == null) {
            cached = SchemaAssembly.introspect(schema, config);
            schemaCache = cached;
        }
        return cached;
    }

    private Object xOobTest(CommandContext ctx) {
        boolean lock = Boolean.TRUE.equals(ctx.arguments().get("lock"));
        if (!lock) {
            oobTestGate.release();
            return null;
        }
        if (ctx.outOfBand()) {
            throw new QmpException("x-oob-test with lock=true blocks its thread; send it in-band");
        }
        // Blocks the main loop until lock=false arrives (normally out-of-band) or the server stops.
        try {
            while (!closed && !oobTestGate.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                // keep waiting
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    void close() {
        closed = true;
    }
}
