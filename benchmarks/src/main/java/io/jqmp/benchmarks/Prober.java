package io.jqmp.benchmarks;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A minimal raw-socket QMP client for measuring: a blocking {@link SocketChannel}, buffers
 * reused across calls (the line buffer grows to the longest answer), answers matched by their
 * numeric id, no JSON parsing. Whatever it costs
 * is the same for every server it talks to, so the measured difference is the server's.
 *
 * <p>Not thread-safe: one thread uses a prober at a time (a loader may split sending and
 * receiving between two threads, see {@link #send} and {@link #awaitLine}).
 */
public final class Prober implements Closeable {
    private static final byte[] ID_KEY = "\"id\": ".getBytes(StandardCharsets.US_ASCII);

    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
    private final ByteBuffer out = ByteBuffer.allocateDirect(1 << 12);
    private byte[] line = new byte[1 << 16];
    private int lineLength;
    private long nextId = 1;
    private boolean oob;
    private String greeting = "";

    private Prober(SocketChannel channel) {
        this.channel = channel;
        in.flip(); // empty, ready for reading
    }

    /** Connects to {@code unix:PATH} or {@code tcp:HOST:PORT}; does not read the greeting. */
    public static Prober connect(String endpoint) throws IOException {
        SocketChannel ch;
        if (endpoint.startsWith("unix:")) {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(Path.of(endpoint.substring(5))));
        } else if (endpoint.startsWith("tcp:")) {
            String hp = endpoint.substring(4);
            int colon = hp.lastIndexOf(':');
            ch = SocketChannel.open(StandardProtocolFamily.INET);
            ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(new InetSocketAddress(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1))));
        } else {
            throw new IllegalArgumentException("endpoint must be unix:PATH or tcp:HOST:PORT, not '" + endpoint + "'");
        }
        ch.configureBlocking(true);
        return new Prober(ch);
    }

    /**
     * Connects, reads the greeting and negotiates: with the {@code oob} capability when
     * {@code wantOob} and the greeting offers it. Returns the negotiated prober.
     */
    private static boolean isAnswer(String line) {
        return line.startsWith("{\"return\"") || line.startsWith("{\"error\"");
    }

    /** At most this many answers meant for a monitor's previous client are skipped before the greeting. */
    static final int STALE_ANSWERS = 64;

    public static Prober open(String endpoint, boolean wantOob) throws IOException {
        Prober p = connect(endpoint);
        // A server that never answers (a QEMU whose main loop is blocked cannot negotiate) must
        // not hang a benchmark's set-up: close the socket if negotiation takes longer than 10 s.
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(10_000);
                if (!done.get()) {
                    p.close();
                }
            } catch (InterruptedException | IOException e) {
                // nothing to time out
            }
        });
        try {
            p.readLine();
            // QEMU writes the answers to a closed client's last in-band requests to the next
            // client of the monitor, ahead of its greeting: skip them (a loader closes with 8 in flight).
            for (int stale = 0; stale < STALE_ANSWERS && isAnswer(p.lastLine()); stale++) {
                p.readLine();
            }
            String greeting = p.lastLine();
            p.greeting = greeting;
            if (!greeting.contains("\"QMP\"")) {
                throw new IOException("not a QMP greeting: " + greeting);
            }
            p.oob = wantOob && greeting.contains("\"oob\"");
            String caps = p.oob ? "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}, \"id\": 0}\n"
                    : "{\"execute\": \"qmp_capabilities\", \"id\": 0}\n";
            p.send(caps.getBytes(StandardCharsets.US_ASCII));
            p.awaitId(0);
            if (p.lastLine().contains("\"error\"")) {
                throw new IOException("qmp_capabilities failed: " + p.lastLine());
            }
            done.set(true);
            return p;
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** The server's greeting line ({@link #open} only). */
    public String greeting() {
        return greeting;
    }

    /** Whether the {@code oob} capability was negotiated. */
    public boolean oob() {
        return oob;
    }

    /** A new id for a request; ids count up from 1. */
    public long nextId() {
        return nextId++;
    }

    /**
     * The bytes of one request, newline-terminated: {@code {"KEY": "COMMAND", ARGS"id": ID}}
     * where KEY is {@code exec-oob} or {@code execute} and ARGS is empty or
     * {@code "arguments": {...}, }.
     */
    public static byte[] request(boolean outOfBand, String command, String argumentsJson, long id) {
        StringBuilder sb = new StringBuilder(96);
        sb.append("{\"").append(outOfBand ? "exec-oob" : "execute").append("\": \"").append(command).append("\", ");
        if (argumentsJson != null && !argumentsJson.isEmpty()) {
            sb.append("\"arguments\": ").append(argumentsJson).append(", ");
        }
        sb.append("\"id\": ").append(id).append("}\n");
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes {@code bytes} fully. Blocks while the socket's send buffer is full. */
    public void send(byte[] bytes) throws IOException {
        out.clear();
        if (bytes.length > out.capacity()) {
            ByteBuffer big = ByteBuffer.wrap(bytes);
            while (big.hasRemaining()) {
                channel.write(big);
            }
            return;
        }
        out.put(bytes).flip();
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /** Sends {@code request} and returns once the answer carrying {@code id} arrived (other lines are skipped). */
    public void roundTrip(byte[] request, long id) throws IOException {
        send(request);
        awaitId(id);
    }

    /** Reads lines until one carries {@code "id": id}. Blocks. */
    public void awaitId(long id) throws IOException {
        while (true) {
            readLine();
            if (lineId() == id) {
                return;
            }
        }
    }

    /**
     * Reads one line into the reused line buffer. Returns the id it carries, or
     * {@link Long#MIN_VALUE} when it has no numeric id (events, greeting). Blocks.
     */
    public long awaitLine() throws IOException {
        readLine();
        return lineId();
    }

    /** Whether the last line read is a success answer (starts with {@code {"return"}). */
    public boolean lastLineIsReturn() {
        return lineLength >= 9 && line[2] == 'r' && line[3] == 'e' && line[4] == 't';
    }

    /** The last line read, decoded (for checks and errors, not on the measured path). */
    public String lastLine() {
        return new String(line, 0, lineLength, StandardCharsets.UTF_8);
    }

    private void readLine() throws IOException {
        lineLength = 0;
        while (true) {
            while (in.hasRemaining()) {
                byte b = in.get();
                if (b == '\n') {
                    if (lineLength > 0 && line[lineLength - 1] == '\r') {
                        lineLength--;
                    }
                    return;
                }
                if (lineLength == line.length) {
                    // A long answer (query-qmp-schema is 200 KB on QEMU): keep all of it, its id is last.
                    line = java.util.Arrays.copyOf(line, line.length * 2);
                }
                line[lineLength++] = b;
            }
            in.clear();
            int n = channel.read(in);
            in.flip();
            if (n < 0) {
                throw new EOFException("server closed the connection");
            }
        }
    }

    /** The number after the last {@code "id": } in the current line; QEMU and jqmp put the id last. */
    private long lineId() {
        outer:
        for (int i = lineLength - ID_KEY.length; i >= 0; i--) {
            for (int k = 0; k < ID_KEY.length; k++) {
                if (line[i + k] != ID_KEY[k]) {
                    continue outer;
                }
            }
            long v = 0;
            int j = i + ID_KEY.length;
            boolean digits = false;
            while (j < lineLength && line[j] >= '0' && line[j] <= '9') {
                v = v * 10 + (line[j] - '0');
                j++;
                digits = true;
            }
            return digits ? v : Long.MIN_VALUE;
        }
        return Long.MIN_VALUE;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
