package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw QMP peer for tests: sends bytes, and receives the server's messages as the exact text
 * lines it wrote (each must end in CR LF). A virtual thread reads; lines wait in a queue.
 */
final class WireClient implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String EOF = "\u0000EOF";

    private final SocketChannel channel;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    private WireClient(SocketChannel channel) {
        this.channel = channel;
        this.reader = Thread.ofVirtual().name("wire-client").start(this::readLoop);
    }

    static WireClient connect(Endpoint endpoint) throws IOException {
        return new WireClient(SocketChannel.open(endpoint.address()));
    }

    /** Connects and checks that a greeting arrives; returns the client in negotiation mode. */
    static WireClient connectGreeted(Endpoint endpoint) throws IOException {
        WireClient c = connect(endpoint);
        String greeting = c.next();
        assertTrue(greeting.startsWith("{\"QMP\": {\"version\": "), greeting);
        return c;
    }

    /** Connects and negotiates, with or without the oob capability. */
    static WireClient negotiated(Endpoint endpoint, boolean oob) throws IOException {
        WireClient c = connectGreeted(endpoint);
        c.send(oob ? "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}"
                : "{\"execute\": \"qmp_capabilities\"}");
        c.expect("{\"return\": {}}");
        return c;
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (channel.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    line.write(b);
                    int n = line.size();
                    if (b == '\n') {
                        byte[] bytes = line.toByteArray();
                        if (n < 2 || bytes[n - 2] != '\r') {
                            lines.add("BAD LINE END: " + new String(bytes, StandardCharsets.ISO_8859_1));
                        } else {
                            lines.add(new String(bytes, 0, n - 2, StandardCharsets.ISO_8859_1));
                        }
                        line.reset();
                    }
                }
                buf.clear();
            }
        } catch (IOException e) {
            // closed
        }
        lines.add(EOF);
    }

    void send(String text) throws IOException {
        sendBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    void sendBytes(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The next line the server wrote; fails after {@link #TIMEOUT} or at end of stream. */
    String next() {
        try {
            String l = lines.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (l == null) {
                fail("no message from the server within " + TIMEOUT);
            }
            if (l.equals(EOF)) {
                fail("the server closed the connection");
            }
            return l;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next line, with the event timestamp replaced by S/U so it can be compared. */
    String nextMasked() {
        return next().replaceAll("\\{\"timestamp\": \\{\"seconds\": \\d+, \"microseconds\": \\d+\\}",
                "{\"timestamp\": {\"seconds\": S, \"microseconds\": U}");
    }

    /**
     * Fails if the server writes anything (or closes) within {@code quiet}: waits that long. A
     * stated wait can only show that nothing came in that time, so callers first make sure the
     * server had every chance to answer (e.g. an out-of-band answer that overtook it).
     */
    void expectNothingFor(Duration quiet, String why) {
        try {
            String l = lines.poll(quiet.toMillis(), TimeUnit.MILLISECONDS);
            if (l != null) {
                fail(why + ": within " + quiet + " the server wrote " + (l.equals(EOF) ? "end of stream" : l));
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    void expect(String line) {
        assertEquals(line, next());
    }

    /** Reads n lines. */
    List<String> next(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    /** Waits until the server closes the connection (fails after the timeout). */
    void expectClosed() {
        try {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (true) {
                String l = lines.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                if (l == null) {
                    fail("the server did not close the connection within " + TIMEOUT);
                }
                if (l.equals(EOF)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        reader.interrupt();
    }
}
