package io.jqmp.server;

import io.jqmp.internal.jfr.CommandEvent;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import io.jqmp.internal.net.TlsTransport;
import io.jqmp.internal.net.Transport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The reader role of one connection: its own thread, {@code qmp-reader-N} (virtual unless the
 * listener asks for platform threads, or until the client's first out-of-band request moves it to
 * a platform thread: {@link Connection#outOfBandUsed}), opens the transport (the TLS handshake and the allow-list
 * check, for a {@code tls:} listener), greets the
 * client, reads the socket, feeds QEMU's JSON streamer one byte at a time and routes each
 * complete message; it stops reading, at the byte that completed a message, whenever the
 * connection's {@link RequestFlow} says so (back-pressure). At the end of the client's input it
 * waits for the last answers and has the writer close the connection after them.
 *
 * <p>A large request is paid for from the server's input budget as it is read
 * ({@link InputAccount}): every {@value #BUDGET_SLICE} bytes the reader makes sure what the
 * request costs so far is covered, and waits for room when it is not, so the budget is exceeded
 * by at most one slice per connection.
 *
 * <p>Threading: everything here runs on the reader thread; the streamer and the router are its
 * alone. It blocks only on its socket (on a selector once the socket is in non-blocking mode), in
 * {@link RequestFlow#awaitRoom} and, for large requests, in {@link InputAccount#cover}.
 */
final class ConnectionReader {
    private static final System.Logger LOG = System.getLogger(ConnectionReader.class.getName());
    private static final int READ_BUFFER = 16 * 1024;
    /** Bytes fed between two looks at the input budget. */
    static final int BUDGET_SLICE = 256;
    /** How long a reader of bulk input steps aside after each full buffer (the timer's least). */
    private static final long YIELD_NANOS = 1;

    private final long id;
    private final Transport transport;
    private final TlsAuthz authz;
    private final JsonStreamer streamer;
    private final InputAccount input;
    private final RequestRouter router;
    private final RequestFlow flow;
    private final ConnectionWriter writer;
    private final ServerErrors errors;
    private final ConnectionThreads threads;
    private final Connection connection;
    private final RoleThread thread;
    /** Set when an out-of-band request asks the reader to move to a platform thread. */
    private boolean toPlatform;
    /** Set when the writer is to allow direct writes, as soon as both roles run on platform threads. */
    private boolean directWritesDue;
    /** Bytes fed since the last complete message (its size, for {@link CommandEvent}). */
    private long messageBytes;
    /** Whether the reader is inside a {@link RequestForwarder}, or closing: see {@link #interrupt}. */
    private final AtomicInteger forwarding = new AtomicInteger(NOT_FORWARDING);
    private static final int NOT_FORWARDING = 0;
    private static final int FORWARDING = 1;
    private static final int CLOSING = 2;

    /** @param authz who may connect over TLS (null: no TLS listener) */
    ConnectionReader(long id, Transport transport, TlsAuthz authz, JsonStreamer streamer, InputAccount input,
            RequestRouter router, RequestFlow flow, ConnectionWriter writer, ServerErrors errors,
            ConnectionThreads threads, Connection connection) {
        this.id = id;
        this.transport = transport;
        this.authz = authz;
        this.streamer = streamer;
        this.input = input;
        this.router = router;
        this.flow = flow;
        this.writer = writer;
        this.errors = errors;
        this.threads = threads;
        this.connection = connection;
        this.thread = new RoleThread("qmp-reader-" + id);
    }

    /** Starts the reader thread. Called once, after the writer started. */
    void start() {
        thread.start(threads, this::run);
    }

    /** The reader thread, once started. */
    Thread thread() {
        return thread.get();
    }

    /**
     * Interrupts the reader thread (a blocked read closes the socket). Inside a forwarder the
     * interrupt would close whatever channel the forwarder is writing (a proxy's upstream, shared
     * by all its clients), so the reader takes it itself when the forwarder returns
     * ({@link #leaveForwarder}). Any thread; never blocks.
     */
    void interrupt() {
        if (forwarding.getAndSet(CLOSING) != FORWARDING) {
            thread.interrupt();
        }
    }

    /**
     * Reader thread, before calling the forwarder: false when the connection is closing (the
     * request is not forwarded; nobody would read its answer).
     */
    boolean enterForwarder() {
        return forwarding.compareAndSet(NOT_FORWARDING, FORWARDING);
    }

    /** Reader thread, after the forwarder returned: takes the interrupt a close owed it meanwhile. */
    void leaveForwarder() {
        if (!forwarding.compareAndSet(FORWARDING, NOT_FORWARDING)) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to {@code millis} for the reader thread to end (the one it handed over to, if it did). */
    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    private void run() {
        serve(null);
    }

    /**
     * The reader's work on its current thread: from the start ({@code buf} null: open, greet), or
     * on a platform thread after {@link #moveToPlatformThread} with the read buffer so far.
     */
    private void serve(ByteBuffer carried) {
        boolean handedOver = false;
        try {
            ByteBuffer buf = carried;
            if (buf == null) {
                if (!open()) {
                    return;
                }
                router.greet();
                buf = ByteBuffer.allocate(READ_BUFFER);
            }
            while (flow.awaitRoom()) {
                if (toPlatform && Thread.currentThread().isVirtual() && handOver(buf)) {
                    handedOver = true;
                    return;
                }
                if (directWritesDue && !Thread.currentThread().isVirtual()) {
                    directWritesDue = !writer.enableDirectWrites();
                }
                int n = transport.read(buf);
                if (n < 0) {
                    endOfInput();
                    return;
                }
                buf.flip();
                if (!parse(buf.array(), buf.limit())) {
                    return;
                }
                boolean full = buf.limit() == READ_BUFFER;
                buf.clear();
                if (full) {
                    letOthersRun();
                }
            }
        } catch (IOException e) {
            connection.close(Connection.CLIENT_GONE + "read failed: " + e.getMessage());
        } catch (RuntimeException e) {
            errors.error("qmp-reader-" + id, e);
            connection.close("internal error in reader: " + e);
        } catch (Error e) {
            connection.close("internal error in reader: " + e);
            errors.fatal("qmp-reader-" + id, e);
        } finally {
            if (!handedOver) {
                input.close();
            }
        }
    }

    /**
     * Asks the reader to go on on a platform thread before its next read (an out-of-band client:
     * {@link Connection#outOfBandUsed}). Reader thread only; never blocks.
     */
    void moveToPlatformThread() {
        toPlatform = true;
    }

    /**
     * Asks the reader to switch the socket to non-blocking mode between two reads, once it and the
     * writer run on platform threads ({@link ConnectionWriter#enableDirectWrites}). Reader thread
     * only; never blocks.
     */
    void enableDirectWritesSoon() {
        directWritesDue = true;
    }

    /**
     * Hands the reading over to a platform thread that goes on with {@code buf} (empty: everything
     * read so far is parsed); false, reading on here, when no thread can be had.
     */
    private boolean handOver(ByteBuffer buf) {
        toPlatform = false;
        // A close during the hand-over is seen by the new thread's first awaitRoom.
        return thread.handOverToPlatform(() -> serve(buf));
    }

    /**
     * Opens the transport: for TLS, the handshake (bounded by its timeout) and the allow-list
     * check. False, with the connection closed and the reason logged, when the client may not go on.
     */
    private boolean open() {
        try {
            transport.open();
        } catch (IOException e) {
            connection.close(connection.isClosed() ? "closed" : e.getMessage());
            return false;
        }
        if (transport instanceof TlsTransport tls && authz != null) {
            String refusal = authz.refusal(tls.peerCertificate());
            if (refusal != null) {
                connection.close(refusal);
                return false;
            }
        }
        return true;
    }

    /**
     * After a full read buffer (more input is likely waiting), lets other connections' threads run
     * before parsing on, so a client streaming megabytes does not keep them waiting. A virtual
     * thread parks for a moment rather than calling {@link Thread#yield}: a yield keeps it in its
     * carrier's own queue, ahead of work submitted from outside the pool (a writer woken by the
     * monitor thread or the main loop, a reader woken by the poller), which is what an
     * out-of-band answer waits for; the timed park puts it behind that work. A platform thread is
     * time-sliced by the operating system and needs nothing.
     */
    private static void letOthersRun() {
        if (Thread.currentThread().isVirtual()) {
            LockSupport.parkNanos(YIELD_NANOS);
        }
    }

    /**
     * The client ended its input, with a half-close or a full one (a socket cannot tell which):
     * every request read is still executed and answered, and the connection closes once the
     * answers are written. A client that is gone for good is noticed when a write to it fails,
     * which closes the connection and discards what has not run yet. A partial message at the end
     * is dropped, as QEMU drops it.
     */
    private void endOfInput() {
        if (flow.awaitAnswered()) {
            writer.closeWhenFlushed(Connection.INPUT_ENDED);
        }
    }

    /** Feeds {@code bytes[0, end)} and routes what completes; false when the connection closed meanwhile. */
    private boolean parse(byte[] bytes, int end) {
        for (int i = 0; i < end; i++) {
            if (i % BUDGET_SLICE == 0 && !coverInput()) {
                return false;
            }
            streamer.feed(bytes[i]);
            messageBytes++;
            JsonResult result;
            boolean routed = false;
            while ((result = streamer.poll()) != null) {
                if (result instanceof JsonResult.Value) {
                    flow.chargeNext(input.transfer(QmpServerConfig.MemoryBudget.cost(streamer.lastValueBytes(),
                            streamer.lastValueTokens())));
                }
                router.route(result, CommandEvent.beginIfEnabled(id, messageBytes));
                messageBytes = 0;
                flow.releaseUnclaimed();
                routed = true;
            }
            // Back-pressure takes effect at the byte that completed a message, as QEMU's.
            // Only routing can make the reader wait, so other bytes need no check.
            if (routed) {
                input.settle(pendingCost());
                if (!flow.awaitRoom()) {
                    return false;
                }
            }
        }
        return true;
    }

    private long pendingCost() {
        return QmpServerConfig.MemoryBudget.cost(streamer.pendingBytes(), streamer.pendingTokens());
    }

    /**
     * Makes sure the input budget covers the request being read, waiting for room when it does
     * not; closes the connection (and returns false) when no room came in time.
     */
    private boolean coverInput() {
        long cost = pendingCost();
        if (input.cover(cost, connection::isClosed)) {
            return true;
        }
        if (!connection.isClosed()) {
            InputBudget budget = input.budget();
            connection.close("the server's input budget of " + budget.limit() + " bytes stayed used up for "
                    + budget.waitMillis() + " ms while this client's request of " + streamer.pendingBytes()
                    + " bytes so far needed more");
        }
        return false;
    }
}
