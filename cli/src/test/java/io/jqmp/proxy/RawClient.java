package io.jqmp.proxy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A QMP client on raw bytes: sends what it is given, reads the server's lines (CR LF stripped) with deadlines. */
final class RawClient implements AutoCloseable {
    static final String NO_ANSWER = "<no answer>";
    static final String CLOSED = "<closed>";

    private final SocketChannel channel;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    RawClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        Thread.ofVirtual().name("raw-client").start(this::readLoop);
    }

    /** Connects, reads the greeting, negotiates {@code oob}; returns the greeting line. */
    static RawClient negotiated(Path socket) throws Exception {
        RawClient c = new RawClient(socket);
        String greeting = c.next();
        c.send("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
        String ok = c.next();
        if (!greeting.startsWith("{\"QMP\"") || !ok.equals("{\"return\": {}}")) {
            throw new IllegalStateException("negotiation failed: " + greeting + " / " + ok);
        }
        return c;
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        StringBuilder line = new StringBuilder();
        try {
            int n;
            while ((n = channel.read(buf.clear())) >= 0) {
                for (int i = 0; i < n; i++) {
                    char c = (char) (buf.get(i) & 0xFF);
                    if (c == '\n') {
                        lines.add(line.toString().replaceAll("\r$", ""));
                        line.setLength(0);
                    } else {
                        line.append(c);
                    }
                }
            }
        } catch (IOException e) {
            // closed: the conversation is over
        }
        lines.add(CLOSED);
    }

    void send(String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The next line, waiting up to 20 s; {@link #NO_ANSWER} when none came, {@link #CLOSED} at the end. */
    String next() throws InterruptedException {
        return next(20_000);
    }

    String next(long millis) throws InterruptedException {
        String s = lines.poll(millis, TimeUnit.MILLISECONDS);
        if (s == null) {
            return NO_ANSWER;
        }
        if (s.equals(CLOSED)) {
            lines.add(CLOSED);
        }
        return s;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
