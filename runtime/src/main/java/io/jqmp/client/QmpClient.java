package io.jqmp.client;

import io.jqmp.internal.mapping.Mapping;
import io.jqmp.internal.mapping.MappingException;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import io.jqmp.internal.wire.JsonWriter;
import io.jqmp.internal.net.PlainTransport;
import io.jqmp.internal.net.TlsTransport;
import io.jqmp.internal.net.Transport;
import io.jqmp.server.Endpoint;
import io.jqmp.server.TlsCredentials;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A QMP client: connects to {@code unix:PATH} or {@code tcp:HOST:PORT}, reads the greeting,
 * negotiates capabilities ({@code oob} when offered, unless told otherwise) and then runs commands
 * with many in flight, matching answers to requests by id.
 *
 * <pre>{@code
 * try (QmpClient qmp = QmpClient.connect("unix:/tmp/qmp.sock")) {
 *     Object version = qmp.call("query-version", null);
 *     Status status = qmp.call("query-status", null, Status.class);   // record Status(boolean running, String status)
 *     CompletableFuture<Object> yank = qmp.executeOob("query-yank", null);
 * }
 * }</pre>
 *
 * <p>Answers are the {@code return} value in the value model of {@link io.jqmp.protocol}
 * ({@code Map}, {@code List}, {@code String}, {@code Long}, {@code Double}, {@code Boolean},
 * {@code null}), or mapped onto a record or bean by the typed variants (members
 * {@code foo-bar} fill components {@code fooBar}; see {@link #call(String, Object, Class)}).
 * Failures are {@link QmpClientException}s: an error answer is a {@link QmpErrorException}; no
 * answer within the command's timeout a {@link QmpTimeoutException} (the connection stays open);
 * an answer that does not fit the requested type a {@link QmpResultException}; a lost connection,
 * {@link #close()} or a protocol violation fails every outstanding command with a
 * {@link QmpConnectionException}.
 *
 * <p>Flow control: the client keeps at most {@code maxInbandInFlight} (8) in-band commands
 * outstanding at the server and queues the rest locally, so the server never stops reading this
 * connection and out-of-band commands always get through at once (QEMU's queue holds 8).
 *
 * <p>Events: {@link #listen(String...)} gives an {@link EventQueue} to take events from at your
 * own pace; {@link #subscribe(String, Consumer)} calls a listener for each event, on the client's
 * one callback thread, in wire order.
 *
 * <p>Parsing uses the project's own JSON streamer rather than Jackson: it is incremental (a
 * reply may arrive in any number of pieces, several replies in one read), it frames the byte
 * stream exactly as QEMU's own parser does, accepts any member order and unknown members, and
 * its token-size limit gives the reply size limit directly.
 *
 * <p>Threading: all public methods are thread-safe and never block on the socket (unless
 * {@link Builder#writeOnCallingThread} lets them write), except the blocking {@code call}
 * methods, which wait at most the command's timeout. One reader virtual
 * thread ({@code qmp-client-reader}) parses input, fills event queues and completes futures; one
 * writer virtual thread ({@code qmp-client-writer}) writes requests, out-of-band ones first (both
 * platform threads with {@link Builder#platformThreads}); one
 * virtual thread ({@code qmp-client-events}) calls event listeners. Futures are completed on the
 * reader thread (or a timer thread on timeout): do not block in their dependent actions; use the
 * {@code Async} variants of {@code CompletableFuture} for slow work.
 */
public final class QmpClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(QmpClient.class.getName());

    /** Default limit on one message from the server (64 MiB, as QEMU's own input limit). */
    public static final long DEFAULT_MAX_REPLY_SIZE = 64L << 20;
    /** Default number of in-band commands outstanding at the server (QEMU's queue length). */
    public static final int DEFAULT_MAX_INBAND_IN_FLIGHT = 8;
    /**
     * A timeout that never expires: the command waits for its answer however long it takes, and
     * no timer is set for it (a proxy, whose upstream may be blocked for long). Any longer
     * duration means the same.
     */
    public static final Duration NO_TIMEOUT = Duration.ofNanos(Long.MAX_VALUE);

    private final Endpoint endpoint;
    private final Transport transport;
    private final Duration commandTimeout;
    private final int maxInbandInFlight;
    private final int eventBufferCapacity;
    private final long maxReplySize;
    private final boolean writeOnCallingThread;

    /**
     * Runs command timeouts; a command answered in time cancels its own, so that long timeouts
     * (a proxy's) hold no memory past the answer.
     */
    private static final ScheduledThreadPoolExecutor TIMEOUTS = timeoutScheduler();

    private final Consumer<QmpEvent> readerEventListener;
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong written = new AtomicLong();
    /** Outstanding commands by the JSON text of their id. */
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final List<EventSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final List<EventQueue> queues = new CopyOnWriteArrayList<>();
    private final EventCallbacks callbacks;

    // Writer state, guarded by stateLock.
    private final ReentrantLock stateLock = new ReentrantLock();
    private final Condition writable = stateLock.newCondition();
    private final ArrayDeque<Pending> inbandQueue = new ArrayDeque<>();
    private final ArrayDeque<Pending> oobQueue = new ArrayDeque<>();
    private int inbandOutstanding;
    /** A thread (the writer, or a caller writing its own request) is writing to the transport. */
    private boolean writing;

    private final AtomicReference<QmpConnectionException> closeCause = new AtomicReference<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final CompletableFuture<Map<String, Object>> greetingFuture = new CompletableFuture<>();
    private Thread reader;
    private Thread writer;
    private volatile Map<String, Object> greeting;
    private volatile boolean oobEnabled;

    /** One request from submission until its answer (or its failure). */
    private static final class Pending {
        final String id; // JSON text of the id
        final String command;
        final boolean oob;
        final byte[] bytes;
        /** Completes with the whole answer, a {@link QmpAnswer}, errors included ({@link #exchange}). */
        final boolean whole;
        final CompletableFuture<Object> future = new CompletableFuture<>();
        boolean sent; // guarded by stateLock

        Pending(String id, String command, boolean oob, byte[] bytes, boolean whole) {
            this.id = id;
            this.command = command;
            this.oob = oob;
            this.bytes = bytes;
            this.whole = whole;
        }
    }

    private QmpClient(Builder b, Transport transport) {
        this.endpoint = b.endpoint;
        this.transport = transport;
        this.commandTimeout = b.commandTimeout;
        this.maxInbandInFlight = b.maxInbandInFlight;
        this.eventBufferCapacity = b.eventBufferCapacity;
        this.maxReplySize = b.maxReplySize;
        this.writeOnCallingThread = b.writeOnCallingThread;
        this.callbacks = new EventCallbacks(b.eventBufferCapacity);
        this.readerEventListener = b.readerEventListener;
        for (Builder.Listener l : b.listeners) {
            subscribe(l.filter(), l.listener());
        }
    }

    /**
     * Connects with the default settings (see {@link Builder}); blocks at most 10 s.
     *
     * @param endpoint {@code unix:PATH} or {@code tcp:HOST:PORT}
     * @return the connected, negotiated client
     * @throws QmpConnectionException the server cannot be reached, is not a QMP server or does
     *                                not greet and negotiate in time
     * @throws IllegalArgumentException the endpoint cannot be parsed
     */
    public static QmpClient connect(String endpoint) throws QmpConnectionException {
        return builder(endpoint).connect();
    }

    /**
     * A builder for a client of {@code endpoint}.
     *
     * @param endpoint {@code unix:PATH} or {@code tcp:HOST:PORT}
     * @return a builder with the default settings
     * @throws IllegalArgumentException if the endpoint cannot be parsed
     */
    public static Builder builder(String endpoint) {
        return new Builder(Endpoint.parse(endpoint));
    }

    /**
     * A builder for a client of {@code endpoint}.
     *
     * @param endpoint where to connect
     * @return a builder with the default settings
     */
    public static Builder builder(Endpoint endpoint) {
        return new Builder(Objects.requireNonNull(endpoint, "endpoint"));
    }

    // ---------------------------------------------------------------------------------------------
    // Connecting

    private void open(Builder b) throws QmpConnectionException {
        Thread.Builder threads = b.platformThreads ? Thread.ofPlatform().daemon(true) : Thread.ofVirtual();
        reader = threads.name("qmp-client-reader").start(this::readLoop);
        writer = threads.name("qmp-client-writer").start(this::writeLoop);
        long deadline = System.nanoTime() + b.connectTimeout.toNanos();
        Map<String, Object> g = await(greetingFuture, deadline, "QMP greeting");
        List<String> offered = capabilitiesOf(g);
        boolean enable = b.oob == null ? offered.contains("oob") : b.oob;
        if (enable && !offered.contains("oob")) {
            throw fail(new QmpConnectionException(endpoint + " does not offer the oob capability (offered: "
                    + offered + ")"));
        }
        if (!b.negotiate) {
            return;
        }
        Map<String, Object> args = enable ? Map.of("enable", List.of("oob")) : null;
        CompletableFuture<Object> caps = submit(request("qmp_capabilities", args, false), "qmp_capabilities", false,
                b.connectTimeout);
        await(caps, deadline, "answer to qmp_capabilities");
        oobEnabled = enable;
    }

    private <T> T await(CompletableFuture<T> f, long deadline, String what) throws QmpConnectionException {
        try {
            return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw fail(new QmpConnectionException("no " + what + " from " + endpoint + " within the connect timeout"
                    + " (is it a QMP socket, and is another client already connected to it?)"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail(new QmpConnectionException("interrupted while connecting to " + endpoint, e));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof QmpConnectionException c) {
                throw c;
            }
            if (e.getCause() instanceof QmpErrorException err) {
                throw fail(new QmpConnectionException("capability negotiation with " + endpoint + " failed: "
                        + err.errorClass() + ": " + err.desc(), err));
            }
            throw fail(new QmpConnectionException("connecting to " + endpoint + " failed: " + e.getCause(),
                    e.getCause()));
        }
    }

    private static List<String> capabilitiesOf(Map<String, Object> greeting) {
        List<String> out = new ArrayList<>();
        if (greeting != null && greeting.get("QMP") instanceof Map<?, ?> qmp
                && qmp.get("capabilities") instanceof List<?> caps) {
            for (Object c : caps) {
                out.add(String.valueOf(c));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Commands

    /**
     * Sends {@code command} in-band with the default timeout. Never blocks.
     *
     * @param command   the command's name
     * @param arguments the {@code arguments} object, or {@code null} for none
     * @return the {@code return} value, or a failure as described in the class comment
     */
    public CompletableFuture<Object> execute(String command, Map<String, ?> arguments) {
        return execute(command, arguments, commandTimeout);
    }

    /**
     * Like {@link #execute(String, Map)} with its own timeout.
     *
     * @param command   the command's name
     * @param arguments the {@code arguments} object, or {@code null} for none
     * @param timeout   how long to wait for the answer
     * @return the {@code return} value, or a failure as described in the class comment
     */
    public CompletableFuture<Object> execute(String command, Map<String, ?> arguments, Duration timeout) {
        return submit(request(command, arguments, false), command, false, timeout);
    }

    /**
     * Sends {@code command} out-of-band ({@code exec-oob}): it is written ahead of any locally
     * queued in-band command and never waits for a free in-band slot. Never blocks. The server
     * refuses it unless OOB was negotiated and the command is {@code allow-oob}.
     *
     * @param command   the command's name
     * @param arguments the {@code arguments} object, or {@code null} for none
     * @return the {@code return} value, or a failure as described in the class comment
     */
    public CompletableFuture<Object> executeOob(String command, Map<String, ?> arguments) {
        return executeOob(command, arguments, commandTimeout);
    }

    /**
     * Like {@link #executeOob(String, Map)} with its own timeout.
     *
     * @param command   the command's name
     * @param arguments the {@code arguments} object, or {@code null} for none
     * @param timeout   how long to wait for the answer
     * @return the {@code return} value, or a failure as described in the class comment
     */
    public CompletableFuture<Object> executeOob(String command, Map<String, ?> arguments, Duration timeout) {
        return submit(request(command, arguments, true), command, true, timeout);
    }

    /**
     * Sends {@code command} in-band and maps its answer onto {@code resultType}. Never blocks; the
     * mapping runs on the reader thread when the answer arrives.
     *
     * @param <T>        the result type
     * @param command    the command's name
     * @param arguments  a {@code Map}, a record or a bean (mapped as
     *                   {@link #call(String, Object, Class)} describes), or {@code null} for none
     * @param resultType a record, a bean, an enum, {@code String}, a boxed number, {@code Map},
     *                   {@code List} or {@code Object}
     * @return the mapped result; fails with {@link QmpResultException} if the answer does not fit
     * @throws IllegalArgumentException {@code arguments} is not a JSON object
     */
    public <T> CompletableFuture<T> execute(String command, Object arguments, Class<T> resultType) {
        return mapped(execute(command, argumentMap(arguments)), command, resultType);
    }

    /**
     * Like {@link #execute(String, Object, Class)}, out-of-band.
     *
     * @param <T>        the result type
     * @param command    the command's name
     * @param arguments  a {@code Map}, a record or a bean, or {@code null} for none
     * @param resultType what to map the answer onto
     * @return the mapped result; fails with {@link QmpResultException} if the answer does not fit
     * @throws IllegalArgumentException {@code arguments} is not a JSON object
     */
    public <T> CompletableFuture<T> executeOob(String command, Object arguments, Class<T> resultType) {
        return mapped(executeOob(command, argumentMap(arguments)), command, resultType);
    }

    /**
     * Sends a request message as the caller built it, like qemu.qmp's {@code execute_msg}: the
     * caller chooses the {@code id} (any JSON value) and any other member; the client adds an id
     * only when the message has none. A message with an {@code exec-oob} member is sent
     * out-of-band, any other in-band (with the flow control of in-band commands). Never blocks.
     *
     * @param message the request, e.g. {@code {"execute": "query-status", "id": "status-1"}}
     * @return the {@code return} value; fails with {@link QmpErrorException} on an error answer
     * @throws IllegalArgumentException the message has neither {@code execute} nor
     *                                  {@code exec-oob}, its id is in use by an outstanding
     *                                  command, or it holds a value that is not JSON
     */
    public CompletableFuture<Object> executeMessage(Map<String, ?> message) {
        return executeMessage(message, commandTimeout);
    }

    /**
     * Like {@link #executeMessage(Map)} with its own timeout.
     *
     * @param message the request
     * @param timeout how long to wait for the answer
     * @return the {@code return} value; fails with {@link QmpErrorException} on an error answer
     * @throws IllegalArgumentException as {@link #executeMessage(Map)}
     */
    public CompletableFuture<Object> executeMessage(Map<String, ?> message, Duration timeout) {
        return submitMessage(message, timeout, false);
    }

    /**
     * Sends a request message as {@link #executeMessage(Map)} does and completes with the whole
     * answer, an error answer as much as a success, with the id it went out with and, when the
     * client had them in one piece, the answer's bytes as read: for passing answers on unchanged,
     * as a proxy does. Never blocks.
     *
     * @param message the request
     * @return the answer; fails only when none comes ({@link QmpConnectionException},
     *     {@link QmpTimeoutException})
     * @throws IllegalArgumentException as {@link #executeMessage(Map)}
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public CompletableFuture<QmpAnswer> exchange(Map<String, ?> message) {
        // The future completes with a QmpAnswer or exceptionally (whole answers only).
        return (CompletableFuture) submitMessage(message, commandTimeout, true);
    }

    private CompletableFuture<Object> submitMessage(Map<String, ?> message, Duration timeout, boolean whole) {
        Objects.requireNonNull(message, "message");
        boolean oob = message.containsKey("exec-oob");
        if (!oob && !message.containsKey("execute")) {
            throw new IllegalArgumentException("a request needs an 'execute' or 'exec-oob' member: "
                    + JsonWriter.toJson(message));
        }
        String command = String.valueOf(message.get(oob ? "exec-oob" : "execute"));
        return submit(new LinkedHashMap<>(message), command, oob, timeout, whole);
    }

    /**
     * Runs {@code command} in-band and waits for its answer, at most its timeout. Blocks the
     * calling thread (fine on a virtual thread).
     *
     * @param command   the command's name
     * @param arguments the {@code arguments} object, or {@code null} for none
     * @return the {@code return} value in the value model
     * @throws QmpErrorException      the server answered with an error
     * @throws QmpTimeoutException    no answer in time; the connection stays open
     * @throws QmpConnectionException the connection failed or was closed
     * @throws InterruptedException   the calling thread was interrupted
     */
    public Object call(String command, Map<String, ?> arguments)
            throws QmpErrorException, QmpTimeoutException, QmpConnectionException, InterruptedException {
        return join(execute(command, arguments));
    }

    /**
     * Like {@link #call(String, Map)} but out-of-band.
     *
     * @param command   the command's name
     * @param arguments the {@code arguments} object, or {@code null} for none
     * @return the {@code return} value in the value model
     * @throws QmpErrorException      the server answered with an error
     * @throws QmpTimeoutException    no answer in time; the connection stays open
     * @throws QmpConnectionException the connection failed or was closed
     * @throws InterruptedException   the calling thread was interrupted
     */
    public Object callOob(String command, Map<String, ?> arguments)
            throws QmpErrorException, QmpTimeoutException, QmpConnectionException, InterruptedException {
        return join(executeOob(command, arguments));
    }

    /**
     * Runs {@code command} in-band, waits for its answer and maps it onto {@code resultType} with
     * Jackson Jr: a member {@code foo-bar} fills the record component or bean property
     * {@code fooBar}; enum values are matched ignoring case, with {@code -} and {@code _} alike;
     * absent members leave components null, 0 or false; unknown members are ignored (servers add
     * members over time); {@code Object} and {@code Map} components get the value model. Mapping
     * runs on the calling thread. The arguments may be a record or bean too, mapped the same way.
     *
     * <pre>{@code
     * record Status(boolean running, String status) {}
     * Status s = qmp.call("query-status", null, Status.class);
     * }</pre>
     *
     * @param <T>        the result type
     * @param command    the command's name
     * @param arguments  a {@code Map}, a record or a bean, or {@code null} for none
     * @param resultType a record, a bean, an enum, {@code String}, a boxed number, {@code Map},
     *                   {@code List} or {@code Object}
     * @return the mapped result
     * @throws QmpErrorException        the server answered with an error
     * @throws QmpTimeoutException      no answer in time; the connection stays open
     * @throws QmpResultException       the answer does not fit {@code resultType}
     * @throws QmpConnectionException   the connection failed or was closed
     * @throws InterruptedException     the calling thread was interrupted
     * @throws IllegalArgumentException {@code arguments} is not a JSON object
     */
    public <T> T call(String command, Object arguments, Class<T> resultType) throws QmpErrorException,
            QmpTimeoutException, QmpResultException, QmpConnectionException, InterruptedException {
        return map(join(execute(command, argumentMap(arguments))), command, resultType);
    }

    /**
     * Like {@link #call(String, Object, Class)} but out-of-band.
     *
     * @param <T>        the result type
     * @param command    the command's name
     * @param arguments  a {@code Map}, a record or a bean, or {@code null} for none
     * @param resultType what to map the answer onto
     * @return the mapped result
     * @throws QmpErrorException        the server answered with an error
     * @throws QmpTimeoutException      no answer in time; the connection stays open
     * @throws QmpResultException       the answer does not fit {@code resultType}
     * @throws QmpConnectionException   the connection failed or was closed
     * @throws InterruptedException     the calling thread was interrupted
     * @throws IllegalArgumentException {@code arguments} is not a JSON object
     */
    public <T> T callOob(String command, Object arguments, Class<T> resultType) throws QmpErrorException,
            QmpTimeoutException, QmpResultException, QmpConnectionException, InterruptedException {
        return map(join(executeOob(command, argumentMap(arguments))), command, resultType);
    }

    /**
     * Sends a request message as the caller built it and waits for the answer; see
     * {@link #executeMessage(Map)}.
     *
     * @param message the request, e.g. {@code {"execute": "query-status", "id": "status-1"}}
     * @return the {@code return} value in the value model
     * @throws QmpErrorException        the server answered with an error
     * @throws QmpTimeoutException      no answer in time; the connection stays open
     * @throws QmpConnectionException   the connection failed or was closed
     * @throws InterruptedException     the calling thread was interrupted
     * @throws IllegalArgumentException as {@link #executeMessage(Map)}
     */
    public Object callMessage(Map<String, ?> message)
            throws QmpErrorException, QmpTimeoutException, QmpConnectionException, InterruptedException {
        return join(executeMessage(message));
    }

    private static Object join(CompletableFuture<Object> f)
            throws QmpErrorException, QmpTimeoutException, QmpConnectionException, InterruptedException {
        try {
            // The future carries its own timeout, so this wait is bounded.
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof QmpErrorException q) {
                throw q;
            }
            if (c instanceof QmpTimeoutException q) {
                throw q;
            }
            if (c instanceof QmpConnectionException q) {
                throw q;
            }
            if (c instanceof IllegalArgumentException q) {
                throw q;
            }
            throw new QmpConnectionException("unexpected failure: " + c, c);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> argumentMap(Object arguments) {
        Object value = Mapping.toValue(arguments);
        if (value != null && !(value instanceof Map)) {
            throw new IllegalArgumentException("the arguments must be a JSON object, not "
                    + arguments.getClass().getName());
        }
        return (Map<String, ?>) value;
    }

    private static <T> T map(Object value, String command, Class<T> type) throws QmpResultException {
        try {
            return Mapping.fromValue(value, type);
        } catch (MappingException | IllegalArgumentException e) {
            throw new QmpResultException("the answer to " + command + " does not fit " + type.getName() + ": "
                    + e.getMessage(), e);
        }
    }

    private static <T> CompletableFuture<T> mapped(CompletableFuture<Object> f, String command, Class<T> type) {
        CompletableFuture<T> out = new CompletableFuture<>();
        f.whenComplete((value, failure) -> {
            if (failure != null) {
                out.completeExceptionally(failure);
                return;
            }
            try {
                out.complete(map(value, command, type));
            } catch (QmpResultException e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    private static Map<String, Object> request(String command, Map<String, ?> arguments, boolean oob) {
        Objects.requireNonNull(command, "command");
        Map<String, Object> request = new LinkedHashMap<>();
        request.put(oob ? "exec-oob" : "execute", command);
        if (arguments != null) {
            request.put("arguments", arguments);
        }
        return request;
    }

    /** Queues {@code request}, adding an id unless it has one. Never blocks. */
    private CompletableFuture<Object> submit(Map<String, Object> request, String command, boolean oob,
                                             Duration timeout) {
        return submit(request, command, oob, timeout, false);
    }

    private CompletableFuture<Object> submit(Map<String, Object> request, String command, boolean oob,
                                             Duration timeout, boolean whole) {
        Objects.requireNonNull(timeout, "timeout");
        QmpConnectionException cause = closeCause.get();
        if (cause != null) {
            return CompletableFuture.failedFuture(cause);
        }
        byte[] bytes;
        Pending p;
        if (request.containsKey("id")) {
            String id = JsonWriter.toJson(request.get("id"));
            bytes = JsonWriter.message(request, false);
            p = new Pending(id, command, oob, bytes, whole);
            if (pending.putIfAbsent(id, p) != null) {
                throw new IllegalArgumentException("id " + id + " is in use by an outstanding command");
            }
        } else {
            while (true) {
                long n = nextId.getAndIncrement();
                String id = Long.toString(n);
                if (pending.containsKey(id)) {
                    continue; // a caller chose this id for a message of its own
                }
                request.put("id", n);
                try {
                    bytes = JsonWriter.message(request, false);
                } catch (IllegalArgumentException e) {
                    return CompletableFuture.failedFuture(e);
                }
                p = new Pending(id, command, oob, bytes, whole);
                if (pending.putIfAbsent(id, p) == null) {
                    break;
                }
            }
        }
        boolean writeHere;
        stateLock.lock();
        try {
            if (closeCause.get() != null) {
                pending.remove(p.id);
                return CompletableFuture.failedFuture(closeCause.get());
            }
            // Nothing is being written and nothing waits that should go first: this thread writes
            // the request itself and spares the writer thread's wake-up.
            // (An interrupted thread would close the socket at its first write.)
            writeHere = writeOnCallingThread && !writing && oobQueue.isEmpty() && !Thread.currentThread().isInterrupted()
                    && (oob || inbandQueue.isEmpty() && inbandOutstanding < maxInbandInFlight);
            if (writeHere) {
                writing = true;
                p.sent = true;
                if (!oob) {
                    inbandOutstanding++;
                }
            } else {
                (oob ? oobQueue : inbandQueue).add(p);
                writable.signal();
            }
        } finally {
            stateLock.unlock();
        }
        Pending queued = p;
        if (timeout.compareTo(NO_TIMEOUT) < 0) {
            ScheduledFuture<?> timer = TIMEOUTS.schedule(() -> timeOut(queued, timeout), timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
            queued.future.whenComplete((value, failure) -> timer.cancel(false));
        }
        if (writeHere) {
            writeOnThisThread(queued);
        }
        return queued.future;
    }

    /**
     * The submitting thread writes its own request, having taken the writing turn in
     * {@link #submit}; then hands the turn back to the writer thread if anything queued meanwhile.
     * May block while the socket's send buffer is full.
     */
    private void writeOnThisThread(Pending p) {
        try {
            write(p);
        } finally {
            stateLock.lock();
            try {
                writing = false;
                if (!oobQueue.isEmpty() || !inbandQueue.isEmpty() && inbandOutstanding < maxInbandInFlight) {
                    writable.signal();
                }
            } finally {
                stateLock.unlock();
            }
        }
    }

    /** Command timers set and not yet run or cancelled, in all clients (for tests). */
    static int timersPending() {
        return TIMEOUTS.getQueue().size();
    }

    private static ScheduledThreadPoolExecutor timeoutScheduler() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("qmp-client-timeouts").daemon(true).factory());
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    private void timeOut(Pending p, Duration timeout) {
        if (!p.future.completeExceptionally(new QmpTimeoutException("no answer to " + p.command + " (id " + p.id
                + ") from " + endpoint + " within " + timeout.toMillis() + " ms"))) {
            return;
        }
        stateLock.lock();
        try {
            // Not written yet: forget it. Written: keep the entry, so its late answer still frees
            // the in-band slot it occupies at the server.
            if (!p.sent && (p.oob ? oobQueue.remove(p) : inbandQueue.remove(p))) {
                pending.remove(p.id);
            }
        } finally {
            stateLock.unlock();
        }
    }

    private void writeLoop() {
        boolean wrote = false;
        while (true) {
            Pending p = null;
            stateLock.lock();
            try {
                if (wrote) {
                    writing = false;
                }
                while (true) {
                    if (closeCause.get() != null) {
                        return;
                    }
                    if (!writing) {
                        p = oobQueue.poll();
                        if (p == null && inbandOutstanding < maxInbandInFlight) {
                            p = inbandQueue.poll();
                            if (p != null) {
                                inbandOutstanding++;
                            }
                        }
                    }
                    if (p != null) {
                        p.sent = true;
                        writing = true;
                        break;
                    }
                    writable.awaitUninterruptibly();
                }
            } finally {
                stateLock.unlock();
            }
            wrote = true;
            if (!write(p)) {
                return;
            }
        }
    }

    /** Writes one request, holding the writing turn; false when writing failed the connection. */
    private boolean write(Pending p) {
        // Counted before the write: once the server has the request its answer may arrive (and
        // be seen) before this thread returns from the write.
        written.incrementAndGet();
        try {
            transport.write(ByteBuffer.wrap(p.bytes));
            return true;
        } catch (IOException e) {
            fail(new QmpConnectionException("writing to " + endpoint + " failed: " + e.getMessage(), e));
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Input

    private void readLoop() {
        // Each token and each whole message is bounded by maxReplySize; tokens are at least one byte.
        JsonStreamer streamer = new JsonStreamer(maxReplySize, Math.min(maxReplySize, JsonStreamer.MAX_TOKEN_COUNT),
                JsonStreamer.DEFAULT_MAX_NESTING);
        streamer.keepWireForm(); // for QmpAnswer.bytes, and answers and events passed on as they came
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            while (closeCause.get() == null) {
                buf.clear();
                int n = transport.read(buf);
                if (n < 0) {
                    fail(new QmpConnectionException("the server at " + endpoint + " closed the connection"));
                    return;
                }
                streamer.feed(buf.array(), 0, n);
                JsonResult r;
                while ((r = streamer.poll()) != null) {
                    if (!handle(r)) {
                        return;
                    }
                }
            }
        } catch (IOException e) {
            fail(new QmpConnectionException("the connection to " + endpoint + " was lost: " + e.getMessage(), e));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "QMP client reader failed", e);
            fail(new QmpConnectionException("internal error in the QMP client reader: " + e, e));
        }
    }

    /** Handles one message; false when the connection was failed because of it. */
    @SuppressWarnings("unchecked")
    private boolean handle(JsonResult r) {
        if (r instanceof JsonResult.Error e) {
            fail(new QmpConnectionException("the server at " + endpoint + " sent invalid JSON or a message over the "
                    + maxReplySize + "-byte limit: " + e.desc()));
            return false;
        }
        JsonResult.Value value = (JsonResult.Value) r;
        Object v = value.value();
        if (!(v instanceof Map<?, ?> map)) {
            fail(new QmpConnectionException("the server at " + endpoint + " sent a message that is not a JSON object: "
                    + JsonWriter.toJson(v)));
            return false;
        }
        Map<String, Object> m = (Map<String, Object>) map;
        if (greeting == null) {
            if (!m.containsKey("QMP")) {
                fail(new QmpConnectionException(endpoint + " is not a QMP server: its first message was "
                        + abbreviate(JsonWriter.toJson(m))));
                return false;
            }
            greeting = m;
            greetingFuture.complete(m);
            return true;
        }
        if (m.get("event") instanceof String name) {
            dispatchEvent(name, m);
        } else if (m.containsKey("return") || m.get("error") instanceof Map) {
            answer(m, value.source());
        } else {
            LOG.log(System.Logger.Level.WARNING, "dropped an unknown message from {0}: {1}", endpoint,
                    abbreviate(JsonWriter.toJson(m)));
        }
        return true;
    }

    private void answer(Map<String, Object> m, byte[] source) {
        Pending p = m.containsKey("id") ? pending.remove(JsonWriter.toJson(m.get("id"))) : null;
        if (p == null) {
            LOG.log(System.Logger.Level.WARNING, "dropped an answer with an unknown id from {0}: {1}", endpoint,
                    abbreviate(JsonWriter.toJson(m)));
            return;
        }
        if (!p.oob) {
            stateLock.lock();
            try {
                inbandOutstanding--;
                if (!inbandQueue.isEmpty()) {
                    writable.signal(); // a queued request may go now; else the writer sleeps on
                }
            } finally {
                stateLock.unlock();
            }
        }
        boolean completed;
        if (p.whole) {
            completed = p.future.complete(new QmpAnswer(m, source));
        } else if (m.containsKey("return")) {
            completed = p.future.complete(m.get("return"));
        } else {
            Map<?, ?> err = (Map<?, ?>) m.get("error");
            completed = p.future.completeExceptionally(new QmpErrorException(p.command,
                    String.valueOf(err.get("class")), String.valueOf(err.get("desc"))));
        }
        if (!completed) {
            LOG.log(System.Logger.Level.DEBUG, "late answer to {0} (id {1}) dropped", p.command, p.id);
        }
    }

    /** Reader thread: queues first, then callbacks, all before the next message is handled. */
    @SuppressWarnings("unchecked")
    private void dispatchEvent(String name, Map<String, Object> m) {
        long seconds = -1;
        long micros = -1;
        if (m.get("timestamp") instanceof Map<?, ?> ts) {
            seconds = ts.get("seconds") instanceof Long s ? s : -1;
            micros = ts.get("microseconds") instanceof Long u ? u : -1;
        }
        Map<String, Object> data = m.get("data") instanceof Map<?, ?> d ? (Map<String, Object>) d : null;
        QmpEvent event = new QmpEvent(name, data, seconds, micros, m);
        if (readerEventListener != null) {
            try {
                readerEventListener.accept(event);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "reader event listener failed", e);
            }
        }
        for (EventQueue q : queues) {
            q.offer(event);
        }
        List<EventSubscription> targets = null;
        for (EventSubscription s : subscriptions) {
            if (s.accepts(event)) {
                if (targets == null) {
                    targets = new ArrayList<>(2);
                }
                targets.add(s);
            }
        }
        if (targets != null) {
            callbacks.offer(event, targets);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    // ---------------------------------------------------------------------------------------------
    // Events

    /**
     * A queue of the events named {@code names} (all events when none are given), to take at
     * your own pace; see {@link EventQueue}. Events that arrive from now on are queued.
     *
     * @param names event names, e.g. {@code "STOP"}; none for every event
     * @return the queue; close it when done
     */
    public EventQueue listen(String... names) {
        Set<String> wanted = Set.copyOf(Arrays.asList(names));
        return listen(e -> wanted.isEmpty() || wanted.contains(e.name()));
    }

    /**
     * A queue of the events {@code filter} accepts; see {@link EventQueue}. The filter runs on the
     * reader thread: keep it cheap.
     *
     * @param filter which events to queue
     * @return the queue; close it when done
     */
    public EventQueue listen(Predicate<QmpEvent> filter) {
        Objects.requireNonNull(filter, "filter");
        EventQueue[] self = new EventQueue[1];
        EventQueue q = new EventQueue(filter, eventBufferCapacity, () -> queues.remove(self[0]));
        self[0] = q;
        queues.add(q);
        QmpConnectionException cause = closeCause.get();
        if (cause != null) {
            q.end(cause);
        }
        return q;
    }

    /**
     * Calls {@code listener} for every event whose name is {@code name}. See
     * {@link EventSubscription} for the delivery contract.
     *
     * @param name     the event name, e.g. {@code "STOP"}
     * @param listener called on the {@code qmp-client-events} thread
     * @return the subscription; close it to stop delivery
     */
    public EventSubscription subscribe(String name, Consumer<QmpEvent> listener) {
        Objects.requireNonNull(name, "name");
        return subscribe(e -> e.name().equals(name), listener);
    }

    /**
     * Calls {@code listener} for every event that {@code filter} accepts. The filter runs on the
     * reader thread: keep it cheap.
     *
     * @param filter   which events to deliver
     * @param listener called on the {@code qmp-client-events} thread
     * @return the subscription; close it to stop delivery
     */
    public EventSubscription subscribe(Predicate<QmpEvent> filter, Consumer<QmpEvent> listener) {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(listener, "listener");
        EventSubscription[] self = new EventSubscription[1];
        EventSubscription s = new EventSubscription(filter, listener, () -> subscriptions.remove(self[0]));
        self[0] = s;
        subscriptions.add(s);
        return s;
    }

    /**
     * The subscriptions in place, including those made on the builder.
     *
     * @return a snapshot
     */
    public List<EventSubscription> subscriptions() {
        return List.copyOf(subscriptions);
    }

    // ---------------------------------------------------------------------------------------------
    // State

    /**
     * The greeting as received.
     *
     * @return e.g. {@code {"QMP": {"version": ..., "capabilities": ["oob"]}}}
     */
    public Map<String, Object> greeting() {
        return greeting;
    }

    /**
     * The capabilities the greeting offered.
     *
     * @return e.g. {@code ["oob"]}
     */
    public List<String> offeredCapabilities() {
        return capabilitiesOf(greeting);
    }

    /**
     * Whether {@code oob} was enabled during negotiation.
     *
     * @return true if out-of-band commands may be sent
     */
    public boolean oobEnabled() {
        return oobEnabled;
    }

    /**
     * The endpoint this client is connected to.
     *
     * @return the endpoint
     */
    public Endpoint endpoint() {
        return endpoint;
    }

    /**
     * Commands sent or queued whose answer has not arrived (timed-out ones included).
     *
     * @return the count now
     */
    public int outstanding() {
        return pending.size();
    }

    /**
     * Requests written to the socket so far, {@code qmp_capabilities} included. A request counts
     * from the moment its write begins, so a request whose answer has arrived is always counted;
     * one whose write failed (which fails the connection) counts too.
     *
     * @return the count so far
     */
    public long requestsWritten() {
        return written.get();
    }

    /**
     * Whether the connection is still usable.
     *
     * @return false once the connection has ended
     */
    public boolean isOpen() {
        return closeCause.get() == null;
    }

    /**
     * Why the connection ended.
     *
     * @return the cause, or {@code null} while it is open
     */
    public QmpConnectionException closeCause() {
        return closeCause.get();
    }

    /**
     * Completes when the connection ends, for whatever reason (never exceptionally).
     *
     * @return the future
     */
    public CompletableFuture<Void> closedFuture() {
        return closed;
    }

    /**
     * Closes the connection: outstanding commands fail with a {@link QmpConnectionException}
     * saying the client was closed, event queues end, buffered callbacks are still delivered,
     * and the threads end. Idempotent; returns within about three seconds.
     */
    @Override
    public void close() {
        fail(new QmpConnectionException("the client was closed"));
        joinQuietly(reader);
        joinQuietly(writer);
        callbacks.close(Duration.ofSeconds(1));
        for (EventSubscription s : subscriptions) {
            s.close();
        }
    }

    private static void joinQuietly(Thread t) {
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Ends the connection (first cause wins) and fails everything outstanding; returns the cause in force. */
    private QmpConnectionException fail(QmpConnectionException cause) {
        if (!closeCause.compareAndSet(null, cause)) {
            return closeCause.get();
        }
        closed.complete(null);
        transport.close();
        stateLock.lock();
        try {
            inbandQueue.clear();
            oobQueue.clear();
            writable.signalAll();
        } finally {
            stateLock.unlock();
        }
        greetingFuture.completeExceptionally(cause);
        for (Pending p : pending.values()) {
            p.future.completeExceptionally(cause);
        }
        pending.clear();
        for (EventQueue q : queues) {
            q.end(cause);
        }
        return cause;
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Settings of a {@link QmpClient}. Not thread-safe; use from one thread, then call
     * {@link #connect()}.
     */
    public static final class Builder {
        private final Endpoint endpoint;
        private Boolean oob;
        private boolean negotiate = true;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration commandTimeout = Duration.ofSeconds(30);
        private long maxReplySize = DEFAULT_MAX_REPLY_SIZE;
        private int maxInbandInFlight = DEFAULT_MAX_INBAND_IN_FLIGHT;
        private int eventBufferCapacity = 1024;
        private TlsCredentials tls;
        private final List<Listener> listeners = new ArrayList<>();
        private Consumer<QmpEvent> readerEventListener;
        private boolean platformThreads;
        private boolean writeOnCallingThread;

        private record Listener(Predicate<QmpEvent> filter, Consumer<QmpEvent> listener) {
        }

        private Builder(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        /**
         * Whether to enable out-of-band execution.
         *
         * @param enable {@code true}: enable {@code oob} (connecting fails if it is not offered);
         *               {@code false}: do not; unset: enable it when offered
         * @return this builder
         */
        public Builder oob(boolean enable) {
            this.oob = enable;
            return this;
        }

        /**
         * Whether to send {@code qmp_capabilities} at all (default true).
         *
         * @param negotiate false to stay in capabilities negotiation mode
         * @return this builder
         */
        public Builder negotiate(boolean negotiate) {
            this.negotiate = negotiate;
            return this;
        }

        /**
         * Time for connecting, the greeting and negotiation together (default 10 s).
         *
         * @param timeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException the timeout is not positive
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /**
         * Default time a command may take until its answer (default 30 s).
         *
         * @param timeout a positive duration
         * @return this builder
         * @throws IllegalArgumentException the timeout is not positive
         */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = positive(timeout, "commandTimeout");
            return this;
        }

        /**
         * Largest message accepted from the server (default 64 MiB); a larger one ends the
         * connection.
         *
         * @param bytes 1024 to 512 MiB
         * @return this builder
         * @throws IllegalArgumentException out of that range
         */
        public Builder maxReplySize(long bytes) {
            if (bytes < 1024 || bytes > JsonStreamer.MAX_TOKEN_SIZE) {
                throw new IllegalArgumentException("maxReplySize must be between 1024 and "
                        + JsonStreamer.MAX_TOKEN_SIZE + ", got " + bytes);
            }
            this.maxReplySize = bytes;
            return this;
        }

        /**
         * In-band commands outstanding at the server before the rest queue locally (default 8).
         *
         * @param n at least 1
         * @return this builder
         * @throws IllegalArgumentException below 1
         */
        public Builder maxInbandInFlight(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxInbandInFlight must be at least 1, got " + n);
            }
            this.maxInbandInFlight = n;
            return this;
        }

        /**
         * Events buffered for the callbacks, and per event queue, before events are dropped
         * (default 1024).
         *
         * @param n at least 1
         * @return this builder
         * @throws IllegalArgumentException below 1
         */
        public Builder eventBufferCapacity(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("eventBufferCapacity must be at least 1, got " + n);
            }
            this.eventBufferCapacity = n;
            return this;
        }

        /**
         * TLS credentials for a {@code tls:HOST:PORT} endpoint (needed there, refused elsewhere):
         * the CA the server's certificate must chain to, and the client's own certificate when the
         * server verifies clients. With {@code verifyPeer} the server's certificate must also name
         * the host connected to. The handshake counts against the connect timeout.
         *
         * @param credentials for the client side ({@link TlsCredentials.Side#CLIENT})
         * @return this builder
         * @throws IllegalArgumentException credentials for the server side
         */
        public Builder tls(TlsCredentials credentials) {
            if (credentials.side() != TlsCredentials.Side.CLIENT) {
                throw new IllegalArgumentException("a client needs TLS credentials for the client side, got " + credentials);
            }
            this.tls = credentials;
            return this;
        }

        /**
         * A listener in place before the connection opens, so it sees even the earliest events.
         *
         * @param filter   which events to deliver (runs on the reader thread)
         * @param listener called on the {@code qmp-client-events} thread
         * @return this builder
         */
        public Builder onEvent(Predicate<QmpEvent> filter, Consumer<QmpEvent> listener) {
            listeners.add(new Listener(Objects.requireNonNull(filter), Objects.requireNonNull(listener)));
            return this;
        }

        /**
         * A listener called on the reader thread itself for every event, before the next message
         * is handled, so it sees events and answers in wire order (a proxy passing events on).
         * It must not block, or answers wait for it.
         *
         * @param listener called with each event on the reader thread
         * @return this builder
         */
        public Builder onEventInReader(Consumer<QmpEvent> listener) {
            this.readerEventListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Reads and writes on platform threads instead of virtual ones: for a long-lived control
         * connection in a program busy with other virtual threads (a proxy's upstream), whose
         * answers must not wait for a carrier thread behind them. Two threads for the life of the
         * client. Default: virtual threads.
         *
         * @param platform whether the reader and the writer are platform threads
         * @return this builder
         */
        public Builder platformThreads(boolean platform) {
            this.platformThreads = platform;
            return this;
        }

        /**
         * Lets the thread that submits a request write it when no write is under way and nothing
         * queued should go first, instead of handing it to the writer thread: one thread wake-up
         * less per request, for a proxy that forwards on its clients' reader threads. The
         * submitting methods ({@code execute}, {@code executeOob}, {@code executeMessage}) may
         * then block while the socket's send buffer is full, and, as for any socket channel, an
         * interrupt of the calling thread during its write closes the connection (an interrupted
         * thread leaves its request to the writer thread). Order and the in-band limit are kept as
         * without it. Default: off, the writer thread writes every request.
         *
         * @param enable whether submitting threads may write their own requests
         * @return this builder
         */
        public Builder writeOnCallingThread(boolean enable) {
            this.writeOnCallingThread = enable;
            return this;
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }

        /**
         * Connects, reads the greeting and negotiates. Blocks at most the connect timeout.
         *
         * @return the connected, negotiated client
         * @throws QmpConnectionException the server cannot be reached, is not a QMP server, does
         *                                not answer in time or refuses the capabilities
         */
        public QmpClient connect() throws QmpConnectionException {
            boolean tlsEndpoint = endpoint instanceof Endpoint.Tls;
            if (tlsEndpoint && tls == null) {
                throw new IllegalStateException(endpoint + " needs TLS credentials: tls(TlsCredentials.fromDirectory(...))");
            }
            if (!tlsEndpoint && tls != null) {
                throw new IllegalStateException("TLS credentials are set but " + endpoint + " is not a tls: endpoint");
            }
            long deadline = System.nanoTime() + connectTimeout.toNanos();
            SocketChannel ch;
            try {
                ch = endpoint instanceof Endpoint.Unix ? SocketChannel.open(StandardProtocolFamily.UNIX)
                        : SocketChannel.open();
            } catch (IOException e) {
                throw new QmpConnectionException("cannot open a socket: " + e.getMessage(), e);
            }
            // SocketChannel.connect has no timeout of its own: connect on a helper thread and wait.
            CompletableFuture<Void> connected = new CompletableFuture<>();
            // A virtual thread using the socket switches it to non-blocking mode for good, after
            // which platform threads poll before every read: connect on the kind of thread that reads.
            Thread.Builder connector = platformThreads ? Thread.ofPlatform().daemon(true) : Thread.ofVirtual();
            connector.name("qmp-client-connect").start(() -> {
                try {
                    ch.connect(endpoint.address());
                    connected.complete(null);
                } catch (IOException | RuntimeException e) {
                    connected.completeExceptionally(e);
                }
            });
            try {
                connected.get(connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | InterruptedException | ExecutionException e) {
                closeQuietly(ch);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                if (e instanceof TimeoutException) {
                    throw new QmpConnectionException("cannot connect to " + endpoint + " within "
                            + connectTimeout.toMillis() + " ms");
                }
                Throwable c = e instanceof ExecutionException ? e.getCause() : e;
                throw new QmpConnectionException("cannot connect to " + endpoint + ": " + c.getMessage(), c);
            }
            Transport transport = new PlainTransport(ch);
            if (endpoint instanceof Endpoint.Tls t) {
                transport = TlsTransport.client(ch, tls.context(), t.host(), tls.verifyPeer(),
                        Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                try {
                    transport.open();
                } catch (IOException e) {
                    closeQuietly(ch);
                    throw new QmpConnectionException("cannot connect to " + endpoint + ": " + e.getMessage(), e);
                }
            }
            QmpClient client = new QmpClient(this, transport);
            try {
                client.open(this);
            } catch (QmpConnectionException e) {
                client.close();
                throw e;
            }
            return client;
        }

        private static void closeQuietly(SocketChannel ch) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to do for a socket that never connected
            }
        }
    }
}
