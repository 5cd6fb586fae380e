package io.jqmp.stress;

import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A raw QMP client for the scenarios where the bytes and the pace are the point: flooding past
 * the server's in-band queue (a {@link io.jqmp.client.QmpClient} keeps at most 8 in flight),
 * hostile input, thousands of idle connections, and probes whose round trip is measured without
 * the library client's thread hand-offs. Scenario steps that only manage a server use
 * {@code QmpClient} ({@link MachinePeer}, {@link Target#measure()}). Messages from the server are
 * parsed with jqmp's own {@link JsonStreamer} (so the client accepts exactly what QEMU's parser
 * accepts).
 *
 * <p>Two ways to receive: {@link #readMessage()} blocks the calling thread (one thread at a time),
 * or {@link #startReader(Consumer)} starts a virtual thread that hands every message to a sink
 * (then nobody else may call {@code readMessage}). {@link #send} may be called from any thread;
 * sends are serialised by a lock so messages never interleave. {@link #close()} may be called from
 * any thread and unblocks a blocked read.
 */
public final class QmpConnection implements AutoCloseable {
    /** What {@link #readMessage()} returns at end of stream. */
    public static final Object EOF = new Object();

    private final SocketChannel channel;
    private final ReentrantLock sendLock = new ReentrantLock();
    private final JsonStreamer parser = new JsonStreamer();
    private final ByteBuffer in;
    private volatile boolean closed;

    private QmpConnection(SocketChannel channel, int bufferSize) {
        this.channel = channel;
        this.in = ByteBuffer.allocate(bufferSize);
        in.flip();
    }

    /** Connects; the greeting is the first message to read. Blocking. */
    public static QmpConnection connect(Endpoint endpoint, int bufferSize) throws IOException {
        return new QmpConnection(SocketChannel.open(endpoint.address()), bufferSize);
    }

    /**
     * Connects, checks the greeting and enables the {@code oob} capability. Blocking, on the
     * calling thread.
     *
     * @throws IOException if the connection fails or the server answers anything unexpected
     */
    public static QmpConnection negotiated(Endpoint endpoint, int bufferSize) throws IOException {
        QmpConnection c = connect(endpoint, bufferSize);
        try {
            Object greeting = c.readMessage();
            if (!(greeting instanceof Map<?, ?> g) || !g.containsKey("QMP")) {
                throw new IOException("expected a greeting, got " + describe(greeting));
            }
            c.send("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
            Object answer = c.readMessage();
            if (!(answer instanceof Map<?, ?> a) || !(a.get("return") instanceof Map<?, ?> r) || !r.isEmpty()) {
                throw new IOException("expected {\"return\": {}}, got " + describe(answer));
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static final int SEND_SLICE = 256 * 1024;

    /** Sends one text message (UTF-8). Blocking; any thread. */
    public void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends raw bytes. Blocking; any thread. Large arrays go out in slices: the JDK copies what a
     * heap buffer has left into a temporary direct buffer on every write, so writing 64 MiB in
     * one buffer would copy gigabytes.
     */
    public void send(byte[] bytes) throws IOException {
        sendLock.lock();
        try {
            for (int off = 0; off < bytes.length; off += SEND_SLICE) {
                ByteBuffer b = ByteBuffer.wrap(bytes, off, Math.min(SEND_SLICE, bytes.length - off));
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Blocks until the next complete message: a parsed JSON value ({@code Map} for every message a
     * QMP server sends), a {@link JsonResult.Error} if the server sent something that is not JSON,
     * or {@link #EOF}. One thread at a time.
     */
    public Object readMessage() throws IOException {
        while (true) {
            JsonResult r = parser.poll();
            if (r != null) {
                return r instanceof JsonResult.Value v ? v.value() : r;
            }
            if (!in.hasRemaining()) {
                in.clear();
                int n = channel.read(in);
                in.flip();
                if (n < 0) {
                    return EOF;
                }
            }
            while (in.hasRemaining() && (r = parser.poll()) == null) {
                parser.feed(in.get());
            }
            if (r != null) {
                return r instanceof JsonResult.Value v ? v.value() : r;
            }
        }
    }

    /**
     * Starts a virtual thread that reads every message and hands it to {@code sink} (on that
     * thread), then {@link #EOF} once when the stream ends or fails.
     */
    public Thread startReader(String name, Consumer<Object> sink) {
        return Thread.ofVirtual().name(name).start(() -> {
            try {
                Object m;
                do {
                    m = readMessage();
                    sink.accept(m);
                } while (m != EOF);
            } catch (IOException e) {
                sink.accept(EOF);
            }
        });
    }

    /**
     * A reader that queues messages; take them with {@link MessageQueue#next(Duration)}.
     */
    public MessageQueue startQueue(String name) {
        MessageQueue q = new MessageQueue();
        startReader(name, q.queue::add);
        return q;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }

    static String describe(Object message) {
        if (message == EOF) {
            return "end of stream";
        }
        String s = String.valueOf(message);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** Messages queued by a reader thread. Any thread may take them. */
    public static final class MessageQueue {
        private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();

        /** The next message, {@link #EOF}, or {@code null} if none arrived within {@code timeout}. */
        public Object next(Duration timeout) throws InterruptedException {
            return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }
}
