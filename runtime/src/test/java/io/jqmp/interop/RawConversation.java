package io.jqmp.interop;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A byte-level QMP conversation over a Unix socket: writes raw bytes and reads the server's
 * messages one line at a time (a message ends with CR LF; the CR is kept, so a missing one shows).
 * A reader virtual thread queues the lines; {@link #next(long)} waits with a deadline.
 */
final class RawConversation implements AutoCloseable {
    /** What {@link #next(long)} returns when nothing came in time. */
    static final String NO_ANSWER = "<no answer>";
    /** What {@link #next(long)} returns once the server closed the connection. */
    static final String CLOSED = "<connection closed>";

    private final SocketChannel channel;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    RawConversation(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        reader = Thread.ofVirtual().name("raw-conversation").start(this::readLoop);
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        StringBuilder line = new StringBuilder();
        try {
            while (true) {
                buf.clear();
                int n = channel.read(buf);
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    char c = (char) (buf.get(i) & 0xFF);
                    if (c == '\n') {
                        lines.add(line.toString());
                        line.setLength(0);
                    } else {
                        line.append(c);
                    }
                }
            }
        } catch (IOException e) {
            // closed by us or by the server: either way the conversation is over
        }
        if (!line.isEmpty()) {
            lines.add(line + "<unterminated>");
        }
        lines.add(CLOSED);
    }

    void send(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    void send(String ascii) throws IOException {
        send(ascii.getBytes(StandardCharsets.UTF_8));
    }

    /** The next line (CR kept), {@link #NO_ANSWER} after {@code millis}, or {@link #CLOSED}. */
    String next(long millis) throws InterruptedException {
        String s = lines.poll(millis, TimeUnit.MILLISECONDS);
        if (s == null) {
            return NO_ANSWER;
        }
        if (s.equals(CLOSED)) {
            lines.add(CLOSED); // stays closed for later calls
        }
        return s;
    }

    @Override
    public void close() throws IOException {
        channel.close();
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
