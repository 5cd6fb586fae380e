package io.jqmp.server;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Everything a {@link QmpServer} is configured with, validated by {@link QmpServer.Builder#build()}
 * before any thread starts. Immutable.
 *
 * @param listeners         sockets to listen on (at least one)
 * @param dialect           protocol form; default {@link Dialect#CURRENT}
 * @param version           the greeting's and {@code query-version}'s version; default 7.2.0
 * @param maxPendingInband  in-band requests a connection may have waiting before its reader stops
 *                          reading (QEMU: 8)
 * @param maxConnections    connections served at once over all listeners; more are refused
 * @param maxOutputBacklog  bytes of unread output a client may have before it is disconnected
 * @param oobQueueCapacity  out-of-band requests that may wait for the monitor thread
 * @param monitorIdle       the monitor thread's idle strategy (a new one per thread)
 * @param mainLoopIdle      the main loop's idle strategy
 * @param offerOob          whether the greeting offers the {@code oob} capability
 * @param pretty            pretty-printed output, as QEMU's {@code pretty=on}
 * @param unmaskSchema      {@code query-qmp-schema} shows real type names instead of numbers
 * @param throttles         rate-limited events (default: QEMU's table)
 * @param jsonLimits        the input limits of each connection's JSON streamer (default: QEMU's,
 *                          smaller when the input budget could not hold a request at QEMU's limits)
 * @param memoryBudget      heap the server lets all its clients together hold (default: derived
 *                          from the maximum heap)
 * @param tls               TLS for the {@code tls:} listeners, or null when there are none
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
        MemoryBudget memoryBudget,
        Tls tls) {

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
        /** Default for {@code handshakeTimeout}. */
        public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

        public Tls {
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
     * Input limits, as QEMU's JSON streamer has them: bytes of one value (and of one token),
     * tokens of one value, and nesting depth. Exceeding one is answered with QEMU's error text.
     */
    public record JsonLimits(long maxTokenSize, long maxTokenCount, int maxNesting) {
        public static final JsonLimits QEMU = new JsonLimits(64L << 20, 2L << 20, 1 << 10);

        public JsonLimits {
            if (maxTokenSize < 1 || maxTokenSize > 512L << 20 || maxTokenCount < 1 || maxNesting < 1) {
                throw new IllegalArgumentException("JSON limits must be positive (token size at most 512 MiB), got "
                        + maxTokenSize + ", " + maxTokenCount + ", " + maxNesting);
            }
        }

        /**
         * QEMU's limits, or smaller ones (powers of two) when a request at QEMU's limits would cost
         * more than three quarters of {@code inputBudget}: a small heap cannot hold a 64 MiB request
         * and its parsed form, so it should not promise to read one.
         */
        public static JsonLimits fitting(long inputBudget) {
            long size = QEMU.maxTokenSize;
            long count = QEMU.maxTokenCount;
            while (size > 4096 && 2 * size > inputBudget / 2) {
                size >>= 1;
            }
            while (count > 1024 && MemoryBudget.TOKEN_COST * count > inputBudget / 4) {
                count >>= 1;
            }
            return new JsonLimits(size, count, QEMU.maxNesting);
        }

        /**
         * What the largest request these limits allow costs against the input budget: two bytes a
         * byte and {@link MemoryBudget#TOKEN_COST} a token (see {@link MemoryBudget}).
         */
        public long maxRequestCost() {
            return MemoryBudget.BYTE_COST * maxTokenSize + MemoryBudget.TOKEN_COST * Math.min(maxTokenCount, maxTokenSize);
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

        public MemoryBudget {
            if (input < 1L << 20 || output < 1L << 20) {
                throw new IllegalArgumentException("memory budgets must be at least 1 MiB each, got input " + input
                        + " and output " + output);
            }
            if (inputWait == null || inputWait.isNegative() || inputWait.isZero()) {
                throw new IllegalArgumentException("inputWait must be positive, got " + inputWait);
            }
        }

        /** What a request of {@code bytes} bytes and {@code tokens} JSON tokens costs against the input budget. */
        public static long cost(long bytes, long tokens) {
            return BYTE_COST * bytes + TOKEN_COST * tokens;
        }

        /** A quarter of the maximum heap for each budget, and 10 s of waiting for input room. */
        public static MemoryBudget ofHeap() {
            return ofHeap(Runtime.getRuntime().maxMemory());
        }

        /** A quarter of {@code maxHeap} for each budget, and 10 s of waiting for input room. */
        public static MemoryBudget ofHeap(long maxHeap) {
            long quarter = Math.max(1L << 20, maxHeap / 4);
            return new MemoryBudget(quarter, quarter, Duration.ofSeconds(10));
        }
    }

    /** The version a server reports: QEMU's VersionInfo. */
    public record Version(long major, long minor, long micro, String packageName) {
        public static final Version DEFAULT = new Version(7, 2, 0, "jqmp 0.1.0");
    }
}
