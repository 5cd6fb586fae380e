package io.jqmp.server;

import io.jqmp.internal.dispatch.MainLoop;
import io.jqmp.internal.jfr.CommandEvent;
import io.jqmp.internal.dispatch.Monitor;
import io.jqmp.internal.dispatch.RoleRunner;
import io.jqmp.internal.wire.Messages;
import io.jqmp.schema.Declaration;
import io.jqmp.schema.Defines;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

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
    private static final System.Logger LOG = System.getLogger(QmpServer.class.getName());
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
    private final InputBudget inputBudget;
    private final OutputBudget outputBudget;
    private final ServerErrors errors;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private QmpServer(QmpServerConfig config, Schema schema, Map<String, CommandHandler> handlers,
            ErrorHandler errorHandler, RequestForwarder forwarder) {
        this.config = config;
        this.schema = schema;
        this.errors = new ServerErrors(errorHandler);
        errors.onFatalStop(this::close);
        Encoder encoder = new Encoder(config.pretty());
        this.builtins = new BuiltinCommands(config, schema);
        Map<String, CommandHandler> all = new LinkedHashMap<>(builtins.handlers(config.xOobTest()));
        all.putAll(handlers);
        Commands commands = new Commands(this, schema, all, encoder, config.checkAnswers(), errors);
        this.events = new Events(schema, encoder, connections, config.throttles(), config.checkAnswers(), errors);
        this.monitor = new Monitor(config.oobQueueCapacity());
        this.mainLoop = new MainLoop(Math.toIntExact((long) config.maxConnections() * config.maxPendingInband() + 1024));
        this.monitorRunner = new RoleRunner(monitor, config.monitorIdle().get(), config.threadPlacement(), errors);
        this.mainLoopRunner = new RoleRunner(mainLoop, config.mainLoopIdle().get(), config.threadPlacement(), errors);
        monitor.attach(monitorRunner);
        mainLoop.attach(mainLoopRunner);
        List<String> offered = config.offerOob() ? List.of("oob") : List.of();
        Greeting greeting = new Greeting(encoder.encode(Messages.greeting(builtins.versionInfo(), offered)), offered);
        this.inputBudget = new InputBudget(config.memoryBudget());
        this.outputBudget = new OutputBudget(config.memoryBudget(), connections);
        this.services = new ConnectionServices(config, DialectRules.of(config.dialect(), commands), commands, encoder,
                greeting, monitor, mainLoop, events, connections, suspensions, inputBudget, outputBudget,
                new Semaphore(config.oobPlatformConnections()), errors, forwarder);
    }

    /**
     * Initializes the recording's event class now: the first requests of clients that connect at
     * once would otherwise have all but one reader wait, pinned to its carrier, while one of them
     * initializes it (milliseconds while a recording runs).
     */
    private static void initializeEventClass() {
        try {
            Class.forName(CommandEvent.class.getName(), true, CommandEvent.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e); // the class is this module's own
        }
    }

    /**
     * A builder with every setting at its default ({@link QmpServerConfig#DEFAULTS}).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds every listener and starts the threads. Any thread; once.
     *
     * @return this server
     * @throws IOException a listener cannot be bound (those already bound are closed again)
     * @throws IllegalStateException the server was started before
     */
    public QmpServer start() throws IOException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("server already started");
        }
        try {
            for (Endpoint e : config.listeners()) {
                listeners.add(Listener.bind(e, config.connectionThreads(e), this::admit, errors, config.tls()));
            }
        } catch (IOException e) {
            listeners.forEach(Listener::close);
            throw e;
        }
        monitorRunner.start();
        mainLoopRunner.start();
        initializeEventClass();
        listeners.forEach(Listener::start);
        return this;
    }

    /**
     * The configuration, as validated.
     *
     * @return the configuration
     */
    public QmpServerConfig config() {
        return config;
    }

    /**
     * The schema the server serves.
     *
     * @return the schema, built-in commands included
     */
    public Schema schema() {
        return schema;
    }

    /**
     * The bound endpoints.
     *
     * @return the endpoints in configuration order, with real TCP ports when port 0 was asked for;
     *     empty before {@link #start()}
     */
    public List<Endpoint> endpoints() {
        return listeners.stream().map(Listener::endpoint).toList();
    }

    /**
     * Emits events to clients.
     *
     * @return the server's events
     */
    public Events events() {
        return events;
    }

    /**
     * The big lock held by the main loop while an in-band handler runs. Take it from your own
     * threads to change state that in-band handlers read; never take it on the monitor thread.
     *
     * @return the lock
     */
    public ReentrantLock bql() {
        return mainLoop.bql();
    }

    /**
     * Runs {@code task} on the main loop with the BQL held, after the in-band work queued before
     * it. Any thread; returns at once (it waits only while the main loop's queue is full).
     *
     * @param task what to run; an exception it throws is logged
     */
    public void runInMainLoop(Runnable task) {
        while (!mainLoop.submit(task)) {
            Thread.onSpinWait();
        }
    }

    /** The connections open now, for tests that look at their threads. */
    List<Connection> openConnections() {
        return connections.snapshot();
    }

    /**
     * Connections currently open.
     *
     * @return the count now
     */
    public int connectionCount() {
        return connections.count();
    }

    /**
     * Times a connection's reader stopped reading because its in-band queue was full (back-pressure).
     *
     * @return the count so far
     */
    public long readerSuspensions() {
        return suspensions.sum();
    }

    /**
     * Connections refused because the server was full or closing.
     *
     * @return the count so far
     */
    public long refusedConnections() {
        return refusedConnections.sum();
    }

    /**
     * How much of the memory budget is in use now, and what it has done so far.
     *
     * @param inputUsed         bytes of the input budget reserved by large requests
     * @param outputQueued      bytes of output queued and not yet written, all connections
     * @param inputWaits        times a reader stopped reading to wait for input room
     * @param outputDisconnects connections closed because the output budget was used up
     */
    public record MemoryUse(long inputUsed, long outputQueued, long inputWaits, long outputDisconnects) {
    }

    /**
     * The memory budget's use and counters now. Any thread.
     *
     * @return a snapshot
     */
    public MemoryUse memoryUse() {
        return new MemoryUse(inputBudget.used(), outputBudget.queued(), inputBudget.waits(), outputBudget.disconnects());
    }

    /**
     * Errors the server's threads caught so far (handlers that threw, failed duty cycles, failed
     * connection threads, and those reported with {@link #reportError} or caught by
     * {@link #guard}); each also went to the {@link ErrorHandler}. Any thread.
     *
     * @return the count so far
     */
    public long errorCount() {
        return errors.count();
    }

    /**
     * Counts an error an embedder's own thread survived and passes it to the error handler. Any
     * thread; never blocks or throws.
     *
     * @param error what was caught
     */
    public void reportError(Throwable error) {
        errors.error(Thread.currentThread().getName(), Objects.requireNonNull(error));
    }

    /**
     * Wraps the whole body of a thread the product depends on (a simulated vCPU, a migration
     * stream): whatever escapes it is counted, reported to {@link ErrorHandler#onFatal} with
     * {@code thread}, and stops this server, so no part of the product dies silently while the
     * server answers on. The body should catch what it expects and can recover from.
     *
     * @param thread the thread's name, for the message
     * @param body   what the thread runs
     * @return a runnable to start the thread with
     */
    public Runnable guard(String thread, Runnable body) {
        return errors.guard(Objects.requireNonNull(thread), Objects.requireNonNull(body));
    }

    /**
     * The error that stopped the server because a thread could not continue, if any. Any thread.
     *
     * @return the error, or empty
     */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(errors.fatal());
    }

    /**
     * Out-of-band requests that found the monitor's queue full and had to wait.
     *
     * @return the count so far
     */
    public long failedOobOffers() {
        return monitor.failedOffers();
    }

    /** Accept thread: serves a new client, or refuses it when the server is full or closing. */
    private void admit(SocketChannel client, Endpoint endpoint, ConnectionThreads threads) {
        if (closed.get() || connections.count() >= config.maxConnections()) {
            refusedConnections.increment();
            LOG.log(System.Logger.Level.WARNING, "refusing a connection on " + endpoint + ": " + (closed.get() ? "server stopping"
                    : "the limit of " + config.maxConnections() + " connections is reached"));
            try {
                client.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "close failed", e);
            }
            return;
        }
        Connection c = new Connection(connectionIds.incrementAndGet(), client, endpoint, threads, services);
        connections.add(c);
        c.start();
    }

    /**
     * Disconnects every client once what is queued for it is written, keeping the listeners
     * open (a proxy whose upstream went away). Answers still to come are dropped. Any thread;
     * never blocks.
     *
     * @param reason why, for the log
     */
    public void disconnectClients(String reason) {
        for (Connection c : connections.snapshot()) {
            c.closeWhenFlushed(reason);
        }
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

    /**
     * Collects a server's commands and settings; {@link #build()} checks them all before any
     * thread exists. Each setting starts at its default in {@link QmpServerConfig#DEFAULTS}. Not
     * thread-safe: use from one thread.
     *
     * <p>Commands come two ways: declared in a QAPI schema ({@link #schemaFile},
     * {@link #schemaResource}, {@link #schema}) with their handlers set by {@link #handler}, or
     * declared in Java together with their handler by {@link #command(Declaration, CommandHandler)}.
     */
    public static final class Builder {
        private static final QmpServerConfig D = QmpServerConfig.DEFAULTS;

        private final List<Endpoint> listeners = new ArrayList<>();
        private final Set<Endpoint> platformListeners = new LinkedHashSet<>();
        private final List<Path> schemaFiles = new ArrayList<>();
        private final List<String> schemaResources = new ArrayList<>();
        private final List<Schema> schemas = new ArrayList<>();
        private final List<Declaration> declarations = new ArrayList<>();
        private final List<String> defaultSchemaResources = new ArrayList<>();
        private final Set<String> defines = new LinkedHashSet<>();
        private final List<Path> defineFiles = new ArrayList<>();
        private final Map<String, CommandHandler> handlers = new LinkedHashMap<>();
        private CommandHandler fallback;
        private RequestForwarder forwarder;
        private Dialect dialect = D.dialect();
        private QmpServerConfig.Version version = D.version();
        private int maxPendingInband = D.maxPendingInband();
        private int oobPlatformConnections = D.oobPlatformConnections();
        private int maxConnections = D.maxConnections();
        private long maxOutputBacklog = D.maxOutputBacklog();
        private int oobQueueCapacity = D.oobQueueCapacity();
        private Supplier<IdleStrategy> monitorIdle = D.monitorIdle();
        private Supplier<IdleStrategy> mainLoopIdle = D.mainLoopIdle();
        private boolean offerOob = D.offerOob();
        private boolean pretty = D.pretty();
        private boolean unmaskSchema = D.unmaskSchema();
        private List<Events.Throttle> throttles = D.throttles();
        /** Null until set: then the default is what fits the memory budget ({@link QmpServerConfig.JsonLimits#fitting}). */
        private QmpServerConfig.JsonLimits jsonLimits;
        private boolean xOobTest = D.xOobTest();
        private boolean checkAnswers = D.checkAnswers();
        private QmpServerConfig.MemoryBudget memoryBudget = D.memoryBudget();
        private ErrorHandler errorHandler = ErrorHandler.logging();
        private TlsCredentials tlsCredentials;
        private List<String> tlsAuthz = List.of();
        private Duration tlsHandshakeTimeout = QmpServerConfig.Tls.DEFAULT_HANDSHAKE_TIMEOUT;
        private ThreadPlacement threadPlacement = D.threadPlacement();

        private Builder() {
        }

        /**
         * Adds a listener.
         *
         * @param endpoint where to listen
         * @return this builder
         */
        public Builder listen(Endpoint endpoint) {
            listeners.add(Objects.requireNonNull(endpoint, "endpoint"));
            return this;
        }

        /**
         * Adds a listener.
         *
         * @param endpoint {@code unix:PATH} or {@code tcp:HOST:PORT} (port 0: any free port)
         * @return this builder
         * @throws IllegalArgumentException the endpoint cannot be parsed
         */
        public Builder listen(String endpoint) {
            return listen(Endpoint.parse(endpoint));
        }

        /**
         * Adds a listener whose connections are served by {@code threads}: {@link
         * ConnectionThreads#PLATFORM} for a management socket whose few clients' out-of-band
         * answers must not wait behind other connections for a carrier thread.
         *
         * @param endpoint where to listen
         * @param threads  the kind of reader and writer thread of each of its connections
         * @return this builder
         */
        public Builder listen(Endpoint endpoint, ConnectionThreads threads) {
            listen(endpoint);
            if (Objects.requireNonNull(threads, "threads") == ConnectionThreads.PLATFORM) {
                platformListeners.add(endpoint);
            }
            return this;
        }

        /**
         * How many connections of virtual-thread listeners may move to platform threads at once:
         * a connection moves when it sends its first {@code exec-oob} and a place is free, and
         * keeps its platform reader and writer until it closes. Out-of-band clients are the
         * control clients whose answers must come first, and under load a virtual thread waits for
         * a carrier behind every runnable reader and writer of the server, while the operating
         * system runs a woken platform thread soon. Each moved connection costs two platform
         * threads. Default 16; 0 keeps every connection on virtual threads.
         *
         * @param connections at most this many moved connections at once, 0 to {@code maxConnections}
         * @return this builder
         */
        public Builder oobPlatformConnections(int connections) {
            this.oobPlatformConnections = connections;
            return this;
        }

        /**
         * Adds a listener whose connections are served by {@code threads}.
         *
         * @param endpoint {@code unix:PATH} or {@code tcp:HOST:PORT} (port 0: any free port)
         * @param threads  the kind of reader and writer thread of each of its connections
         * @return this builder
         * @throws IllegalArgumentException the endpoint cannot be parsed
         */
        public Builder listen(String endpoint, ConnectionThreads threads) {
            return listen(Endpoint.parse(endpoint), threads);
        }

        /**
         * Adds a QAPI schema file. Its definitions replace the built-in (and handler-provided)
         * definitions of the same names; if it declares {@code qmp_capabilities} it is a whole
         * QMP schema, such as QEMU's, and those definitions are not used at all. The built-in
         * handlers and those registered for default declarations then serve the commands it
         * declares, if their arguments fit (checked by {@link #build()}).
         *
         * @param file the schema file
         * @return this builder
         */
        public Builder schemaFile(Path file) {
            schemaFiles.add(Objects.requireNonNull(file, "file"));
            return this;
        }

        /**
         * Adds a QAPI schema from the class path, e.g. {@code com/example/app.json}. On the module
         * path, a resource in a named module must be in a package that module opens.
         *
         * @param resource the resource name, without a leading {@code /}
         * @return this builder
         */
        public Builder schemaResource(String resource) {
            schemaResources.add(Objects.requireNonNull(resource, "resource"));
            return this;
        }

        /**
         * Adds a schema built in Java ({@link Schema#builder()}).
         *
         * @param schema the schema
         * @return this builder
         */
        public Builder schema(Schema schema) {
            schemas.add(Objects.requireNonNull(schema, "schema"));
            return this;
        }

        /**
         * Declares a command in Java together with its handler: one place for both, checked by
         * {@link #build()} with exactly the rules of a schema file.
         *
         * <pre>{@code
         * .command(Declaration.command("set-speed").member("rpm", "int").returns("Speed").build(),
         *          ctx -> new Speed(ctx.argumentsAs(SetSpeed.class).rpm()))
         * }</pre>
         *
         * @param command a command declaration ({@link Declaration#command(String)})
         * @param handler its handler
         * @return this builder
         * @throws IllegalArgumentException the declaration is not a command, or a handler is set
         *     for that name already
         */
        public Builder command(Declaration command, CommandHandler handler) {
            Objects.requireNonNull(handler, "handler");
            if (!(command.expression().get("command") instanceof String name)) {
                throw new IllegalArgumentException("not a command declaration: " + command);
            }
            if (handlers.containsKey(name)) {
                throw new IllegalArgumentException("command " + name + " has a handler already");
            }
            declarations.add(command);
            handlers.put(name, handler);
            return this;
        }

        /**
         * Declares a type or an event in Java (a struct, an enum, ... that a command uses), checked
         * by {@link #build()} with exactly the rules of a schema file.
         *
         * @param declaration any declaration; a command declared this way needs {@link #handler}
         * @return this builder
         */
        public Builder declare(Declaration declaration) {
            declarations.add(Objects.requireNonNull(declaration, "declaration"));
            return this;
        }

        /**
         * Adds a schema resource that declares what handlers registered with it implement (as
         * the simulated machine's does): a default, which the schemas given with
         * {@link #schemaFile}, {@link #schemaResource} and {@link #schema} override. A handler
         * registered for a command a default declares is taken to be written for that
         * declaration: another declaration of the command must fit it; a handler for a command
         * that only a replaced default declares is not used.
         *
         * @param resource the resource name, e.g. {@code io/jqmp/machine/machine.json}
         * @return this builder
         */
        public Builder defaultSchemaResource(String resource) {
            defaultSchemaResources.add(resource);
            return this;
        }

        /**
         * Defines a name for schema {@code if} conditions.
         *
         * @param name e.g. {@code CONFIG_VNC}
         * @return this builder
         */
        public Builder define(String name) {
            defines.add(Objects.requireNonNull(name, "name"));
            return this;
        }

        /**
         * Defines the names a file lists, one a line ({@code #} starts a comment); read by
         * {@link #build()}.
         *
         * @param file the define file
         * @return this builder
         */
        public Builder defineFile(Path file) {
            defineFiles.add(Objects.requireNonNull(file, "file"));
            return this;
        }

        /**
         * Sets the handler of a command a schema declares.
         *
         * @param command the command's name
         * @param handler its handler
         * @return this builder
         */
        public Builder handler(String command, CommandHandler handler) {
            handlers.put(Objects.requireNonNull(command, "command"), Objects.requireNonNull(handler, "handler"));
            return this;
        }

        /**
         * Answers schema commands that have no handler of their own (otherwise {@link #build()}
         * rejects them).
         *
         * @param handler the handler for all of them
         * @return this builder
         */
        public Builder fallbackHandler(CommandHandler handler) {
            this.fallback = handler;
            return this;
        }

        /**
         * Hands every request of a client that negotiated to {@code forwarder}, to be answered
         * asynchronously (a proxy, a mock): the server then answers negotiation and malformed
         * requests itself and nothing else; see {@link RequestForwarder}. Only with
         * {@link Dialect#CURRENT}.
         * @param forwarder takes every request in command mode
         * @return this builder
         */
        public Builder forwarder(RequestForwarder forwarder) {
            this.forwarder = Objects.requireNonNull(forwarder, "forwarder");
            return this;
        }

        /**
         * The protocol form (default {@link Dialect#CURRENT}).
         *
         * @param dialect the dialect
         * @return this builder
         */
        public Builder dialect(Dialect dialect) {
            this.dialect = dialect;
            return this;
        }

        /**
         * The version in the greeting and {@code query-version} (default
         * {@link QmpServerConfig.Version#DEFAULT}).
         *
         * @param version the version
         * @return this builder
         */
        public Builder version(QmpServerConfig.Version version) {
            this.version = version;
            return this;
        }

        /**
         * In-band requests a client may have waiting before its reader stops reading (default 8,
         * as QEMU).
         *
         * @param n 1 to 65536
         * @return this builder
         */
        public Builder maxPendingInband(int n) {
            this.maxPendingInband = n;
            return this;
        }

        /**
         * Connections served at once over all listeners (default 4096); more are refused.
         *
         * @param n 1 to 2^20
         * @return this builder
         */
        public Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        /**
         * Unread output a client may have before it is disconnected (default 16 MiB).
         *
         * @param bytes at least 64 KiB
         * @return this builder
         */
        public Builder maxOutputBacklog(long bytes) {
            this.maxOutputBacklog = bytes;
            return this;
        }

        /**
         * Out-of-band requests that may wait for the monitor thread (default 4096); a reader
         * that finds the queue full waits.
         *
         * @param n 2 to 2^24
         * @return this builder
         */
        public Builder oobQueueCapacity(int n) {
            this.oobQueueCapacity = n;
            return this;
        }

        /**
         * The monitor thread's idle strategy (default {@link IdleStrategy#park()}).
         *
         * @param idle makes the strategy, once, when the server is built
         * @return this builder
         */
        public Builder monitorIdleStrategy(Supplier<IdleStrategy> idle) {
            this.monitorIdle = idle;
            return this;
        }

        /**
         * The main loop's idle strategy (default {@link IdleStrategy#park()}).
         *
         * @param idle makes the strategy, once, when the server is built
         * @return this builder
         */
        public Builder mainLoopIdleStrategy(Supplier<IdleStrategy> idle) {
            this.mainLoopIdle = idle;
            return this;
        }

        /**
         * Places the {@code monitor} and {@code main-loop} threads when they start (default
         * {@link ThreadPlacement#NONE}), e.g. on CPUs of their own.
         *
         * @param placement called on each of the two threads as it starts
         * @return this builder
         */
        public Builder threadPlacement(ThreadPlacement placement) {
            this.threadPlacement = placement;
            return this;
        }

        /**
         * Whether the greeting offers the {@code oob} capability (default true).
         *
         * @param offer false for a server without out-of-band execution
         * @return this builder
         */
        public Builder offerOob(boolean offer) {
            this.offerOob = offer;
            return this;
        }

        /**
         * Pretty-printed output, as QEMU's {@code pretty=on} (default false).
         *
         * @param pretty true to indent
         * @return this builder
         */
        public Builder pretty(boolean pretty) {
            this.pretty = pretty;
            return this;
        }

        /**
         * Whether {@code query-qmp-schema} shows real type names instead of numbers (default false).
         *
         * @param unmask true for real names
         * @return this builder
         */
        public Builder unmaskSchema(boolean unmask) {
            this.unmaskSchema = unmask;
            return this;
        }

        /**
         * Whether QEMU's test command {@code x-oob-test} exists (default false). With {@code lock:
         * true} it holds the main loop until an out-of-band {@code lock: false} arrives, from any
         * client: useful for tests and benchmarks of out-of-band execution, dangerous in
         * production. {@code jqmp serve} turns it on.
         *
         * @param enabled true to add the command
         * @return this builder
         */
        public Builder xOobTest(boolean enabled) {
            this.xOobTest = enabled;
            return this;
        }

        /**
         * Checks every command result and every event against its schema declaration (default
         * false), for tests and development: a result that does not match is logged as an error
         * and answered with a {@code GenericError} naming the mismatch; an event that does not
         * match makes {@link Events#emit} throw.
         *
         * @param check true to check
         * @return this builder
         */
        public Builder checkAnswers(boolean check) {
            this.checkAnswers = check;
            return this;
        }

        /**
         * Input limits per JSON value (default: {@link QmpServerConfig.JsonLimits#QEMU}, or
         * {@link QmpServerConfig.JsonLimits#fitting smaller ones} when the memory budget's input
         * is below 512 MiB). A request at the limits must fit the input budget.
         *
         * @param limits the limits
         * @return this builder
         */
        public Builder jsonLimits(QmpServerConfig.JsonLimits limits) {
            this.jsonLimits = limits;
            return this;
        }

        /**
         * The key and certificate the {@code tls:} listeners present, and with verify-peer the CA
         * that client certificates must chain to (see {@link TlsCredentials}); needed when a
         * listener is {@code tls:HOST:PORT}, refused otherwise.
         *
         * @param credentials server-side credentials
         * @return this builder
         */
        public Builder tls(TlsCredentials credentials) {
            this.tlsCredentials = Objects.requireNonNull(credentials);
            return this;
        }

        /**
         * Serves only TLS clients whose certificate names one of {@code names} (QEMU's
         * {@code tls-authz}; see {@link QmpServerConfig.Tls#authz()}). Needs verify-peer.
         *
         * @param names distinguished names or bare common names; empty for no allow-list
         * @return this builder
         */
        public Builder tlsAuthz(List<String> names) {
            this.tlsAuthz = List.copyOf(names);
            return this;
        }

        /**
         * How long a TLS client may take for its handshake (default
         * {@link QmpServerConfig.Tls#DEFAULT_HANDSHAKE_TIMEOUT}).
         *
         * @param timeout a positive duration
         * @return this builder
         */
        public Builder tlsHandshakeTimeout(Duration timeout) {
            this.tlsHandshakeTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /**
         * Where errors caught on the server's threads go (default: {@link ErrorHandler#logging()}).
         * They are counted whatever the handler does ({@link QmpServer#errorCount()}).
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder errorHandler(ErrorHandler handler) {
            this.errorHandler = Objects.requireNonNull(handler);
            return this;
        }

        /**
         * Heap all clients together may hold with requests being read and answered, and with
         * unread output (default: {@link QmpServerConfig.MemoryBudget#ofHeap()}, a quarter of the
         * maximum heap each).
         *
         * @param budget the budget
         * @return this builder
         */
        public Builder memoryBudget(QmpServerConfig.MemoryBudget budget) {
            this.memoryBudget = Objects.requireNonNull(budget);
            return this;
        }

        /**
         * Rate-limited events (default {@link Events#QEMU_THROTTLES}).
         *
         * @param throttles the table; empty for none
         * @return this builder
         */
        public Builder throttles(List<Events.Throttle> throttles) {
            this.throttles = List.copyOf(throttles);
            return this;
        }

        /**
         * The configuration as set so far, not yet validated.
         *
         * @return the configuration {@link #build()} would check
         * @throws IllegalArgumentException TLS settings that do not go together
         */
        public QmpServerConfig config() {
            if (tlsCredentials == null && !tlsAuthz.isEmpty()) {
                throw new IllegalArgumentException("a tls-authz list needs TLS credentials: tls(...)");
            }
            QmpServerConfig.Tls tls = tlsCredentials == null ? null
                    : new QmpServerConfig.Tls(tlsCredentials, tlsAuthz, tlsHandshakeTimeout);
            QmpServerConfig.JsonLimits limits = jsonLimits != null ? jsonLimits
                    : QmpServerConfig.JsonLimits.fitting(memoryBudget.input());
            return new QmpServerConfig(List.copyOf(listeners), dialect, version, maxPendingInband, maxConnections,
                    maxOutputBacklog, oobQueueCapacity, monitorIdle, mainLoopIdle, offerOob, pretty, unmaskSchema,
                    throttles, limits, xOobTest, checkAnswers, Set.copyOf(platformListeners), oobPlatformConnections,
                    threadPlacement,
                    memoryBudget, tls);
        }

        /**
         * Validates everything ({@link QmpServerConfig#validate()}, the schemas, a handler for
         * every command) and creates the server: no thread started, nothing bound.
         *
         * @return the server; {@link QmpServer#start()} starts it
         * @throws IllegalArgumentException naming what to fix
         * @throws UncheckedIOException when a schema file cannot be read
         */
        public QmpServer build() {
            QmpServerConfig config = config().validate();
            if (forwarder != null && dialect != Dialect.CURRENT) {
                throw new IllegalArgumentException("a forwarder works with dialect CURRENT only, not " + dialect);
            }
            Set<String> allDefines = new LinkedHashSet<>(defines);
            allDefines.forEach(Defines::check);
            if (dialect == Dialect.V2_12) {
                allDefines.add(BuiltinCommands.DIALECT_2_12_DEFINE);
            }
            if (xOobTest) {
                allDefines.add(BuiltinCommands.X_OOB_TEST_DEFINE);
            }
            SchemaAssembly.Assembled assembled = SchemaAssembly.assemble(allDefines, defineFiles, schemaFiles,
                    schemaResources, declarations, schemas, defaultSchemaResources);
            Schema schema = assembled.served();
            Map<String, CommandHandler> bound = new LinkedHashMap<>();
            for (Map.Entry<String, CommandHandler> e : handlers.entrySet()) {
                if (BuiltinCommands.NAMES.contains(e.getKey())) {
                    throw new IllegalArgumentException("'" + e.getKey() + "' is a built-in command; it cannot have"
                            + " another handler");
                }
                if (schema.command(e.getKey()).isPresent()) {
                    bound.put(e.getKey(), e.getValue());
                } else if (SchemaAssembly.declaredByDefault(assembled, e.getKey())) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "the schema does not declare '" + e.getKey()
                            + "': its handler is not used");
                } else {
                    throw new IllegalArgumentException("handler for '" + e.getKey() + "', which no schema declares"
                            + " (or whose 'if' condition is not defined)");
                }
            }
            List<String> missing = new ArrayList<>();
            Set<String> handled = new LinkedHashSet<>();
            for (String name : SchemaAssembly.commandNames(schema)) {
                if (bound.containsKey(name) || BuiltinCommands.NAMES.contains(name)) {
                    handled.add(name);
                } else if (fallback != null) {
                    bound.put(name, fallback);
                } else {
                    missing.add(name);
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("schema commands without a handler: " + String.join(", ", missing)
                        + " (add handler(name, ...) or fallbackHandler(...))");
            }
            SchemaAssembly.checkHandlers(assembled, handled);
            return new QmpServer(config, schema, bound, errorHandler, forwarder);
        }
    }
}
