package io.jqmp.server;

import io.jqmp.internal.jfr.CommandEvent;
import io.jqmp.internal.net.Transport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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
 * <p>Threading: {@link #send} is called from any thread (reader, monitor, main loop, event
 * senders) and never blocks; only the writer thread touches the socket for writing and may block
 * there. A write failure or an overfull backlog closes the connection.
 *
 * <p>Everything goes out through the {@link Transport}'s writing side, on this thread only. A
 * faster path that lets another thread write a small answer straight to the socket must first ask
 * {@link Transport#allowsDirectWrites()}: a TLS connection's records must all come from this
 * writer thread, so TLS connections keep this path.
 *
 * <p>Unread output counts against the connection's own bound and the server's
 * {@link OutputBudget}; {@link #discard()} (on close) gives it all back at once.
 */
final class ConnectionWriter implements Outbound {
    private static final int WRITE_BUFFER = 64 * 1024;
    /** The backlog once the connection closed: far below zero, so late additions keep it negative. */
    private static final long CLOSED = Long.MIN_VALUE / 2;

    private final long id;
    private final Transport transport;
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
     * @param maxBacklog unread output after which a further message disconnects the client
     * @param budget     the server's output budget, shared by all connections
     * @param errors     where a failure of the writer thread itself goes
     * @param connection closed when writing fails or the client stops reading
     */
    ConnectionWriter(long id, Transport transport, long maxBacklog, OutputBudget budget, ServerErrors errors,
            ConnectionThreads threads, Connection connection) {
        this.id = id;
        this.transport = transport;
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

    /** Whether everything queued has been written to the socket. Any thread. */
    boolean flushed() {
        return backlog.get() == 0;
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
            Thread t = thread.get();
            if (t != null) {
                LockSupport.unpark(t);
            }
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
                Object item = outbound.poll();
                if (item == null) {
                    String reason = closeWhenFlushed;
                    if (reason != null) {
                        connection.close(reason);
                    }
                    if (connection.isClosed()) {
                        dropQueued();
                        return false;
                    }
                    if (handOverDue() && handOver()) {
                        return true;
                    }
                    parked = true;
                    if (outbound.isEmpty() && !connection.isClosed() && closeWhenFlushed == null && !handOverDue()) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    continue;
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
