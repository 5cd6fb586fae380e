package io.jqmp.server;

import io.jqmp.internal.jfr.CommandEvent;
import io.jqmp.internal.net.PlainTransport;
import io.jqmp.internal.net.Transport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue;

/**
 * The writer role of one connection: its own thread, {@code qmp-writer-N} (virtual unless the
 * listener asks for platform threads, or until the client's first out-of-band request moves it to
 * a platform thread: {@link Connection#outOfBandUsed}), drains the
 * connection's outbound queue to the socket, gathering what is queued into one write, so that
 * neither the monitor thread nor the main loop ever blocks on a client.
 *
 * <p>Threading: {@link #send} and {@link #sendNow} are called from any thread (reader, monitor,
 * main loop, event senders) and never block; only the writer thread waits for the socket (a
 * direct write takes what the socket takes at once). A write failure or an overfull backlog
 * closes the connection.
 *
 * <p>Out-of-band answers may skip the hand-over ({@link #sendNow}): once the connection is in
 * non-blocking mode ({@link #enableDirectWrites}, for out-of-band clients on platform threads),
 * the thread that has the answer (the monitor thread, or whoever answers a forwarded request)
 * writes it to the socket itself when nothing is queued or being written, saving the writer's
 * wake-up. One writing turn at a time ({@link #turn}) keeps messages whole and in order; what the
 * socket does not take at once is left to the writer thread, which writes it before anything
 * queued. A TLS connection's records must all come from this writer thread
 * ({@link Transport#allowsDirectWrites()}), so TLS connections never take this path.
 *
 * <p>Unread output counts against the connection's own bound and the server's
 * {@link OutputBudget}; {@link #discard()} (on close) gives it all back at once.
 */
final class ConnectionWriter implements Outbound {
    private static final System.Logger LOG = System.getLogger(ConnectionWriter.class.getName());
    private static final int WRITE_BUFFER = 64 * 1024;
    /** The backlog once the connection closed: far below zero, so late additions keep it negative. */
    private static final long CLOSED = Long.MIN_VALUE / 2;
    /**
     * The largest answer written directly: the JDK copies a message into a temporary direct buffer
     * that each writing thread keeps, which must stay small on the monitor thread.
     */
    static final int DIRECT_WRITE_MAX = 16 * 1024;
    /** Who writes to the socket now ({@link #turn}): nobody, the writer thread, another thread, the reader switching modes. */
    private static final int FREE = 0;
    private static final int WRITER = 1;
    private static final int DIRECT = 2;
    private static final int SWITCHING = 3;

    private final long id;
    private final Transport transport;
    /** The transport when other threads may write to it ({@link Transport#allowsDirectWrites()}), else null. */
    private final PlainTransport directTransport;
    private final long maxBacklog;
    private final OutputBudget budget;
    private final ServerErrors errors;
    private final ConnectionThreads threads;
    private final Connection connection;
    /** Messages: a {@code byte[]}, or a {@link Traced} answer when a recording wants its event. */
    private final MpscUnboundedVarHandleArrayQueue<Object> outbound = new MpscUnboundedVarHandleArrayQueue<>(16);
    /** Bytes queued and not yet written; {@link #CLOSED} (negative) once discarded. */
    private final AtomicLong backlog = new AtomicLong();
    private volatile boolean parked;
    /** Set when the connection is to close as soon as everything queued is written. */
    private volatile String closeWhenFlushed;
    private final RoleThread thread;
    /** Set when an out-of-band request asks the writer to move to a platform thread. */
    private volatile boolean toPlatform;
    /**
     * The one writing turn: the writer thread takes it for each batch, a direct writer for one
     * answer, the reader to switch the socket's mode. {@link #rest} is read and written under it.
     */
    private final AtomicInteger turn = new AtomicInteger(FREE);
    /** Set by the writer thread while it waits for a direct writer to give the turn back. */
    private volatile boolean awaitingTurn;
    /** Whether out-of-band answers may be written directly: the socket is in non-blocking mode. */
    private volatile boolean direct;
    /** Set when the switch to non-blocking mode failed: it is not tried again. Reader thread only. */
    private boolean switchFailed;
    /** What a direct write left unwritten, for the writer thread to write first; null when none. Under the turn. */
    private ByteBuffer rest;
    private CommandEvent restEvent;
    /** Answers written directly, wholly or in part (for tests). Counted under the turn. */
    private volatile long directWrites;

    /**
     * @param maxBacklog unread output after which a further message disconnects the client
     * @param budget     the server's output budget, shared by all connections
     * @param errors     where a failure of the writer thread itself goes
     * @param connection closed when writing fails or the client stops reading
     */
    ConnectionWriter(long id, Transport transport, long maxBacklog, OutputBudget budget, ServerErrors errors,
            ConnectionThreads threads, Connection connection) {
        this.id = id;
        this.transport = transport;
        this.directTransport = transport.allowsDirectWrites() ? (PlainTransport) transport : null;
        this.maxBacklog = maxBacklog;
        this.budget = budget;
        this.errors = errors;
        this.threads = threads;
        this.connection = connection;
        this.thread = new RoleThread("qmp-writer-" + id);
    }

    /** Starts the writer thread. Called once. */
    void start() {
        thread.start(threads, this::run);
    }

    /**
     * Queues one complete message for the client. Any thread; never blocks. A client whose unread
     * output already fills the bound is disconnected instead (the reason is logged).
     */
    @Override
    public void send(byte[] message) {
        enqueue(message, message);
    }

    @Override
    public void send(byte[] message, CommandEvent event) {
        if (event == null) {
            enqueue(message, message);
        } else {
            event.answered(message.length);
            enqueue(message, new Traced(message, event));
        }
    }

    /**
     * An out-of-band answer: written on the calling thread when the connection allows direct
     * writes, the answer is small and nothing is queued or being written; queued as by
     * {@link #send} otherwise. Any thread; never blocks: the write takes what the socket takes at
     * once, and the writer thread writes the rest before anything else.
     */
    @Override
    public void sendNow(byte[] message, CommandEvent event) {
        if (!direct || message.length > DIRECT_WRITE_MAX || !writeDirectly(message, event)) {
            send(message, event);
        }
    }

    /** Writes {@code message} on this thread if the turn is free and nothing waits; false to queue it instead. */
    private boolean writeDirectly(byte[] message, CommandEvent event) {
        if (backlog.get() != 0 || !turn.compareAndSet(FREE, DIRECT)) {
            return false;
        }
        try {
            if (backlog.get() != 0) {
                return false; // queued (or closed) meanwhile: this answer goes behind it
            }
            if (event != null) {
                event.answered(message.length);
                event.taken();
            }
            directWrites++; // before the write: once the client has the answer, the count shows it
            ByteBuffer src = ByteBuffer.wrap(message);
            directTransport.tryWrite(src);
            if (src.hasRemaining()) {
                leaveRest(src, event);
            } else if (event != null) {
                event.written();
            }
            return true;
        } catch (IOException e) {
            connection.close(Connection.CLIENT_GONE + "write failed: " + e.getMessage());
            return true; // the answer goes with the connection
        } finally {
            releaseTurn();
        }
    }

    /** Direct writer, under the turn: the socket took only part of a message; the writer thread writes the rest. */
    private void leaveRest(ByteBuffer src, CommandEvent event) {
        long left = src.remaining();
        long before;
        do {
            before = backlog.get();
            if (before < 0) {
                return; // closed meanwhile: nobody will read it
            }
        } while (!backlog.compareAndSet(before, before + left));
        budget.add(left);
        rest = src;
        restEvent = event;
    }

    /** Gives back a turn taken by another thread than the writer, and wakes the writer if it has work or waits for the turn. */
    private void releaseTurn() {
        turn.set(FREE);
        if (awaitingTurn || backlog.get() > 0) {
            unparkWriter();
        }
    }

    /**
     * Reader thread, between reads, once the client used out-of-band: puts the socket in
     * non-blocking mode so that {@link #sendNow} can write directly. Only while the writer thread
     * is a platform thread (it then waits for the socket on a selector) and is not writing. True
     * when settled (switched, or not possible: TLS, or no selector to be had); false to try again
     * at a later read. Never blocks.
     */
    boolean enableDirectWrites() {
        if (direct || switchFailed || directTransport == null) {
            return true;
        }
        Thread w = thread.get();
        if (w == null || w.isVirtual() || !turn.compareAndSet(FREE, SWITCHING)) {
            return false;
        }
        try {
            directTransport.enterNonBlockingMode();
            direct = true;
        } catch (IOException e) {
            // Closed meanwhile, or out of file descriptors: answers keep going through the writer.
            switchFailed = true;
            LOG.log(System.Logger.Level.DEBUG, () -> "connection " + id + ": no direct writes: " + e);
        } finally {
            releaseTurn();
        }
        return true;
    }

    /** Answers written directly so far (wholly or in part). Any thread. */
    long directWrites() {
        return directWrites;
    }

    /** An answer whose {@link CommandEvent} is committed once it is written. */
    private record Traced(byte[] message, CommandEvent event) {
    }

    private void enqueue(byte[] message, Object item) {
        // A message is refused only when unread output already fills the bound, so a reading
        // client gets even an answer larger than the bound (memory: bound + one message).
        long before;
        do {
            before = backlog.get();
            if (before < 0) {
                return; // closed and discarded
            }
            if (before >= maxBacklog) {
                connection.close("output backlog exceeded " + maxBacklog + " bytes: the client is not reading");
                return;
            }
        } while (!backlog.compareAndSet(before, before + message.length));
        outbound.offer(item);
        budget.add(message.length);
        wake();
    }

    /** Whether everything queued has been written to the socket, and no direct write is under way. Any thread. */
    boolean flushed() {
        return backlog.get() == 0 && turn.get() == FREE;
    }

    /** Bytes queued and not yet written (0 once closed). Any thread. */
    long unread() {
        return Math.max(0, backlog.get());
    }

    /**
     * The connection closed: what is queued will never be written. Takes it off the output budget
     * at once; the writer thread drops the messages as it ends. Any thread; idempotent.
     */
    void discard() {
        long left = backlog.getAndSet(CLOSED);
        if (left > 0) {
            budget.remove(left);
        }
    }

    /** Writer thread: {@code bytes} were written; off the budget unless the connection was closed meanwhile. */
    private void written(long bytes) {
        long b;
        do {
            b = backlog.get();
            if (b < 0) {
                return; // discard() has taken them off the budget already
            }
        } while (!backlog.compareAndSet(b, b - bytes));
        budget.remove(bytes);
    }

    /**
     * Closes the connection, for {@code reason}, once everything queued so far is written. Any
     * thread; never blocks.
     */
    void closeWhenFlushed(String reason) {
        closeWhenFlushed = reason;
        wake();
    }

    /** Lets a parked writer look again (after a message, or when the connection closes). Any thread. */
    void wake() {
        if (parked) {
            unparkWriter();
        }
    }

    private void unparkWriter() {
        Thread t = thread.get();
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The writer thread, once started. */
    Thread thread() {
        return thread.get();
    }

    /** Interrupts the writer thread (a blocked write closes the socket). Any thread; never blocks. */
    void interrupt() {
        thread.interrupt();
    }

    /** Waits up to {@code millis} for the writer thread to end (the one it handed over to, if it did). */
    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    /**
     * Asks the writer to go on on a platform thread the next time it has nothing to write (an
     * out-of-band client: {@link Connection#outOfBandUsed}). Any thread; never blocks.
     */
    void moveToPlatformThread() {
        toPlatform = true;
        wake();
    }

    /** Writer thread, with nothing to write: hands the writing over to a platform thread (false when none can be had). */
    private boolean handOver() {
        toPlatform = false;
        return thread.handOverToPlatform(this::run);
    }

    private boolean handOverDue() {
        return toPlatform && Thread.currentThread().isVirtual();
    }

    /**
     * Writer thread: until the connection closes, writes what is queued, parking when nothing is;
     * closes the connection itself when asked to once flushed.
     */
    private void run() {
        boolean handedOver = false;
        try {
            handedOver = writeUntilClosed();
        } finally {
            if (!handedOver) {
                transport.close(); // also when another thread closed the connection
            }
        }
    }

    /** Writes until the connection closes (false), or until it hands over to a platform thread (true). */
    private boolean writeUntilClosed() {
        ByteBuffer buf = transport.newWriteBuffer(WRITE_BUFFER);
        // Events of the answers in the buffer, committed once it is written (only while recorded).
        List<CommandEvent> events = new ArrayList<>(0);
        try {
            while (true) {
                if (!turn.compareAndSet(FREE, WRITER)) {
                    awaitTurn();
                    continue;
                }
                boolean wrote;
                try {
                    // Read before looking at the queue: whatever was queued before the request
                    // to close is then found by the poll. Read after it, a request that came just
                    // after an empty poll would close on the answers queued in between.
                    String reason = closeWhenFlushed;
                    wrote = writeQueued(buf, events);
                    if (!wrote && reason != null) {
                        // Under the turn: no direct write is under way that the close would cut off.
                        connection.close(reason);
                    }
                } finally {
                    turn.set(FREE);
                }
                if (wrote) {
                    continue;
                }
                if (connection.isClosed()) {
                    dropQueued();
                    return false;
                }
                if (handOverDue() && handOver()) {
                    return true;
                }
                parked = true;
                // backlog also counts what a direct write left over and what is being queued.
                if (backlog.get() == 0 && !connection.isClosed() && closeWhenFlushed == null && !handOverDue()) {
                    LockSupport.park(this);
                }
                parked = false;
            }
        } catch (IOException e) {
            connection.close(Connection.CLIENT_GONE + "write failed: " + e.getMessage());
            dropQueued();
        } catch (RuntimeException e) {
            errors.error("qmp-writer-" + id, e);
            connection.close("internal error in writer: " + e);
            dropQueued();
        } catch (Error e) {
            connection.close("internal error in writer: " + e);
            errors.fatal("qmp-writer-" + id, e);
        }
        return false;
    }

    /** Writer thread, while a direct writer has the turn: parks until it gives the turn back. */
    private void awaitTurn() {
        awaitingTurn = true;
        if (turn.get() != FREE) {
            LockSupport.park(this);
        }
        awaitingTurn = false;
    }

    /**
     * Writer thread, under the turn: writes what a direct write left over, then everything queued,
     * gathered into as few writes as the buffer allows. False when there was nothing to write.
     */
    private boolean writeQueued(ByteBuffer buf, List<CommandEvent> events) throws IOException {
        boolean wrote = false;
        if (rest != null) {
            long left = rest.remaining();
            transport.write(rest);
            rest = null;
            if (restEvent != null) {
                restEvent.written();
                restEvent = null;
            }
            written(left);
            wrote = true;
        }
        Object item = outbound.poll();
        if (item == null) {
            return wrote;
        }
        long bytes = 0;
        do {
            byte[] msg;
            if (item instanceof Traced t) {
                msg = t.message();
                t.event().taken();
            } else {
                msg = (byte[]) item;
            }
            bytes += msg.length;
            if (msg.length > buf.remaining()) {
                flush(buf, events);
                if (msg.length > buf.capacity()) {
                    writeInSlices(msg, buf);
                    if (item instanceof Traced t) {
                        t.event().written();
                    }
                    continue;
                }
            }
            buf.put(msg);
            if (item instanceof Traced t) {
                events.add(t.event());
            }
        } while ((item = outbound.poll()) != null);
        flush(buf, events);
        written(bytes);
        return true;
    }

    /** Writer thread, at its end: lets go of the messages that will never be written. */
    private void dropQueued() {
        while (outbound.poll() != null) {
            // discard() took them off the budget; a send racing with the close may still add one,
            // which goes with this writer
        }
    }

    /**
     * A message larger than the buffer goes through it a slice at a time. Handing the JDK a heap
     * buffer of several MiB instead would make it copy all that remains into a temporary direct
     * buffer of that size on every write: quadratic copying, and direct memory (by default as much
     * as the heap) that a few clients not reading could exhaust.
     */
    private void writeInSlices(byte[] msg, ByteBuffer buf) throws IOException {
        for (int off = 0; off < msg.length; off += buf.capacity()) {
            buf.put(msg, off, Math.min(buf.capacity(), msg.length - off));
            buf.flip();
            writeFully(buf);
            buf.clear();
        }
    }

    /** Writes the buffer and records the events of the answers in it. */
    private void flush(ByteBuffer buf, List<CommandEvent> events) throws IOException {
        buf.flip();
        writeFully(buf);
        buf.clear();
        if (!events.isEmpty()) {
            events.forEach(CommandEvent::written);
            events.clear();
        }
    }

    private void writeFully(ByteBuffer buf) throws IOException {
        transport.write(buf);
    }
}
