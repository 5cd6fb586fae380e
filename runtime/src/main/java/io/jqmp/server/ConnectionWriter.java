package io.jqmp.server;

import io.jqmp.internal.jfr.CommandEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue;

/**
 * The writer role of one connection: its own thread, {@code qmp-writer-N} (virtual unless the
 * listener asks for platform threads), drains the
 * connection's outbound queue to the socket, gathering what is queued into one write, so that
 * neither the monitor thread nor the main loop ever blocks on a client.
 *
 * <p>Threading: {@link #send} is called from any thread (reader, monitor, main loop, event
 * senders) and never blocks; only the writer thread touches the socket for writing and may block
 * there. A write failure or an overfull backlog closes the connection.
 */
final class ConnectionWriter implements Outbound {
    private static final int WRITE_BUFFER = 64 * 1024;

    private final long id;
    private final SocketChannel channel;
    private final long maxBacklog;
    private final ConnectionThreads threads;
    private final Connection connection;
    /** Messages: a {@code byte[]}, or a {@link Traced} answer when a recording wants its event. */
    private final MpscUnboundedVarHandleArrayQueue<Object> outbound = new MpscUnboundedVarHandleArrayQueue<>(16);
    /** Bytes queued and not yet written. */
    private final AtomicLong backlog = new AtomicLong();
    private volatile boolean parked;
    /** Set when the connection is to close as soon as everything queued is written. */
    private volatile String closeWhenFlushed;
    private volatile Thread thread;

    /**
     * @param maxBacklog unread output after which a further message disconnects the client
     * @param connection closed when writing fails or the client stops reading
     */
    ConnectionWriter(long id, SocketChannel channel, long maxBacklog, ConnectionThreads threads, Connection connection) {
        this.id = id;
        this.channel = channel;
        this.maxBacklog = maxBacklog;
        this.threads = threads;
        this.connection = connection;
    }

    /** Starts the writer thread. Called once. */
    void start() {
        thread = threads.builder().name("qmp-writer-" + id).start(this::run);
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
        if (connection.isClosed()) {
            return;
        }
        // A message is refused only when unread output already fills the bound, so a reading
        // client gets even an answer larger than the bound (memory: bound + one message).
        long before = backlog.getAndAdd(message.length);
        if (before >= maxBacklog) {
            connection.close("output backlog exceeded " + maxBacklog + " bytes: the client is not reading");
            return;
        }
        outbound.offer(item);
        wake();
    }

    /** Whether everything queued has been written to the socket. Any thread. */
    boolean flushed() {
        return backlog.get() == 0;
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
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Waits up to {@code millis} for the writer thread to end. */
    void join(long millis) throws InterruptedException {
        Thread t = thread;
        if (t != null && millis > 0) {
            t.join(millis);
        }
    }

    /**
     * Writer thread: until the connection closes, writes what is queued, parking when nothing is;
     * closes the connection itself when asked to once flushed.
     */
    private void run() {
        ByteBuffer buf = ByteBuffer.allocateDirect(WRITE_BUFFER);
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
                        return;
                    }
                    parked = true;
                    if (outbound.isEmpty() && !connection.isClosed() && closeWhenFlushed == null) {
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
                            writeFully(ByteBuffer.wrap(msg));
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
                backlog.addAndGet(-bytes);
            }
        } catch (IOException e) {
            connection.close(Connection.CLIENT_GONE + "write failed: " + e.getMessage());
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
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }
}
