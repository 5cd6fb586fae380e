package io.jqmp.server;

import io.jqmp.internal.net.PlainTransport;
import io.jqmp.internal.net.TlsTransport;
import io.jqmp.internal.net.Transport;
import io.jqmp.internal.wire.JsonStreamer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One client connection: its session (what handlers see, and the negotiation state), its
 * {@link ConnectionReader} and {@link ConnectionWriter} roles, and its {@link RequestFlow}.
 *
 * <p>Threading: built and started on the accept thread; the negotiation state is written by the
 * reader thread only and read by any; {@link #send} and {@link #close} may be called from any
 * thread and never block.
 */
final class Connection implements Session {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    /** Reasons to close that are part of normal operation (logged at DEBUG only). */
    static final String INPUT_ENDED = "client ended its input; every request read was answered";
    static final String SERVER_STOPPING = "server stopping";
    /** A failed read or write: the client went away (reset, broken pipe), a normal end too. */
    static final String CLIENT_GONE = "the client went away: ";

    private final long id;
    private final Transport transport;
    private final Endpoint endpoint;
    private final Connections registry;
    private final InputBudget inputBudget;
    private final ConnectionWriter writer;
    private final RequestFlow flow;
    private final ConnectionReader reader;
    private final ConnectionThreads threads;
    private final Semaphore platformPlaces;
    /** Whether this connection holds one of {@link #platformPlaces} (moved to platform threads). */
    private final AtomicBoolean onPlatformPlace = new AtomicBoolean();
    /** Makes queueing the negotiation answer and entering command mode one step for event senders. */
    private final ReentrantLock modeLock = new ReentrantLock();
    private volatile boolean commandMode;
    private volatile boolean oobEnabled;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Builds the connection's parts, to run on {@code threads}; nothing runs until {@link #start}. */
    Connection(long id, SocketChannel channel, Endpoint endpoint, ConnectionThreads threads, ConnectionServices services) {
        this.id = id;
        this.endpoint = endpoint;
        this.registry = services.registry();
        this.inputBudget = services.inputBudget();
        this.threads = threads;
        this.platformPlaces = services.platformPlaces();
        QmpServerConfig config = services.config();
        QmpServerConfig.Tls tls = config.tls();
        this.transport = endpoint instanceof Endpoint.Tls
                ? TlsTransport.server(channel, tls.credentials().context(), tls.credentials().verifyPeer(),
                        tls.handshakeTimeout())
                : new PlainTransport(channel);
        this.writer = new ConnectionWriter(id, transport, config.maxOutputBacklog(), services.outputBudget(),
                services.errors(), threads, this);
        this.flow = new RequestFlow(services.monitor(), services.mainLoop(), writer, config.maxPendingInband(),
                services.rules().dropsWhenFull(), services.suspensions(), inputBudget);
        RequestRouter router = new RequestRouter(services.rules(), services.commands(), services.encoder(),
                services.greeting(), services.events(), this, flow, writer, services.forwarder());
        QmpServerConfig.JsonLimits limits = config.jsonLimits();
        JsonStreamer streamer = new JsonStreamer(limits.maxTokenSize(), limits.maxTokenCount(), limits.maxNesting());
        if (services.forwarder() != null) {
            // Forwarded requests go upstream with their members in the client's order where it
            // matters to QEMU (within a QDict bucket), as if the client had sent them there.
            streamer.keepWireForm();
        }
        TlsAuthz authz = tls == null ? null : new TlsAuthz(tls.authz());
        this.reader = new ConnectionReader(id, transport, authz, streamer, new InputAccount(id, inputBudget), router,
                flow, writer, services.errors(), threads, this);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public Endpoint endpoint() {
        return endpoint;
    }

    @Override
    public boolean oobEnabled() {
        return oobEnabled;
    }

    /** Whether negotiation is over (events are sent only then). Any thread. */
    boolean commandMode() {
        return commandMode;
    }

    /**
     * Reader thread only: queues the answer to {@code qmp_capabilities} and leaves negotiation
     * mode with the given capabilities, as one step for {@link #sendEvent}: an event sent once
     * the client can have the answer is not skipped, and none is queued ahead of the answer.
     */
    void enterCommandMode(byte[] answer, boolean oob) {
        modeLock.lock();
        try {
            writer.send(answer);
            oobEnabled = oob;
            commandMode = true;
        } finally {
            modeLock.unlock();
        }
        flow.commandMode(oob);
    }

    /**
     * Queues an event for the client if it is in command mode. Any thread; waits at most for the
     * reader to queue a negotiation answer ({@link #enterCommandMode}).
     */
    void sendEvent(byte[] event) {
        if (commandMode) {
            writer.send(event);
            return;
        }
        modeLock.lock();
        try {
            if (commandMode) {
                writer.send(event);
            }
        } finally {
            modeLock.unlock();
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    /**
     * The client sent an out-of-band request: a connection on virtual threads moves to platform
     * threads when a place is free ({@link QmpServerConfig#oobPlatformConnections()}), its reader
     * before it reads on, its writer the next time it has nothing to write. Once both are on
     * platform threads, its out-of-band answers may be written directly
     * ({@link ConnectionWriter#sendNow}). Reader thread only; never blocks.
     */
    void outOfBandUsed() {
        if (threads == ConnectionThreads.PLATFORM || onPlatformPlace.get()) {
            reader.enableDirectWritesSoon();
            return;
        }
        if (!platformPlaces.tryAcquire()) {
            return;
        }
        onPlatformPlace.set(true);
        if (isClosed()) {
            leavePlatformPlace(); // close() may have run before the place was taken
            return;
        }
        reader.moveToPlatformThread();
        writer.moveToPlatformThread();
        reader.enableDirectWritesSoon();
    }

    private void leavePlatformPlace() {
        if (onPlatformPlace.compareAndSet(true, false)) {
            platformPlaces.release();
        }
    }

    /** Reader thread, before a forwarder call: false when the connection is closing (see {@link ConnectionReader#interrupt}). */
    boolean enterForwarder() {
        return reader.enterForwarder();
    }

    /** Reader thread, after a forwarder call. */
    void leaveForwarder() {
        reader.leaveForwarder();
    }

    /** Starts the writer, then the reader (which greets the client). */
    void start() {
        writer.start();
        reader.start();
    }

    /** Whether everything queued for the client has been written to the socket. Any thread. */
    boolean flushed() {
        return writer.flushed();
    }

    /** Bytes queued for the client and not yet written. Any thread. */
    long unreadOutput() {
        return writer.unread();
    }

    /**
     * Closes the connection once; later calls do nothing. Any thread; never blocks. Queued
     * requests of this connection are skipped; a running handler finishes and its answer is
     * discarded.
     */
    void close(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writer.discard(); // first: the output budget counts this connection's output no longer
        flow.close();
        inputBudget.wakeWaiters(); // the reader may be waiting for input room: let it see the close
        registry.remove(this);
        leavePlatformPlace();
        closeSocket();
        LOG.log(System.Logger.Level.DEBUG, () -> "connection " + id + " on " + endpoint + " closed: " + reason);
        if (!reason.equals(INPUT_ENDED) && !reason.equals(SERVER_STOPPING) && !reason.startsWith(CLIENT_GONE)) {
            LOG.log(System.Logger.Level.WARNING, "QMP connection " + id + " on " + endpoint + " closed: " + reason);
        }
    }

    /**
     * Closes the socket without blocking a thread that is not this connection's: closing a
     * channel waits until the threads blocked in its I/O have left it, which must not hold up
     * the monitor, the main loop or another client (the output budget closes clients from
     * wherever a message goes over it). From elsewhere, the reader and the writer are
     * interrupted instead: an interrupted channel operation closes the channel on the
     * interrupted thread, and a parked one wakes and finds the connection closed; the writer
     * closes the socket as it ends in any case.
     */
    private void closeSocket() {
        Thread me = Thread.currentThread();
        if (me == reader.thread() || me == writer.thread()) {
            transport.close();
            writer.wake();
        } else {
            reader.interrupt();
            writer.interrupt();
        }
    }

    /** Closes the connection once everything queued for the client is written. Any thread; never blocks. */
    void closeWhenFlushed(String reason) {
        writer.closeWhenFlushed(reason);
    }

    /** The reader's thread of the moment (it changes when the connection moves to platform threads). */
    Thread readerThread() {
        return reader.thread();
    }

    /** The writer's thread of the moment (it changes when the connection moves to platform threads). */
    Thread writerThread() {
        return writer.thread();
    }

    /** Out-of-band answers written by the thread that had them rather than the writer (for tests). */
    long directWrites() {
        return writer.directWrites();
    }

    /** Waits up to {@code millis} for both threads to end (for a clean shutdown). */
    void join(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        reader.join(millis);
        writer.join((deadline - System.nanoTime()) / 1_000_000);
    }
}
