package io.jqmp.server;

import io.jqmp.internal.jfr.CommandEvent;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.LockSupport;

/**
 * The reader role of one connection: its own thread, {@code qmp-reader-N} (virtual unless the
 * listener asks for platform threads), greets the
 * client, reads the socket, feeds QEMU's JSON streamer one byte at a time and routes each
 * complete message; it stops reading, at the byte that completed a message, whenever the
 * connection's {@link RequestFlow} says so (back-pressure). At the end of the client's input it
 * waits for the last answers and has the writer close the connection after them.
 *
 * <p>Threading: everything here runs on the reader thread; the streamer and the router are its
 * alone. It blocks only on its socket and in {@link RequestFlow#awaitRoom}.
 */
final class ConnectionReader {
    private static final System.Logger LOG = System.getLogger(ConnectionReader.class.getName());
    private static final int READ_BUFFER = 16 * 1024;
    /** How long a reader of bulk input steps aside after each full buffer (the timer's least). */
    private static final long YIELD_NANOS = 1;

    private final long id;
    private final SocketChannel channel;
    private final JsonStreamer streamer;
    private final RequestRouter router;
    private final RequestFlow flow;
    private final ConnectionWriter writer;
    private final ConnectionThreads threads;
    private final Connection connection;
    private volatile Thread thread;
    /** Bytes fed since the last complete message (its size, for {@link CommandEvent}). */
    private long messageBytes;

    ConnectionReader(long id, SocketChannel channel, JsonStreamer streamer, RequestRouter router, RequestFlow flow,
            ConnectionWriter writer, ConnectionThreads threads, Connection connection) {
        this.id = id;
        this.channel = channel;
        this.streamer = streamer;
        this.router = router;
        this.flow = flow;
        this.writer = writer;
        this.threads = threads;
        this.connection = connection;
    }

    /** Starts the reader thread. Called once, after the writer started. */
    void start() {
        thread = threads.builder().name("qmp-reader-" + id).start(this::run);
    }

    /** Waits up to {@code millis} for the reader thread to end. */
    void join(long millis) throws InterruptedException {
        Thread t = thread;
        if (t != null && millis > 0) {
            t.join(millis);
        }
    }

    private void run() {
        try {
            router.greet();
            ByteBuffer buf = ByteBuffer.allocate(READ_BUFFER);
            while (flow.awaitRoom()) {
                int n = channel.read(buf);
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
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "connection " + id + ": reader failed", e);
            connection.close("internal error in reader: " + e);
        }
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
            streamer.feed(bytes[i]);
            messageBytes++;
            JsonResult result;
            boolean routed = false;
            while ((result = streamer.poll()) != null) {
                router.route(result, CommandEvent.beginIfEnabled(id, messageBytes));
                messageBytes = 0;
                routed = true;
            }
            // Back-pressure takes effect at the byte that completed a message, as QEMU's.
            // Only routing can make the reader wait, so other bytes need no check.
            if (routed && !flow.awaitRoom()) {
                return false;
            }
        }
        return true;
    }
}
