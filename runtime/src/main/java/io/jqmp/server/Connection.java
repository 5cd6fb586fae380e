package io.jqmp.server;

import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue;

/**
 * One client connection: a reader virtual thread ({@code qmp-reader-N}) that frames, parses and
 * routes requests, and a writer virtual thread ({@code qmp-writer-N}) that drains the outbound
 * queue to the socket, so that neither the monitor thread nor the main loop ever touches a socket.
 *
 * <p>Threading: the session state ({@link #streamer}, negotiation) belongs to the reader thread;
 * {@link #send} and {@link #close} may be called from any thread and never block; the
 * {@code queued}/{@code inFlight} counters are shared with the main loop.
 */
final class Connection implements Session {
    private static final Logger LOG = Logger.getLogger(Connection.class.getName());
    private static final int READ_BUFFER = 16 * 1024;
    private static final int WRITE_BUFFER = 64 * 1024;

    private final long id;
    private final SocketChannel channel;
    private final Endpoint endpoint;
    private final QmpServer server;
    private final RequestRouter router;
    private final long maxBacklog;

    // Reader-thread state.
    private final JsonStreamer streamer;
    private volatile boolean commandMode;
    private volatile boolean oobEnabled;

    // Flow control, shared with the main loop: requests waiting to start, and waiting or running.
    final AtomicInteger queued = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean readerParked;

    // Outbound path.
    private final MpscUnboundedVarHandleArrayQueue<byte[]> outbound = new MpscUnboundedVarHandleArrayQueue<>(16);
    private final AtomicLong backlog = new AtomicLong();
    private volatile boolean writerParked;

    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread reader;
    private volatile Thread writer;

    Connection(long id, SocketChannel channel, Endpoint endpoint, QmpServer server) {
        this.id = id;
        this.channel = channel;
        this.endpoint = endpoint;
        this.server = server;
        this.router = new RequestRouter(server, this);
        this.maxBacklog = server.config().maxOutputBacklog();
        QmpServerConfig.JsonLimits limits = server.config().jsonLimits();
        this.streamer = new JsonStreamer(limits.maxTokenSize(), limits.maxTokenCount(), limits.maxNesting());
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

    boolean commandMode() {
        return commandMode;
    }

    /** Reader thread only: leaves negotiation mode with the given capabilities. */
    void enterCommandMode(boolean oob) {
        oobEnabled = oob;
        commandMode = true;
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Starts the reader and writer virtual threads. */
    void start() {
        writer = Thread.ofVirtual().name("qmp-writer-" + id).start(this::writeLoop);
        reader = Thread.ofVirtual().name("qmp-reader-" + id).start(this::readLoop);
    }

    // ---------------------------------------------------------------- reading

    private void readLoop() {
        try {
            router.greet();
            ByteBuffer buf = ByteBuffer.allocate(READ_BUFFER);
            while (!closed.get()) {
                if (!awaitReadable()) {
                    return;
                }
                int n = channel.read(buf);
                if (n < 0) {
                    close("client closed the connection");
                    return;
                }
                buf.flip();
                byte[] bytes = buf.array();
                int end = buf.limit();
                for (int i = buf.position(); i < end; i++) {
                    streamer.feed(bytes[i]);
                    JsonResult result;
                    boolean routed = false;
                    while ((result = streamer.poll()) != null) {
                        router.route(result);
                        routed = true;
                    }
                    // Back-pressure takes effect at the byte that completed a message, as QEMU's.
                    // Only routing can make the reader wait, so other bytes need no check.
                    if (routed && !awaitReadable()) {
                        return;
                    }
                }
                buf.clear();
                if (end == READ_BUFFER) {
                    // A full buffer means more input is likely waiting: let other virtual threads
                    // (other clients' readers and writers) have the carrier before parsing on.
                    Thread.yield();
                }
            }
        } catch (IOException e) {
            close(closed.get() ? "closed" : "read failed: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "connection " + id + ": reader failed", e);
            close("internal error in reader: " + e);
        }
    }

    /**
     * Reader thread only: parks while this session may not submit more in-band work. Returns
     * false when the connection closed meanwhile.
     */
    private boolean awaitReadable() {
        boolean counted = false;
        while (mustWait()) {
            if (!counted) {
                server.countSuspension();
                counted = true;
            }
            readerParked = true;
            if (mustWait() && !closed.get()) {
                LockSupport.park(this);
            }
            readerParked = false;
            if (closed.get()) {
                return false;
            }
        }
        return !closed.get();
    }

    private boolean mustWait() {
        if (!commandMode) {
            return false;
        }
        if (oobEnabled) {
            // The 2.12 dialect drops instead of waiting.
            return server.config().dialect() == Dialect.CURRENT && queued.get() >= server.config().maxPendingInband();
        }
        // Without OOB, one in-band command at a time, resumed once it was answered.
        return inFlight.get() >= 1;
    }

    /** Any thread: a queued or running in-band request finished a step; let the reader look again. */
    void wakeReader() {
        if (readerParked) {
            Thread r = reader;
            if (r != null) {
                LockSupport.unpark(r);
            }
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * Queues one complete message for the client. Any thread; never blocks. A client whose unread
     * output exceeds the configured backlog is disconnected (the reason is logged).
     */
    void send(byte[] message) {
        if (closed.get()) {
            return;
        }
        // A message is refused only when unread output already fills the bound, so a reading
        // client gets even an answer larger than the bound (memory: bound + one message).
        long before = backlog.getAndAdd(message.length);
        if (before >= maxBacklog) {
            close("output backlog exceeded " + maxBacklog + " bytes: the client is not reading");
            return;
        }
        outbound.offer(message);
        if (writerParked) {
            Thread w = writer;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    private void writeLoop() {
        ByteBuffer buf = ByteBuffer.allocateDirect(WRITE_BUFFER);
        try {
            while (true) {
                byte[] msg = outbound.poll();
                if (msg == null) {
                    if (closed.get()) {
                        return;
                    }
                    writerParked = true;
                    if (outbound.isEmpty() && !closed.get()) {
                        LockSupport.park(this);
                    }
                    writerParked = false;
                    continue;
                }
                // Gather what is queued into one write.
                long bytes = 0;
                do {
                    bytes += msg.length;
                    if (msg.length > buf.remaining()) {
                        flush(buf);
                        if (msg.length > buf.capacity()) {
                            writeFully(ByteBuffer.wrap(msg));
                            continue;
                        }
                    }
                    buf.put(msg);
                } while ((msg = outbound.poll()) != null);
                flush(buf);
                backlog.addAndGet(-bytes);
            }
        } catch (IOException e) {
            close(closed.get() ? "closed" : "write failed: " + e.getMessage());
        }
    }

    private void flush(ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(buf);
        buf.clear();
    }

    private void writeFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    // ---------------------------------------------------------------- closing

    /** Whether everything queued for the client has been written to the socket. Any thread. */
    boolean flushed() {
        return backlog.get() == 0;
    }

    /**
     * Closes the connection once; later calls do nothing. Any thread; never blocks. Queued in-band
     * requests of this connection are skipped by the main loop; a running handler finishes and its
     * answer is discarded.
     */
    void close(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.fine(() -> "connection " + id + " on " + endpoint + " closed: " + reason);
        if (!reason.equals("client closed the connection") && !reason.equals("server stopping")) {
            LOG.warning("QMP connection " + id + " on " + endpoint + " closed: " + reason);
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "close failed", e);
        }
        Thread r = reader;
        if (r != null) {
            LockSupport.unpark(r);
        }
        Thread w = writer;
        if (w != null) {
            LockSupport.unpark(w);
        }
        server.connectionClosed(this);
    }

    /** Waits up to {@code millis} for both threads to end (for a clean shutdown). */
    void join(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        for (Thread t : new Thread[] {reader, writer}) {
            if (t != null) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left > 0) {
                    t.join(left);
                }
            }
        }
    }
}
