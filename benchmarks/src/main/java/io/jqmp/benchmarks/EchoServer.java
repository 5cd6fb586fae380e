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

/**
 * The floor: a server that writes a fixed greeting, then answers every line it reads by writing
 * that line back, with no parsing and no hand-off between threads. A request line carries its
 * id, so the {@link Prober} matches the echo as it matches a QMP answer.
 *
 * <p>One platform thread accepts, one platform thread per client reads and writes (blocking).
 * {@link #close()} may be called from any thread.
 */
public final class EchoServer implements Closeable {
    static final byte[] GREETING = "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final ServerSocketChannel server;
    private final String endpoint;
    private final Path socketFile;
    private final Thread acceptor;
    private volatile boolean closed;

    private EchoServer(ServerSocketChannel server, String endpoint, Path socketFile) {
        this.server = server;
        this.endpoint = endpoint;
        this.socketFile = socketFile;
        this.acceptor = Thread.ofPlatform().name("echo-accept").daemon(true).start(this::acceptLoop);
    }

    /** Starts an echo server on a Unix socket at {@code path}. */
    public static EchoServer unix(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        return new EchoServer(s, "unix:" + path, path);
    }

    /** Starts an echo server on a free loopback TCP port. */
    public static EchoServer tcp() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.INET);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
        return new EchoServer(s, "tcp:127.0.0.1:" + port, null);
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
                Thread.ofPlatform().name("echo-client").daemon(true).start(() -> serve(c));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void serve(SocketChannel c) {
        ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
        ByteBuffer out = ByteBuffer.allocateDirect(1 << 16);
        try (c) {
            writeFully(c, ByteBuffer.wrap(GREETING));
            while (c.read(in) >= 0) {
                in.flip();
                // Echo every complete line; keep a partial line for the next read.
                int lineStart = in.position();
                for (int i = in.position(); i < in.limit(); i++) {
                    if (in.get(i) == '\n') {
                        out.clear();
                        for (int k = lineStart; k <= i; k++) {
                            out.put(in.get(k));
                        }
                        out.flip();
                        writeFully(c, out);
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
