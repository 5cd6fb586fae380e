package io.jqmp.server;

import io.jqmp.internal.wire.JsonStreamer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Everything a {@link QmpServer} is configured with. Every default is in {@link #DEFAULTS} and
 * every rule in {@link #validate()}, which {@link QmpServer.Builder#build()} runs before any
 * thread starts or any socket is bound. Immutable.
 *
 * @param listeners        sockets to listen on (at least one, none twice)
 * @param dialect          protocol form
 * @param version          the greeting's and {@code query-version}'s version
 * @param maxPendingInband in-band requests a connection may have waiting before its reader stops
 *                         reading (QEMU: 8)
 * @param maxConnections   connections served at once over all listeners; more are refused
 * @param maxOutputBacklog bytes of unread output a client may have before it is disconnected
 * @param oobQueueCapacity out-of-band requests that may wait for the monitor thread
 * @param monitorIdle      the monitor thread's idle strategy (asked once, for its thread)
 * @param mainLoopIdle     the main loop's idle strategy (asked once, for its thread)
 * @param offerOob         whether the greeting offers the {@code oob} capability
 * @param pretty           pretty-printed output, as QEMU's {@code pretty=on}
 * @param unmaskSchema     {@code query-qmp-schema} shows real type names instead of numbers
 * @param throttles        rate-limited events (QEMU's table by default)
 * @param jsonLimits       the input limits of each connection's JSON streamer (QEMU's by default, or
 *                         smaller ones when the input budget could not hold a request at QEMU's
 *                         limits: {@link JsonLimits#fitting})
 * @param xOobTest         whether QEMU's {@code x-oob-test} command exists; it lets any client hold
 *                         the main loop, so it is off unless asked for (tests, benchmarks,
 *                         {@code jqmp serve})
 * @param checkAnswers     whether every command result and event is checked against its schema
 *                         declaration, for tests and development: a misfit is logged as an error
 *                         and answered as a {@code GenericError} (results), or thrown to the emitter
 *                         (events)
 * @param platformListeners listeners (among {@code listeners}) whose connections are served by
 *                         platform threads ({@link ConnectionThreads#PLATFORM}); the others use
 *                         virtual threads
 * @param oobPlatformConnections connections of virtual-thread listeners that move to platform
 *                         threads when they send their first {@code exec-oob}, at most this many at
 *                         once (0: none). A client that uses out-of-band execution is a control
 *                         client whose answers must not queue for a carrier thread behind every
 *                         other connection's reader and writer; the operating system runs a
 *                         platform thread soon after it wakes
 * @param threadPlacement  places the {@code monitor} and {@code main-loop} threads when they start
 * @param memoryBudget     heap all clients together may hold (a quarter of the maximum heap each
 *                         for input and for output by default)
 * @param tls              TLS for the {@code tls:} listeners, or null when there are none
 */
public record QmpServerConfig(
        List<Endpoint> listeners,
        Dialect dialect,
        Version version,
        int maxPendingInband,
        int maxConnections,
        long maxOutputBacklog,
        int oobQueueCapacity,
        Supplier<IdleStrategy> monitorIdle,
        Supplier<IdleStrategy> mainLoopIdle,
        boolean offerOob,
        boolean pretty,
        boolean unmaskSchema,
        List<Events.Throttle> throttles,
        JsonLimits jsonLimits,
        boolean xOobTest,
        boolean checkAnswers,
        Set<Endpoint> platformListeners,
        int oobPlatformConnections,
        ThreadPlacement threadPlacement,
        MemoryBudget memoryBudget,
        Tls tls) {

    /**
     * The defaults, the only place they are written: no listener, {@link Dialect#CURRENT},
     * {@link Version#DEFAULT}, 8 pending in-band requests, 4096 connections, 16 MiB of output
     * backlog, 4096 queued out-of-band requests, parking idle strategies, {@code oob} offered,
     * compact output, masked schema, QEMU's event throttles, QEMU's JSON limits unless the input
     * budget is too small for them, no {@code x-oob-test}, no answer checks, every listener on
     * virtual threads with up to 16 out-of-band clients moved to platform threads, no thread placement, a memory budget of a quarter of the maximum heap each
     * for input and output, no TLS.
     */
    public static final QmpServerConfig DEFAULTS = new QmpServerConfig(List.of(), Dialect.CURRENT, Version.DEFAULT,
            8, 4096, 16L << 20, 4096, IdleStrategy::park, IdleStrategy::park, true, false, false,
            Events.QEMU_THROTTLES, JsonLimits.fitting(MemoryBudget.ofHeap().input()), false, false, Set.of(), 16,
            ThreadPlacement.NONE, MemoryBudget.ofHeap(), null);

    /** The most in-band requests the main loop's queue may have to hold at once. */
    static final long MAX_QUEUED_INBAND = 1L << 26;

    /**
     * Checks every limit and option together. Thread-safe; starts nothing.
     *
     * @return this configuration
     * @throws IllegalArgumentException naming the first setting to fix and the allowed values
     */
    public QmpServerConfig validate() {
        Objects.requireNonNull(listeners, "listeners");
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException(
                    "no listener: add one with listen(\"unix:PATH\") or listen(\"tcp:HOST:PORT\")");
        }
        if (new HashSet<>(listeners).size() != listeners.size()) {
            throw new IllegalArgumentException("a listener is given twice: " + listeners);
        }
        Objects.requireNonNull(dialect, "dialect");
        Objects.requireNonNull(version, "version");
        if (version.major() < 0 || version.minor() < 0 || version.micro() < 0 || version.packageName() == null) {
            throw new IllegalArgumentException("version numbers must not be negative and the package must be"
                    + " given (\"\" for none), got " + version);
        }
        requireRange("maxPendingInband", maxPendingInband, 1, 1 << 16);
        requireRange("maxConnections", maxConnections, 1, 1 << 20);
        if ((long) maxConnections * maxPendingInband > MAX_QUEUED_INBAND) {
            throw new IllegalArgumentException("maxConnections × maxPendingInband must be at most "
                    + MAX_QUEUED_INBAND + " (the main loop's queue holds that many), got " + maxConnections + " × "
                    + maxPendingInband);
        }
        requireRange("maxOutputBacklog", maxOutputBacklog, 64 * 1024, 1L << 40);
        requireRange("oobQueueCapacity", oobQueueCapacity, 2, 1 << 24);
        Objects.requireNonNull(monitorIdle, "monitorIdle");
        Objects.requireNonNull(mainLoopIdle, "mainLoopIdle");
        Objects.requireNonNull(throttles, "throttles");
        Set<String> throttled = new HashSet<>();
        for (Events.Throttle t : throttles) {
            if (t.event() == null || t.period() == null || t.period().isNegative() || t.period().isZero()) {
                throw new IllegalArgumentException("a throttle needs an event and a positive period, got " + t);
            }
            if (!throttled.add(t.event())) {
                throw new IllegalArgumentException("event " + t.event() + " is throttled twice");
            }
        }
        Objects.requireNonNull(jsonLimits, "jsonLimits");
        requireRange("jsonLimits.maxTokenSize", jsonLimits.maxTokenSize(), 1, JsonStreamer.MAX_TOKEN_SIZE);
        requireRange("jsonLimits.maxTokenCount", jsonLimits.maxTokenCount(), 1, JsonStreamer.MAX_TOKEN_COUNT);
        requireRange("jsonLimits.maxNesting", jsonLimits.maxNesting(), 1, JsonStreamer.MAX_NESTING);
        Objects.requireNonNull(platformListeners, "platformListeners");
        if (!listeners.containsAll(platformListeners)) {
            throw new IllegalArgumentException("platform-thread listeners must be among the listeners, got "
                    + platformListeners + " for " + listeners);
        }
        requireRange("oobPlatformConnections", oobPlatformConnections, 0, 1 << 20);
        Objects.requireNonNull(threadPlacement, "threadPlacement");
        Objects.requireNonNull(memoryBudget, "memoryBudget");
        if (jsonLimits.maxRequestCost() > memoryBudget.input()) {
            throw new IllegalArgumentException("a request at the JSON limits (" + jsonLimits.maxTokenSize() + " bytes, "
                    + jsonLimits.maxTokenCount() + " tokens) costs " + jsonLimits.maxRequestCost() + " bytes, more than "
                    + "the input budget of " + memoryBudget.input() + " bytes: such a request could never be read; "
                    + "lower jsonLimits (JsonLimits.fitting(budget) fits) or raise memoryBudget (or the heap)");
        }
        boolean tlsListener = listeners.stream().anyMatch(e -> e instanceof Endpoint.Tls);
        if (tlsListener && tls == null) {
            throw new IllegalArgumentException("a tls: listener needs TLS credentials: tls(TlsCredentials.fromDirectory(...))");
        }
        if (!tlsListener && tls != null) {
            throw new IllegalArgumentException("TLS credentials or a tls-authz list are given, but no listener is "
                    + "tls:HOST:PORT");
        }
        return this;
    }

    /**
     * TLS on the {@code tls:} listeners, as QEMU's {@code tls-creds-x509} and {@code tls-authz}.
     *
     * @param credentials      the server's key and certificate, and with {@code verifyPeer} the CA
     *                         client certificates must chain to
     * @param authz            when not empty, only clients whose certificate's subject is one of
     *                         these are served: a distinguished name as RFC 4514 writes it
     *                         ({@code CN=admin,O=Example}, matched as X.500 names match), or a
     *                         bare common name ({@code admin}); needs {@code verifyPeer}
     * @param handshakeTimeout how long a client may take to complete the handshake
     */
    public record Tls(TlsCredentials credentials, List<String> authz, Duration handshakeTimeout) {
        /** Default for {@code handshakeTimeout}: 10 s. */
        public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

        /**
         * Checks the settings together.
         *
         * @throws IllegalArgumentException client-side credentials, an allow-list without
         *                                  verify-peer, an entry that is not a name, or a timeout
         *                                  that is not positive
         */
        public Tls {
            Objects.requireNonNull(credentials, "credentials");
            authz = List.copyOf(authz);
            TlsAuthz.validate(authz);
            if (credentials.side() != TlsCredentials.Side.SERVER) {
                throw new IllegalArgumentException("a server needs TLS credentials for the server side, got " + credentials);
            }
            if (!authz.isEmpty() && !credentials.verifyPeer()) {
                throw new IllegalArgumentException("a TLS allow-list of client names (tls-authz) needs client "
                        + "certificates: turn verify-peer on");
            }
            if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
                throw new IllegalArgumentException("the TLS handshake timeout must be positive, got " + handshakeTimeout);
            }
        }
    }

    /**
     * Heap the server lets all its clients together hold, on top of what each connection needs for
     * itself (buffers, threads: tens of KiB).
     *
     * <p><b>Input</b>: requests on their way in, from their first byte until they are answered.
     * One is counted at {@value #BYTE_COST} bytes per input byte and {@value #TOKEN_COST} bytes
     * per JSON token, which covers its bytes while it is read and what parsing makes of it (a
     * string's characters; maps, lists and numbers). Requests that cost at most
     * {@value #SMALL_REQUEST} bytes are not counted and never wait: a client sending ordinary
     * commands, out-of-band ones above all, is never held up by others' large requests. When the
     * budget is used up, a reader that needs more stops reading its client until others' requests
     * are answered or fail; after {@code inputWait} without room its connection is closed.
     *
     * <p><b>Output</b>: answers and events queued and not yet written, over all connections.
     * When a message takes the sum over the budget, the connection holding the most unread output
     * is closed (each connection is also bounded on its own by {@code maxOutputBacklog}).
     *
     * @param input     bytes of input, as counted above, all connections together
     * @param output    bytes of unread output, all connections together
     * @param inputWait how long a reader waits for room in the input budget before its connection
     *                  is closed
     */
    public record MemoryBudget(long input, long output, Duration inputWait) {
        /** Input budget cost of one byte of a request: the byte itself and its decoded text. */
        public static final long BYTE_COST = 2;
        /** Input budget cost of one JSON token: token tables and the Java objects parsing makes. */
        public static final long TOKEN_COST = 64;
        /** Requests that cost at most this much are not counted against the input budget. */
        public static final long SMALL_REQUEST = 16 * 1024;

        /**
         * Checks the budget.
         *
         * @throws IllegalArgumentException a budget below 1 MiB or a wait that is not positive
         */
        public MemoryBudget {
            if (input < 1L << 20 || output < 1L << 20) {
                throw new IllegalArgumentException("memory budgets must be at least 1 MiB each, got input " + input
                        + " and output " + output);
            }
            if (inputWait == null || inputWait.isNegative() || inputWait.isZero()) {
                throw new IllegalArgumentException("inputWait must be positive, got " + inputWait);
            }
        }

        /**
         * What a request costs against the input budget.
         *
         * @param bytes  its bytes so far
         * @param tokens its JSON tokens so far
         * @return {@link #BYTE_COST} per byte plus {@link #TOKEN_COST} per token
         */
        public static long cost(long bytes, long tokens) {
            return BYTE_COST * bytes + TOKEN_COST * tokens;
        }

        /**
         * The default: a quarter of this JVM's maximum heap for each budget, and 10 s of waiting
         * for input room.
         *
         * @return the budget
         */
        public static MemoryBudget ofHeap() {
            return ofHeap(Runtime.getRuntime().maxMemory());
        }

        /**
         * A quarter of {@code maxHeap} for each budget (at least 1 MiB), and 10 s of waiting for
         * input room.
         *
         * @param maxHeap a heap size in bytes
         * @return the budget
         */
        public static MemoryBudget ofHeap(long maxHeap) {
            long quarter = Math.max(1L << 20, maxHeap / 4);
            return new MemoryBudget(quarter, quarter, Duration.ofSeconds(10));
        }
    }

    /**
     * The threads that serve connections accepted on one of the listeners.
     *
     * @param listener one of {@link #listeners()}
     * @return {@link ConnectionThreads#PLATFORM} for a platform-thread listener, else virtual
     */
    public ConnectionThreads connectionThreads(Endpoint listener) {
        return platformListeners.contains(listener) ? ConnectionThreads.PLATFORM : ConnectionThreads.VIRTUAL;
    }

    private static void requireRange(String name, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    /**
     * Input limits, as QEMU's JSON streamer has them; exceeding one is answered with QEMU's
     * error text. {@link QmpServerConfig#validate()} checks the ranges.
     *
     * @param maxTokenSize  bytes of one value and of one token (1 to 512 MiB)
     * @param maxTokenCount tokens of one value (1 to 2^31-65)
     * @param maxNesting    open braces plus open brackets (1 to 1024, QEMU's own limit)
     */
    public record JsonLimits(long maxTokenSize, long maxTokenCount, int maxNesting) {
        /** QEMU's limits: 64 MiB, 2 Mi tokens, depth 1024. */
        public static final JsonLimits QEMU = new JsonLimits(JsonStreamer.DEFAULT_MAX_TOKEN_SIZE,
                JsonStreamer.DEFAULT_MAX_TOKEN_COUNT, JsonStreamer.DEFAULT_MAX_NESTING);

        /**
         * QEMU's limits, or smaller ones (powers of two) when a request at QEMU's limits would cost
         * more than three quarters of {@code inputBudget}: a small heap cannot hold a 64 MiB request
         * and its parsed form, so it should not promise to read one.
         *
         * @param inputBudget the input budget in bytes ({@link MemoryBudget#input()})
         * @return limits whose {@link #maxRequestCost()} fits the budget
         */
        public static JsonLimits fitting(long inputBudget) {
            long size = QEMU.maxTokenSize;
            long count = QEMU.maxTokenCount;
            while (size > 4096 && MemoryBudget.BYTE_COST * size > inputBudget / 2) {
                size >>= 1;
            }
            while (count > 1024 && MemoryBudget.TOKEN_COST * count > inputBudget / 4) {
                count >>= 1;
            }
            return new JsonLimits(size, count, QEMU.maxNesting);
        }

        /**
         * What the largest request these limits allow costs against the input budget.
         *
         * @return {@link MemoryBudget#cost} of a request at the size limit with as many tokens as
         *         the count limit (and its size) allow
         */
        public long maxRequestCost() {
            return MemoryBudget.cost(maxTokenSize, Math.min(maxTokenCount, maxTokenSize));
        }
    }

    /**
     * The version a server reports: QEMU's VersionInfo.
     *
     * @param major       e.g. 7
     * @param minor       e.g. 2
     * @param micro       e.g. 0
     * @param packageName free text, e.g. {@code "jqmp 0.1.0"}
     */
    public record Version(long major, long minor, long micro, String packageName) {
        /** 7.2.0, {@code "jqmp 0.1.0"}. */
        public static final Version DEFAULT = new Version(7, 2, 0, "jqmp 0.1.0");
    }
}
