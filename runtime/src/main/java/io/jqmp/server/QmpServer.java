package io.jqmp.server;

import io.jqmp.internal.dispatch.MainLoop;
import io.jqmp.internal.dispatch.Monitor;
import io.jqmp.internal.dispatch.RoleRunner;
import io.jqmp.internal.wire.Messages;
import io.jqmp.schema.Schema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A QMP server: listeners, one reader and one writer thread per connection (virtual unless the
 * listener asks for platform threads, {@link ConnectionThreads}), the
 * {@code monitor} thread for out-of-band commands and the {@code main-loop} thread for in-band
 * ones.
 *
 * <pre>{@code
 * QmpServer server = QmpServer.builder()
 *         .listen("unix:/tmp/qmp.sock")
 *         .schemaFile(Path.of("my.json"))
 *         .handler("my-command", ctx -> Map.of("answer", 42L))
 *         .build()
 *         .start();
 * ...
 * server.close();
 * }</pre>
 *
 * <p>{@link #start()} and {@link #close()} may be called from any thread; {@code close()} is
 * idempotent and returns within a few seconds even when a handler is stuck.
 */
public final class QmpServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(QmpServer.class.getName());
    /** How long close() lets queued output drain before disconnecting clients. */
    private static final Duration FLUSH_ON_CLOSE = Duration.ofMillis(500);

    private final QmpServerConfig config;
    private final Schema schema;
    private final Events events;
    private final Monitor monitor;
    private final MainLoop mainLoop;
    private final RoleRunner monitorRunner;
    private final RoleRunner mainLoopRunner;
    private final BuiltinCommands builtins;
    private final ConnectionServices services;
    private final List<Listener> listeners = new ArrayList<>();
    private final Connections connections = new Connections();
    private final AtomicLong connectionIds = new AtomicLong();
    private final LongAdder suspensions = new LongAdder();
    private final LongAdder refusedConnections = new LongAdder();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private QmpServer(QmpServerConfig config, Schema schema, Map<String, CommandHandler> handlers, boolean xOobTest) {
        this.config = config;
        this.schema = schema;
        Encoder encoder = new Encoder(config.pretty());
        this.builtins = new BuiltinCommands(config, schema);
        Map<String, CommandHandler> all = new LinkedHashMap<>(builtins.handlers(xOobTest));
        all.putAll(handlers);
        Commands commands = new Commands(this, schema, all, encoder);
        this.events = new Events(schema, encoder, connections, config.throttles());
        this.monitor = new Monitor(config.oobQueueCapacity());
        this.mainLoop = new MainLoop(config.maxConnections() * config.maxPendingInband() + 1024);
        this.monitorRunner = new RoleRunner(monitor, config.monitorIdle().get(), config.threadPlacement());
        this.mainLoopRunner = new RoleRunner(mainLoop, config.mainLoopIdle().get(), config.threadPlacement());
        monitor.attach(monitorRunner);
        mainLoop.attach(mainLoopRunner);
        List<String> offered = config.offerOob() ? List.of("oob") : List.of();
        Greeting greeting = new Greeting(encoder.encode(Messages.greeting(builtins.versionInfo(), offered)), offered);
        this.services = new ConnectionServices(config, DialectRules.of(config.dialect(), commands), commands, encoder,
                greeting, monitor, mainLoop, events, connections, suspensions);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds every listener and starts the threads. Returns this server. */
    public QmpServer start() throws IOException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("server already started");
        }
        try {
            for (Endpoint e : config.listeners()) {
                listeners.add(Listener.bind(e, config.connectionThreads(e), this::admit));
            }
        } catch (IOException e) {
            listeners.forEach(Listener::close);
            throw e;
        }
        monitorRunner.start();
        mainLoopRunner.start();
        listeners.forEach(Listener::start);
        return this;
    }

    /** The configuration, as validated. */
    public QmpServerConfig config() {
        return config;
    }

    /** The schema the server serves (built-in commands included). */
    public Schema schema() {
        return schema;
    }

    /** The bound endpoints, in configuration order, with real TCP ports when port 0 was asked for. */
    public List<Endpoint> endpoints() {
        return listeners.stream().map(Listener::endpoint).toList();
    }

    /** Emits events to clients. */
    public Events events() {
        return events;
    }

    /**
     * The big lock held by the main loop while an in-band handler runs. Take it from your own
     * threads to change state that in-band handlers read; never take it on the monitor thread.
     */
    public ReentrantLock bql() {
        return mainLoop.bql();
    }

    /** Runs {@code task} on the main loop with the BQL held, after the in-band work queued before it. */
    public void runInMainLoop(Runnable task) {
        while (!mainLoop.submit(task)) {
            Thread.onSpinWait();
        }
    }

    /** Connections currently open. */
    public int connectionCount() {
        return connections.count();
    }

    /** Times a connection's reader stopped reading because its in-band queue was full (back-pressure). */
    public long readerSuspensions() {
        return suspensions.sum();
    }

    /** Connections refused because the server was full or closing. */
    public long refusedConnections() {
        return refusedConnections.sum();
    }

    /** Out-of-band requests that found the monitor's queue full and had to wait. */
    public long failedOobOffers() {
        return monitor.failedOffers();
    }

    /** Unblocks an in-band {@code x-oob-test} with {@code lock: true} (as {@code lock: false} would). */
    public void releaseOobTestLock() {
        builtins.releaseOobTest();
    }

    /** Accept thread: serves a new client, or refuses it when the server is full or closing. */
    private void admit(SocketChannel client, Endpoint endpoint, ConnectionThreads threads) {
        if (closed.get() || connections.count() >= config.maxConnections()) {
            refusedConnections.increment();
            LOG.warning("refusing a connection on " + endpoint + ": " + (closed.get() ? "server stopping"
                    : "the limit of " + config.maxConnections() + " connections is reached"));
            try {
                client.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "close failed", e);
            }
            return;
        }
        Connection c = new Connection(connectionIds.incrementAndGet(), client, endpoint, threads, services);
        connections.add(c);
        c.start();
    }

    /**
     * Stops listening (removing socket files), lets queued output drain for up to half a second,
     * disconnects every client and stops the threads. Idempotent; returns within a few seconds
     * whatever handlers are doing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        listeners.forEach(Listener::close);
        List<Connection> open = connections.snapshot();
        // Answers and events already queued (e.g. quit's SHUTDOWN) reach clients that read.
        long flushDeadline = System.nanoTime() + FLUSH_ON_CLOSE.toNanos();
        for (Connection c : open) {
            while (!c.flushed() && !c.isClosed() && System.nanoTime() < flushDeadline) {
                LockSupport.parkNanos(1_000_000);
            }
        }
        open.forEach(c -> c.close(Connection.SERVER_STOPPING));
        builtins.close();
        events.close();
        Duration grace = Duration.ofSeconds(2);
        mainLoopRunner.close(grace);
        monitorRunner.close(grace);
        for (Connection c : open) {
            try {
                c.join(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    /** Collects and validates a server's configuration; {@link #build()} checks it all before any thread exists. */
    public static final class Builder {
        private final List<Endpoint> listeners = new ArrayList<>();
        private final Set<Endpoint> platformListeners = new LinkedHashSet<>();
        private final List<Path> schemaFiles = new ArrayList<>();
        private final List<String> schemaResources = new ArrayList<>();
        private final List<Schema> schemas = new ArrayList<>();
        private final Set<String> defines = new LinkedHashSet<>();
        private final Map<String, CommandHandler> handlers = new LinkedHashMap<>();
        private CommandHandler fallback;
        private Dialect dialect = Dialect.CURRENT;
        private QmpServerConfig.Version version = QmpServerConfig.Version.DEFAULT;
        private int maxPendingInband = 8;
        private int maxConnections = 4096;
        private long maxOutputBacklog = 16L << 20;
        private int oobQueueCapacity = 4096;
        private Supplier<IdleStrategy> monitorIdle = IdleStrategy::park;
        private Supplier<IdleStrategy> mainLoopIdle = IdleStrategy::park;
        private boolean offerOob = true;
        private ThreadPlacement threadPlacement = ThreadPlacement.NONE;
        private boolean pretty;
        private boolean unmaskSchema;
        private boolean xOobTest = true;
        private List<Events.Throttle> throttles = Events.QEMU_THROTTLES;
        private QmpServerConfig.JsonLimits jsonLimits = QmpServerConfig.JsonLimits.QEMU;

        private Builder() {
        }

        /** Adds a listener. */
        public Builder listen(Endpoint endpoint) {
            listeners.add(Objects.requireNonNull(endpoint));
            return this;
        }

        /** Adds a listener given as {@code unix:PATH} or {@code tcp:HOST:PORT}. */
        public Builder listen(String endpoint) {
            return listen(Endpoint.parse(endpoint));
        }

        /**
         * Adds a listener whose connections are served by {@code threads}: {@link
         * ConnectionThreads#PLATFORM} for a management socket whose few clients' out-of-band
         * answers must not wait behind other connections for a carrier thread.
         */
        public Builder listen(Endpoint endpoint, ConnectionThreads threads) {
            listen(endpoint);
            if (threads == ConnectionThreads.PLATFORM) {
                platformListeners.add(endpoint);
            }
            return this;
        }

        /** As {@link #listen(Endpoint, ConnectionThreads)}, the endpoint given as {@code unix:PATH} or {@code tcp:HOST:PORT}. */
        public Builder listen(String endpoint, ConnectionThreads threads) {
            return listen(Endpoint.parse(endpoint), Objects.requireNonNull(threads));
        }

        /** Adds a QAPI schema file. */
        public Builder schemaFile(Path file) {
            schemaFiles.add(file);
            return this;
        }

        /** Adds a QAPI schema from the class path (e.g. {@code io/jqmp/machine/machine.json}). */
        public Builder schemaResource(String resource) {
            schemaResources.add(resource);
            return this;
        }

        /** Adds a schema built in Java. */
        public Builder schema(Schema schema) {
            schemas.add(schema);
            return this;
        }

        /** Defines a name for schema {@code if} conditions. */
        public Builder define(String name) {
            defines.add(name);
            return this;
        }

        /** Sets the handler of a schema command. */
        public Builder handler(String command, CommandHandler handler) {
            handlers.put(command, Objects.requireNonNull(handler));
            return this;
        }

        /** Answers schema commands that have no handler of their own (otherwise build() rejects them). */
        public Builder fallbackHandler(CommandHandler handler) {
            this.fallback = handler;
            return this;
        }

        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect);
            return this;
        }

        public Builder version(QmpServerConfig.Version version) {
            this.version = Objects.requireNonNull(version);
            return this;
        }

        public Builder maxPendingInband(int n) {
            this.maxPendingInband = n;
            return this;
        }

        public Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        public Builder maxOutputBacklog(long bytes) {
            this.maxOutputBacklog = bytes;
            return this;
        }

        public Builder oobQueueCapacity(int n) {
            this.oobQueueCapacity = n;
            return this;
        }

        public Builder monitorIdleStrategy(Supplier<IdleStrategy> idle) {
            this.monitorIdle = Objects.requireNonNull(idle);
            return this;
        }

        public Builder mainLoopIdleStrategy(Supplier<IdleStrategy> idle) {
            this.mainLoopIdle = Objects.requireNonNull(idle);
            return this;
        }

        /**
         * Places the {@code monitor} and {@code main-loop} threads when they start (default
         * {@link ThreadPlacement#NONE}), e.g. on CPUs of their own.
         */
        public Builder threadPlacement(ThreadPlacement placement) {
            this.threadPlacement = Objects.requireNonNull(placement);
            return this;
        }

        public Builder offerOob(boolean offer) {
            this.offerOob = offer;
            return this;
        }

        public Builder pretty(boolean pretty) {
            this.pretty = pretty;
            return this;
        }

        public Builder unmaskSchema(boolean unmask) {
            this.unmaskSchema = unmask;
            return this;
        }

        /** Whether the {@code x-oob-test} command exists (default true). */
        public Builder xOobTest(boolean enabled) {
            this.xOobTest = enabled;
            return this;
        }

        /** Input limits per JSON value (default: QEMU's 64 MiB, 2 Mi tokens, depth 1024). */
        public Builder jsonLimits(QmpServerConfig.JsonLimits limits) {
            this.jsonLimits = Objects.requireNonNull(limits);
            return this;
        }

        public Builder throttles(List<Events.Throttle> throttles) {
            this.throttles = List.copyOf(throttles);
            return this;
        }

        /**
         * Validates everything and creates the server (no thread started, nothing bound).
         *
         * @throws IllegalArgumentException naming what to fix
         * @throws UncheckedIOException when a schema file cannot be read
         */
        public QmpServer build() {
            if (listeners.isEmpty()) {
                throw new IllegalArgumentException("no listener: add one with listen(\"unix:PATH\") or listen(\"tcp:HOST:PORT\")");
            }
            if (new LinkedHashSet<>(listeners).size() != listeners.size()) {
                throw new IllegalArgumentException("a listener is given twice: " + listeners);
            }
            requireRange("maxPendingInband", maxPendingInband, 1, 1 << 16);
            requireRange("maxConnections", maxConnections, 1, 1 << 20);
            requireRange("oobQueueCapacity", oobQueueCapacity, 2, 1 << 24);
            if (maxOutputBacklog < 64 * 1024) {
                throw new IllegalArgumentException("maxOutputBacklog must be at least 65536 bytes, got " + maxOutputBacklog);
            }
            Set<String> allDefines = new LinkedHashSet<>(defines);
            if (dialect == Dialect.V2_12) {
                allDefines.add(BuiltinCommands.DIALECT_2_12_DEFINE);
            }
            if (xOobTest) {
                allDefines.add(BuiltinCommands.X_OOB_TEST_DEFINE);
            }
            Schema schema = SchemaAssembly.assemble(allDefines, schemaFiles, schemaResources, schemas);
            Map<String, CommandHandler> bound = new LinkedHashMap<>();
            for (Map.Entry<String, CommandHandler> e : handlers.entrySet()) {
                if (schema.command(e.getKey()).isEmpty()) {
                    throw new IllegalArgumentException("handler for '" + e.getKey() + "', which no schema declares");
                }
                bound.put(e.getKey(), e.getValue());
            }
            List<String> missing = new ArrayList<>();
            for (String name : SchemaAssembly.commandNames(schema)) {
                if (!bound.containsKey(name) && !BuiltinCommands.NAMES.contains(name)) {
                    if (fallback != null) {
                        bound.put(name, fallback);
                    } else {
                        missing.add(name);
                    }
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("schema commands without a handler: " + String.join(", ", missing)
                        + " (add handler(name, ...) or fallbackHandler(...))");
            }
            QmpServerConfig config = new QmpServerConfig(List.copyOf(listeners), dialect, version, maxPendingInband,
                    maxConnections, maxOutputBacklog, oobQueueCapacity, monitorIdle, mainLoopIdle, offerOob, pretty,
                    unmaskSchema, throttles, jsonLimits, Set.copyOf(platformListeners), threadPlacement);
            return new QmpServer(config, schema, bound, xOobTest);
        }

        private static void requireRange(String name, long value, long min, long max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
            }
        }
    }
}
