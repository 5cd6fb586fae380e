package io.jqmp.benchmarks;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The floor: a server that writes a fixed greeting, then answers every line it reads by writing
 * that line back, with no parsing. A request line carries its id, so the {@link Prober} matches
 * the echo as it matches a QMP answer.
 *
 * <p>{@link Threads} says which threads carry a line, to price the hops jqmp's OOB path makes:
 * {@code PLATFORM} (the floor: one platform thread per client reads and writes, no hand-off),
 * {@code VIRTUAL} (the same on a virtual thread), {@code HANDOFF} (a reader virtual thread hands
 * the line to a writer virtual thread, as a jqmp connection does), {@code RELAY} (reader virtual
 * thread, then one shared platform thread woken by unpark, then the writer virtual thread: the
 * shape of jqmp's OOB path through the monitor thread).
 *
 * <p>One platform thread accepts. {@link #close()} may be called from any thread.
 */
public final class EchoServer implements Closeable {
    static final byte[] GREETING = "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    /** Which threads carry a line from the socket back to the socket. */
    public enum Threads { PLATFORM, VIRTUAL, HANDOFF, RELAY }

    private final ServerSocketChannel server;
    private final Threads threads;
    private final LinkedBlockingQueue<Runnable> relayQueue = new LinkedBlockingQueue<>();
    private Thread relay;
    private final String endpoint;
    private final Path socketFile;
    private final Thread acceptor;
    private volatile boolean closed;

    private EchoServer(ServerSocketChannel server, String endpoint, Path socketFile, Threads threads) {
        this.server = server;
        this.threads = threads;
        if (threads == Threads.RELAY) {
            relay = Thread.ofPlatform().name("echo-relay").daemon(true).start(this::relayLoop);
        }
        this.endpoint = endpoint;
        this.socketFile = socketFile;
        this.acceptor = Thread.ofPlatform().name("echo-accept").daemon(true).start(this::acceptLoop);
    }

    /** Starts an echo server on a Unix socket at {@code path}. */
    public static EchoServer unix(Path path) throws IOException {
        return unix(path, Threads.PLATFORM);
    }

    /** Starts an echo server on a Unix socket at {@code path}, carrying lines on {@code threads}. */
    public static EchoServer unix(Path path, Threads threads) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        return new EchoServer(s, "unix:" + path, path, threads);
    }

    /** Starts an echo server on a free loopback TCP port. */
    public static EchoServer tcp() throws IOException {
        return tcp(Threads.PLATFORM);
    }

    /** Starts an echo server on a free loopback TCP port, carrying lines on {@code threads}. */
    public static EchoServer tcp(Threads threads) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.INET);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
        return new EchoServer(s, "tcp:127.0.0.1:" + port, null, threads);
    }

    /** Where clients connect, as {@code unix:PATH} or {@code tcp:HOST:PORT}. */
    public String endpoint() {
        return endpoint;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel c = server.accept();
                if (c.getRemoteAddress() instanceof InetSocketAddress) {
                    c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                }
                switch (threads) {
                    case PLATFORM -> Thread.ofPlatform().name("echo-client").daemon(true).start(() -> serve(c, null));
                    case VIRTUAL -> Thread.ofVirtual().name("echo-client").start(() -> serve(c, null));
                    case HANDOFF, RELAY -> {
                        LinkedBlockingQueue<byte[]> toWriter = new LinkedBlockingQueue<>();
                        Thread.ofVirtual().name("echo-writer").start(() -> writeLoop(c, toWriter));
                        Thread.ofVirtual().name("echo-reader").start(() -> serve(c, toWriter));
                    }
                    default -> throw new IllegalStateException();
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** The relay thread: runs hand-offs, parked (in the queue's take) while there are none. */
    private void relayLoop() {
        try {
            while (!closed) {
                relayQueue.take().run();
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** Writer thread of HANDOFF and RELAY: writes what the reader (or the relay) hands over. */
    private static void writeLoop(SocketChannel c, LinkedBlockingQueue<byte[]> lines) {
        try {
            while (c.isOpen()) {
                writeFully(c, ByteBuffer.wrap(lines.take()));
            }
        } catch (InterruptedException | IOException e) {
            // client gone
        }
    }

    /** Reads lines; writes each back itself ({@code toWriter} null) or hands it on. */
    private void serve(SocketChannel c, LinkedBlockingQueue<byte[]> toWriter) {
        ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
        ByteBuffer out = ByteBuffer.allocateDirect(1 << 16);
        try (c) {
            if (toWriter == null) {
                writeFully(c, ByteBuffer.wrap(GREETING));
            } else {
                toWriter.add(GREETING);
            }
            while (c.read(in) >= 0) {
                in.flip();
                // Echo every complete line; keep a partial line for the next read.
                int lineStart = in.position();
                for (int i = in.position(); i < in.limit(); i++) {
                    if (in.get(i) == '\n') {
                        if (toWriter == null) {
                            out.clear();
                            for (int k = lineStart; k <= i; k++) {
                                out.put(in.get(k));
                            }
                            out.flip();
                            writeFully(c, out);
                        } else {
                            byte[] line = new byte[i + 1 - lineStart];
                            in.get(lineStart, line);
                            if (threads == Threads.RELAY) {
                                relayQueue.add(() -> toWriter.add(line));
                            } else {
                                toWriter.add(line);
                            }
                        }
                        lineStart = i + 1;
                    }
                }
                in.position(lineStart);
                in.compact();
                if (!in.hasRemaining()) {
                    in.clear(); // a line longer than the buffer: drop it, this server only serves probes
                }
            }
        } catch (IOException e) {
            // client gone
        }
    }

    private static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        if (relay != null) {
            relay.interrupt();
        }
        if (socketFile != null) {
            Files.deleteIfExists(socketFile);
        }
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
