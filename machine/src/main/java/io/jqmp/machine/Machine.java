package io.jqmp.machine;

import io.jqmp.protocol.QmpException;
import io.jqmp.server.CommandContext;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A simulated virtual machine behind a {@link QmpServer}: guest memory, a vCPU, QEMU's run states
 * and live migration to or from another jqmp machine.
 *
 * <pre>{@code
 * Machine m = new Machine(MachineConfig.defaults().withMemory(16 << 20));
 * QmpServer server = m.install(QmpServer.builder().listen("unix:/tmp/vm.sock")).build();
 * m.start(server);          // vCPU runs; --incoming listens
 * server.start();
 * ...
 * server.close();
 * m.close();
 * }</pre>
 *
 * <p>Threading: {@link #install}, {@link #start}, {@link #onQuit} are called once by the thread
 * that sets the server up; {@link #close} and the read-only accessors from any thread. Command
 * handlers run where the server runs them: in-band ones on {@code main-loop} with the BQL,
 * out-of-band ones ({@code migrate-pause}, {@code migrate-recover}, {@code yank},
 * {@code query-yank}, {@code x-migration-fault}) on {@code monitor}, where they only change state,
 * close sockets or start threads.
 */
public final class Machine implements AutoCloseable {
    /** The schema resource that declares the machine's commands and events. */
    public static final String SCHEMA_RESOURCE = "io/jqmp/machine/machine.json";

    private final MachineConfig config;
    private final GuestMemory memory;
    private final Vcpu vcpu;
    private final Migration migration;
    /** Guards the run state; held briefly, never across a wait. */
    private final ReentrantLock stateLock = new ReentrantLock();
    private String runState;
    private boolean autostart = true;
    private volatile QmpServer server;
    private volatile Runnable quitHook = () -> { };

    /** Creates the machine; nothing runs before {@link #start}. */
    public Machine(MachineConfig config) {
        this.config = Objects.requireNonNull(config);
        boolean incoming = config.incoming() != null;
        this.memory = new GuestMemory(config.memory(), config.seed(), !incoming);
        this.vcpu = new Vcpu(memory, config.dirtyRate(), config.seed() + 1);
        this.migration = new Migration(this, memory);
        this.runState = incoming ? "inmigrate" : "running";
    }

    public MachineConfig config() {
        return config;
    }

    /** Adds the machine's schema and handlers to {@code builder}; returns it. */
    public QmpServer.Builder install(QmpServer.Builder builder) {
        return builder.defaultSchemaResource(SCHEMA_RESOURCE)
                .handler("query-status", ctx -> queryStatus())
                .handler("query-name", ctx -> config.name() == null ? Map.of() : Map.of("name", config.name()))
                .handler("stop", ctx -> stop())
                .handler("cont", ctx -> cont())
                .handler("system_reset", ctx -> systemReset())
                .handler("quit", this::quit)
                .handler("x-guest-memory-checksum", this::checksum)
                .handler("pmemsave", this::pmemsave)
                .handler("query-migrate", ctx -> migration.queryMigrate())
                .handler("migrate-set-capabilities", ctx -> {
                    migration.setCapabilities(list(ctx.arguments().get("capabilities")));
                    return null;
                })
                .handler("query-migrate-capabilities", ctx -> migration.queryCapabilities())
                .handler("migrate-set-parameters", ctx -> {
                    migration.setParameters(ctx.arguments());
                    return null;
                })
                .handler("query-migrate-parameters", ctx -> migration.queryParameters())
                .handler("migrate", ctx -> {
                    migration.migrate((String) ctx.arguments().get("uri"),
                            Boolean.TRUE.equals(ctx.arguments().get("resume")));
                    return null;
                })
                .handler("migrate-incoming", ctx -> {
                    migration.migrateIncoming((String) ctx.arguments().get("uri"));
                    return null;
                })
                .handler("migrate_cancel", ctx -> {
                    migration.cancel();
                    return null;
                })
                .handler("migrate-start-postcopy", ctx -> {
                    migration.startPostcopy();
                    return null;
                })
                .handler("migrate-pause", ctx -> {
                    migration.migratePause();
                    return null;
                })
                .handler("migrate-recover", ctx -> {
                    migration.migrateRecover((String) ctx.arguments().get("uri"));
                    return null;
                })
                .handler("x-migration-fault", ctx -> {
                    Map<String, Object> a = ctx.arguments();
                    migration.fault((String) a.get("action"), number(a.get("after-pages")), number(a.get("bandwidth")));
                    return null;
                })
                .handler("query-yank", ctx -> migration.queryYank(monitors(ctx)))
                .handler("yank", ctx -> {
                    migration.yank(list(ctx.arguments().get("instances")), monitors(ctx));
                    return null;
                });
    }

    /**
     * Binds the machine to its (built, not necessarily started) server, starts the vCPU and, with
     * {@code incoming}, the migration listener.
     *
     * @throws IOException when the incoming URI cannot be listened on
     */
    public void start(QmpServer qmpServer) throws IOException {
        this.server = Objects.requireNonNull(qmpServer);
        vcpu.start();
        if (config.incoming() != null) {
            migration.startIncoming(config.incoming());
        } else {
            vcpu.resume();
        }
    }

    /** Runs {@code hook} after {@code quit} was answered and SHUTDOWN emitted (the CLI exits there). */
    public void onQuit(Runnable hook) {
        this.quitHook = Objects.requireNonNull(hook);
    }

    /** The run state as query-status names it. Any thread. */
    public String runState() {
        stateLock.lock();
        try {
            return runState;
        } finally {
            stateLock.unlock();
        }
    }

    /** The migration status as query-migrate names it. Any thread. */
    public String migrationStatus() {
        return migration.status();
    }

    /** How long the last postcopy recovery handshake took (postcopy-recover to postcopy-active), in nanoseconds, or -1. */
    public long lastRecoveryNanos() {
        return migration.lastRecoveryNanos;
    }

    /** How many times a guest access (vCPU or command) had to wait for a page that had not arrived. */
    public long pageWaits() {
        return memory.pageWaits();
    }

    /** Stops the vCPU and the migration threads, and fails page waits. Idempotent; any thread. */
    @Override
    public void close() {
        vcpu.close();
        migration.close();
        memory.close();
    }

    // ------------------------------------------------------------------ run state

    void emit(String event, Map<String, Object> data) {
        QmpServer s = server;
        if (s != null) {
            s.events().emit(event, data);
        }
    }

    private Map<String, Object> queryStatus() {
        String s = runState();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", s.equals("running"));
        m.put("singlestep", false);
        m.put("status", s);
        return m;
    }

    private Object stop() {
        stateLock.lock();
        try {
            if (runState.equals("inmigrate")) {
                autostart = false;
            } else if (runState.equals("running")) {
                vcpu.pause();
                runState = "paused";
                emit("STOP", null);
            }
        } finally {
            stateLock.unlock();
        }
        return null;
    }

    private Object cont() {
        stateLock.lock();
        try {
            switch (runState) {
                case "inmigrate" -> autostart = true;
                case "running" -> { }
                case "shutdown", "internal-error", "guest-panicked" ->
                        throw new QmpException("Resetting the Virtual Machine is required");
                case "finish-migrate" -> throw new QmpException("The guest belongs to the migration until it completes");
                default -> {
                    runState = "running";
                    vcpu.resume();
                    emit("RESUME", null);
                }
            }
        } finally {
            stateLock.unlock();
        }
        return null;
    }

    private Object systemReset() {
        stateLock.lock();
        try {
            if (runState.equals("shutdown")) {
                runState = "paused";
            }
            emit("RESET", resetData("host-qmp-system-reset"));
        } finally {
            stateLock.unlock();
        }
        return null;
    }

    private Object quit(CommandContext ctx) {
        // As QEMU: the answer first, then SHUTDOWN, then the process ends.
        ctx.server().runInMainLoop(() -> {
            stateLock.lock();
            try {
                vcpu.pause();
                runState = "shutdown";
                emit("SHUTDOWN", resetData("host-qmp-quit"));
            } finally {
                stateLock.unlock();
            }
            quitHook.run();
        });
        return null;
    }

    private static Map<String, Object> resetData(String reason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("guest", false);
        m.put("reason", reason);
        return m;
    }

    /** Migration thread: the source guest stops for stop-and-copy or postcopy. */
    void stopForMigration() {
        stateLock.lock();
        try {
            vcpu.pause();
            boolean wasRunning = runState.equals("running");
            runState = "finish-migrate";
            if (wasRunning) {
                emit("STOP", null);
            }
        } finally {
            stateLock.unlock();
        }
    }

    /** Migration thread: the source's migration completed. */
    void migrationCompleted() {
        stateLock.lock();
        try {
            runState = "postmigrate";
        } finally {
            stateLock.unlock();
        }
    }

    /** Any thread: a source migration failed or was cancelled; a guest stopped for it runs again. */
    void migrationFailed() {
        stateLock.lock();
        try {
            if (runState.equals("finish-migrate")) {
                runState = "running";
                vcpu.resume();
                emit("RESUME", null);
            }
        } finally {
            stateLock.unlock();
        }
    }

    /** Migration thread: the destination may run (postcopy started, or precopy completed). */
    void incomingRunning() {
        stateLock.lock();
        try {
            if (!runState.equals("inmigrate")) {
                return;
            }
            if (autostart) {
                runState = "running";
                vcpu.resume();
                emit("RESUME", null);
            } else {
                runState = "paused";
            }
        } finally {
            stateLock.unlock();
        }
    }

    // ------------------------------------------------------------------ guest memory commands

    private Object checksum(CommandContext ctx) {
        long start = number(ctx.arguments().get("start"));
        Object sizeArg = ctx.arguments().get("size");
        long size = sizeArg == null ? memory.size() - Math.min(start, memory.size()) : number(sizeArg);
        checkRange(start, size);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("checksum", memory.checksum(start, size)); // may wait for pages: blocks the main loop
        return m;
    }

    private Object pmemsave(CommandContext ctx) {
        long val = number(ctx.arguments().get("val"));
        long size = number(ctx.arguments().get("size"));
        String filename = (String) ctx.arguments().get("filename");
        checkRange(val, size);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(filename)))) {
            memory.save(val, size, out);
        } catch (IOException e) {
            throw new QmpException("Could not open '" + filename + "': " + e.getMessage());
        }
        return null;
    }

    private void checkRange(long start, long size) {
        if (start < 0 || size < 0 || start > memory.size() || size > memory.size() - start) {
            throw new QmpException("Invalid addr 0x" + Long.toHexString(start) + "/size " + size + " specified");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    private static List<Endpoint> monitors(CommandContext ctx) {
        return ctx.server().endpoints();
    }
}
