package io.jqmp.proxy;

import io.jqmp.client.QmpAnswer;
import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.client.QmpEvent;
import io.jqmp.client.QmpTimeoutException;
import io.jqmp.server.ConnectionThreads;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import io.jqmp.server.QmpServerConfig;
import io.jqmp.server.RequestForwarder;
import io.jqmp.server.TlsCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many QMP clients on one upstream QMP server (QEMU, or another jqmp): a {@link QmpServer} whose
 * {@link RequestForwarder} hands every request to one {@link QmpClient} connected upstream.
 *
 * <ul>
 * <li>Clients get the upstream's version and {@code oob} capability in their greeting and
 * negotiate with the proxy on their own.
 * <li>In-band requests of all clients go upstream in arrival order, at most
 * {@link #UPSTREAM_INBAND} outstanding there (the rest wait in the upstream client); each client
 * may have at most 8 unanswered before the proxy stops reading it.
 * <li>Out-of-band requests are written upstream ahead of queued in-band ones, answered as soon as
 * the answer arrives.
 * <li>Ids: the upstream client gives each request an id of its own; the server puts the client's
 * id (any JSON value, or none) back on the answer.
 * <li>Events go to every client in command mode unchanged, in wire order with answers.
 * <li>When the upstream goes away every pending request is answered with an error; clients are
 * disconnected (or kept, {@link Config#keepClients}), and the proxy either ends or reconnects
 * with back-off.
 * </ul>
 *
 * <p>Threading: {@link #start} and {@link #close} from any thread; forwarding runs on the
 * server's reader threads (platform threads, two per client) and the upstream client's reader
 * thread, which also writes out-of-band answers to idle clients' sockets; reconnecting on
 * {@code proxy-reconnect}.
 */
public final class QmpProxy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(QmpProxy.class.getName());
    /**
     * In-band requests outstanding upstream: one fewer than QEMU's queue of 8, because QEMU stops
     * reading a monitor whose queue is full, and an {@code exec-oob} would then wait for the main
     * loop to take the next in-band request.
     */
    static final int UPSTREAM_INBAND = QmpClient.DEFAULT_MAX_INBAND_IN_FLIGHT - 1;

    /**
     * TLS for the proxy's two sides, each checked by the library as for any client or server.
     *
     * @param upstream  client credentials for a {@code tls:} upstream, or null
     * @param listeners server credentials for {@code tls:} listeners, or null
     * @param authz     client certificate names the listeners accept (empty: any the CA signed)
     */
    public record Tls(TlsCredentials upstream, TlsCredentials listeners, List<String> authz) {
        /** No TLS on either side. */
        public static final Tls NONE = new Tls(null, null, List.of());

        public Tls {
            authz = List.copyOf(authz);
        }
    }

    /**
     * The proxy's settings.
     *
     * @param upstream     the QMP server to connect to
     * @param listen       where clients connect
     * @param policy       which commands pass
     * @param reconnect    whether to reconnect after the upstream went away (else the proxy ends)
     * @param keepClients  whether clients stay connected while the upstream is away
     * @param maxBackoff   the longest wait between reconnection attempts
     * @param recorder     where traffic is recorded, or null
     * @param tls          credentials for a {@code tls:} upstream and {@code tls:} listeners
     * @param maxClients   clients served at once (two platform threads each); more are refused
     */
    public record Config(Endpoint upstream, List<Endpoint> listen, ProxyPolicy policy, boolean reconnect,
                         boolean keepClients, Duration maxBackoff, Recorder recorder, Tls tls, int maxClients) {
        /** Clients served at once unless told otherwise: the server's default. */
        public static final int DEFAULT_MAX_CLIENTS = QmpServerConfig.DEFAULTS.maxConnections();
        /** The most clients a proxy takes: the server's own bound on connections. */
        public static final int MAX_CLIENTS = 1 << 20;

        /**
         * Settings with the default limit of clients.
         *
         * @param upstream    the QMP server to connect to
         * @param listen      where clients connect
         * @param policy      which commands pass
         * @param reconnect   whether to reconnect after the upstream went away
         * @param keepClients whether clients stay connected while the upstream is away
         * @param maxBackoff  the longest wait between reconnection attempts
         * @param recorder    where traffic is recorded, or null
         * @param tls         credentials for a {@code tls:} upstream and {@code tls:} listeners
         */
        public Config(Endpoint upstream, List<Endpoint> listen, ProxyPolicy policy, boolean reconnect,
                      boolean keepClients, Duration maxBackoff, Recorder recorder, Tls tls) {
            this(upstream, listen, policy, reconnect, keepClients, maxBackoff, recorder, tls, DEFAULT_MAX_CLIENTS);
        }

        /**
         * Settings without TLS.
         *
         * @param upstream    the QMP server to connect to
         * @param listen      where clients connect
         * @param policy      which commands pass
         * @param reconnect   whether to reconnect after the upstream went away
         * @param keepClients whether clients stay connected while the upstream is away
         * @param maxBackoff  the longest wait between reconnection attempts
         * @param recorder    where traffic is recorded, or null
         */
        public Config(Endpoint upstream, List<Endpoint> listen, ProxyPolicy policy, boolean reconnect,
                      boolean keepClients, Duration maxBackoff, Recorder recorder) {
            this(upstream, listen, policy, reconnect, keepClients, maxBackoff, recorder, Tls.NONE);
        }

        public Config {
            Objects.requireNonNull(tls, "tls");
            Objects.requireNonNull(upstream, "upstream");
            listen = List.copyOf(listen);
            if (listen.isEmpty()) {
                throw new IllegalArgumentException("the proxy needs at least one endpoint to listen on");
            }
            Objects.requireNonNull(policy, "policy");
            if (maxBackoff.isNegative() || maxBackoff.isZero()) {
                throw new IllegalArgumentException("the maximum back-off must be positive, got " + maxBackoff);
            }
            if (maxClients < 1 || maxClients > MAX_CLIENTS) {
                throw new IllegalArgumentException("the limit of clients must be between 1 and " + MAX_CLIENTS
                        + ", got " + maxClients);
            }
        }
    }

    private final Config config;
    private final AtomicLong seq = new AtomicLong();
    /**
     * Requests sent upstream and not answered yet, by sequence number (a cheap hash, where a
     * future's identity hash costs a call into the JVM): on upstream loss, clients go only after
     * these are answered.
     */
    private final Map<Long, CompletableFuture<Void>> outstanding = new ConcurrentHashMap<>();
    private final CompletableFuture<String> ended = new CompletableFuture<>();
    private volatile QmpClient upstream;
    private volatile QmpServer server;
    private volatile boolean closed;
    /** Complete while connected upstream; replaced by an incomplete one while reconnecting. */
    private volatile CompletableFuture<Void> ready = CompletableFuture.completedFuture(null);
    private Thread reconnector;

    private QmpProxy(Config config) {
        this.config = config;
    }

    /**
     * Connects upstream, then listens for clients.
     *
     * @param config the settings
     * @return the running proxy
     * @throws QmpConnectionException the upstream cannot be reached or negotiated with
     * @throws IOException            a listener cannot be bound
     */
    public static QmpProxy start(Config config) throws QmpConnectionException, IOException {
        QmpProxy proxy = new QmpProxy(config);
        QmpClient client = proxy.connectUpstream();
        Map<String, Object> greeting = client.greeting();
        QmpServer.Builder b = QmpServer.builder()
                .version(versionOf(greeting))
                .offerOob(client.offeredCapabilities().contains("oob"))
                .forwarder(proxy::forward)
                .maxConnections(config.maxClients());
        // Clients are served by platform threads from the start: a client's reader writes its
        // requests upstream itself, and one write from a virtual thread would put the upstream
        // socket in non-blocking mode for good (the upstream reader would then read, find
        // nothing, poll and read again for every answer). Two threads per client, for the few
        // tools a proxy serves; measured in docs/proxy.md.
        config.listen().forEach(e -> b.listen(e, ConnectionThreads.PLATFORM));
        if (config.tls().listeners() != null) {
            b.tls(config.tls().listeners());
        }
        b.tlsAuthz(config.tls().authz());
        QmpServer server = b.build();
        proxy.server = server;
        if (config.recorder() != null) {
            config.recorder().greeting(greeting);
        }
        try {
            server.start();
        } catch (IOException e) {
            client.close();
            throw e;
        }
        proxy.watch(client);
        LOG.log(System.Logger.Level.INFO, "proxy: connected to " + config.upstream() + ", serving " + config.listen());
        return proxy;
    }

    /** The endpoints clients connect to (with the ports bound for port 0). */
    public List<Endpoint> endpoints() {
        return server.endpoints();
    }

    /** Completes with the reason when the proxy ended by itself (the upstream went away without --reconnect). */
    public CompletableFuture<String> ended() {
        return ended;
    }

    /** Whether the proxy is connected upstream now. */
    public boolean upstreamConnected() {
        QmpClient c = upstream;
        return c != null && c.isOpen();
    }

    /** Completes when the proxy is connected upstream (at once unless it is reconnecting). */
    public CompletableFuture<Void> upstreamReady() {
        return ready;
    }

    private QmpClient connectUpstream() throws QmpConnectionException {
        QmpClient.Builder b = QmpClient.builder(config.upstream())
                // No answer from upstream is given up on: QEMU's main loop may be blocked for long.
                .commandTimeout(QmpClient.NO_TIMEOUT)
                .maxInbandInFlight(UPSTREAM_INBAND)
                .onEventInReader(this::event)
                // Every answer and event of every client passes these two threads: they must not
                // wait for a carrier behind the client connections' virtual threads.
                .platformThreads(true)
                // A client's reader thread writes its request upstream itself when it can: one
                // wake-up less on every request's path.
                .writeOnCallingThread(true);
        if (config.tls().upstream() != null) {
            b.tls(config.tls().upstream());
        }
        QmpClient client = b.connect();
        upstream = client;
        return client;
    }

    /** Reader thread of a client: policy, then upstream. Never blocks. */
    private void forward(RequestForwarder.ForwardedRequest request, RequestForwarder.Reply reply) {
        long client = request.session().id();
        long n = seq.incrementAndGet();
        Recorder rec = config.recorder();
        if (rec != null) {
            rec.request(client, n, request.message());
        }
        RequestForwarder.Reply answer = rec == null ? reply : recording(reply, rec, client, n);
        String refusal = config.policy().refusal(request.command());
        if (refusal != null) {
            answer.error("GenericError", refusal);
            return;
        }
        QmpClient up = upstream;
        if (up == null || !up.isOpen()) {
            answer.error("GenericError", "this QMP proxy is not connected to its upstream server " + config.upstream()
                    + (config.reconnect() ? " (reconnecting)" : ""));
            return;
        }
        Map<String, Object> message = new LinkedHashMap<>(request.message());
        message.remove("id"); // the upstream client gives it an id of its own
        CompletableFuture<Void> answered = new CompletableFuture<>();
        outstanding.put(n, answered);
        up.exchange(message).whenComplete((upstreamAnswer, failure) -> {
            answer(answer, request.command(), upstreamAnswer, failure);
            answered.complete(null);
            outstanding.remove(n);
        });
    }

    /** Gives the upstream's answer, or an error saying why there is none. Any thread. */
    private void answer(RequestForwarder.Reply answer, String command, QmpAnswer upstreamAnswer, Throwable failure) {
        if (failure == null) {
            passOn(answer, upstreamAnswer);
        } else if (failure instanceof QmpConnectionException e) {
            answer.error("GenericError", "the upstream QMP server " + config.upstream()
                    + " went away before answering " + command + " (it may or may not have run): "
                    + e.getMessage());
        } else if (failure instanceof QmpTimeoutException e) {
            answer.error("GenericError", "no answer from the upstream QMP server: " + e.getMessage());
        } else {
            LOG.log(System.Logger.Level.ERROR, "forwarding " + command + " failed", failure);
            answer.error("GenericError", "this QMP proxy failed to forward " + command
                    + " (its log has the details)");
        }
    }

    /**
     * The upstream's answer, success or error, as the client gets it: the upstream's bytes with the
     * client's id in place of the proxy's when the upstream client had them whole, else its
     * members (the server encodes them as QEMU does, so the client reads the same either way).
     */
    static void passOn(RequestForwarder.Reply reply, QmpAnswer upstreamAnswer) {
        byte[] bytes = upstreamAnswer.bytes();
        if (bytes != null && upstreamAnswer.message().get("id") instanceof Long id) {
            String digits = Long.toString(id);
            int idFrom = idValueAt(bytes, digits);
            if (idFrom >= 0) {
                reply.answer(bytes, idFrom, idFrom + digits.length());
                return;
            }
        }
        Map<String, Object> members = new LinkedHashMap<>(upstreamAnswer.message());
        members.remove("id");
        reply.answer(members);
    }

    /**
     * Where the top-level id {@code digits} starts in an answer QEMU wrote: last, as in a success
     * ({@code ..., "id": 7}}), or first, as in an error ({@code {"id": 7, ...}); -1 for any other
     * shape. In valid JSON neither form can be part of a nested value or of a string.
     */
    static int idValueAt(byte[] answer, String digits) {
        byte[] last = (", \"id\": " + digits + "}").getBytes(StandardCharsets.US_ASCII);
        int from = answer.length - last.length;
        if (from > 0 && Arrays.equals(answer, from, answer.length, last, 0, last.length)) {
            return answer.length - 1 - digits.length();
        }
        byte[] first = ("{\"id\": " + digits + ", ").getBytes(StandardCharsets.US_ASCII);
        if (answer.length > first.length && Arrays.equals(answer, 0, first.length, first, 0, first.length)) {
            return first.length - 2 - digits.length();
        }
        return -1;
    }

    private static RequestForwarder.Reply recording(RequestForwarder.Reply reply, Recorder rec, long client, long n) {
        return answer -> {
            rec.answer(client, n, answer);
            reply.answer(answer);
        };
    }

    /** Upstream reader thread: passes the event to every client, before the next answer. */
    private void event(QmpEvent e) {
        QmpServer s = server;
        if (s != null) {
            s.events().forward(e.message());
        }
        Recorder rec = config.recorder();
        if (rec != null) {
            rec.event(e.message());
        }
    }

    private void watch(QmpClient client) {
        client.closedFuture().whenComplete((v, t) -> upstreamLost(client));
    }

    private void upstreamLost(QmpClient client) {
        if (closed) {
            return;
        }
        QmpConnectionException cause = client.closeCause();
        String why = "upstream " + config.upstream() + " lost: " + (cause == null ? "closed" : cause.getMessage());
        LOG.log(System.Logger.Level.WARNING, "proxy: " + why);
        if (!config.keepClients() || !config.reconnect()) {
            // The client fails its outstanding commands right after this: disconnect once their
            // error answers are queued, so every client reads them first.
            CompletableFuture.allOf(outstanding.values().toArray(CompletableFuture[]::new))
                    .handle((v, t) -> {
                        server.disconnectClients(why);
                        if (!config.reconnect()) {
                            ended.complete(why);
                        }
                        return null;
                    });
        }
        if (!config.reconnect()) {
            return;
        }
        ready = new CompletableFuture<>();
        reconnector = Thread.ofPlatform().name("proxy-reconnect").daemon(true).start(this::reconnect);
    }

    /** Reconnects with back-off, doubling from 100 ms up to the maximum, until connected or closed. */
    private void reconnect() {
        long delay = 100;
        for (int attempt = 1; !closed; attempt++) {
            try {
                Thread.sleep(delay); // back-off between attempts, not a synchronisation
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                QmpClient client = connectUpstream();
                LOG.log(System.Logger.Level.INFO, "proxy: reconnected to " + config.upstream() + " (attempt " + attempt + ")");
                watch(client);
                ready.complete(null);
                return;
            } catch (QmpConnectionException e) {
                delay = Math.min(delay * 2, config.maxBackoff().toMillis());
                LOG.log(System.Logger.Level.INFO, "proxy: reconnecting to " + config.upstream() + " failed (attempt "
                        + attempt + ", next in " + delay + " ms): " + e.getMessage());
            }
        }
    }

    /** Stops listening, disconnects clients and the upstream. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Thread r = reconnector;
        if (r != null) {
            r.interrupt();
        }
        QmpServer s = server;
        if (s != null) {
            s.close();
        }
        QmpClient c = upstream;
        if (c != null) {
            c.close();
        }
        if (config.recorder() != null) {
            config.recorder().close();
        }
        ended.complete("closed");
    }

    /** The version member of a greeting, for the proxy's own greeting. */
    static QmpServerConfig.Version versionOf(Map<String, Object> greeting) {
        if (greeting.get("QMP") instanceof Map<?, ?> qmp && qmp.get("version") instanceof Map<?, ?> v
                && v.get("qemu") instanceof Map<?, ?> q) {
            return new QmpServerConfig.Version(number(q.get("major")), number(q.get("minor")), number(q.get("micro")),
                    v.get("package") instanceof String p ? p : "");
        }
        return QmpServerConfig.Version.DEFAULT;
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }
}
