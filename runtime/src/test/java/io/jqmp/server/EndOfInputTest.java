package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client that pipes its requests and then ends its input (shuts down its write side, as
 * {@code printf ... | socat} does) gets every answer, then the server closes. Raw sockets, because
 * the half-close is the point. Each case runs many rounds: before this was kept, the connection
 * closed at the end of input and lost whatever was still queued, some of the time.
 */
@ExtendWith(PinningRecorder.class)
class EndOfInputTest {
    static final int ROUNDS = 40;
    static final int CLIENTS = 8;

    @TempDir
    Path dir;

    enum Transport { UNIX, TCP }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void pipedInbandRequestsAreAllAnsweredOverUnix(Dialect dialect) throws Exception {
        inband(dialect, Transport.UNIX);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void pipedInbandRequestsAreAllAnsweredOverTcp(Dialect dialect) throws Exception {
        inband(dialect, Transport.TCP);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void pipedOutOfBandRequestsAreAllAnsweredOverUnix(Dialect dialect) throws Exception {
        outOfBand(dialect, Transport.UNIX);
    }

    @ParameterizedTest
    @EnumSource(Dialect.class)
    void pipedOutOfBandRequestsAreAllAnsweredOverTcp(Dialect dialect) throws Exception {
        outOfBand(dialect, Transport.TCP);
    }

    /**
     * Several clients piping at once, so that the server's threads outnumber the cores and get
     * preempted at any point: a writer that found its queue empty and then saw the request to
     * close once flushed must not close on answers queued in between.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void clientsPipingAtOnceAreAllAnswered(Transport transport) throws Exception {
        List<String> expected = new ArrayList<>();
        String input = outOfBandInput(Dialect.CURRENT, expected);
        try (TestServer s = new TestServer(dir, b -> b.listen("tcp:127.0.0.1:0"))) {
            Endpoint endpoint = s.server.endpoints().get(transport == Transport.UNIX ? 0 : 1);
            try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    done.add(clients.submit(() -> {
                        for (int round = 0; round < ROUNDS; round++) {
                            List<String> lines = converse(endpoint, input);
                            check(expected, lines, transport + " round " + round + ": ", true);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
        }
    }

    /** Without the oob capability: one in-band request at a time, 21 piped at once. */
    void inband(Dialect dialect, Transport transport) throws Exception {
        StringBuilder in = new StringBuilder("{\"execute\": \"qmp_capabilities\"}\n");
        List<String> expected = new ArrayList<>(List.of("{\"return\": {}}"));
        for (int i = 0; i < 21; i++) {
            in.append("{\"execute\": \"test-oob-ping\", \"id\": ").append(i).append("}\n");
            expected.add("{\"return\": {}, \"id\": " + i + "}");
        }
        run(dialect, transport, in.toString(), expected, false);
    }

    /**
     * With the oob capability: out-of-band requests among in-band ones (fewer than the pending
     * limit, which the 2.12 dialect would answer by dropping), and a syntax error waiting its turn.
     */
    void outOfBand(Dialect dialect, Transport transport) throws Exception {
        List<String> expected = new ArrayList<>();
        String input = outOfBandInput(dialect, expected);
        run(dialect, transport, input, expected, true);
    }

    /** The input of {@link #outOfBand}; its answers go to {@code expected}, in-band ones first. */
    static String outOfBandInput(Dialect dialect, List<String> expected) {
        String oobForm = dialect == Dialect.V2_12 ? "\"execute\": \"test-oob-ping\", \"control\": {\"run-oob\": true}"
                : "\"exec-oob\": \"test-oob-ping\"";
        StringBuilder in = new StringBuilder("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
        List<String> inband = new ArrayList<>();
        List<String> oob = new ArrayList<>();
        for (int i = 0; i < 18; i++) {
            if (i % 3 == 0) {
                in.append("{\"execute\": \"test-oob-ping\", \"id\": \"ib-").append(i).append("\"}");
                inband.add("{\"return\": {}, \"id\": \"ib-" + i + "\"}");
            } else {
                in.append("{").append(oobForm).append(", \"id\": \"oob-").append(i).append("\"}");
                oob.add("{\"return\": {}, \"id\": \"oob-" + i + "\"}");
            }
        }
        expected.add("{\"return\": {}}");
        expected.addAll(inband);
        expected.addAll(oob);
        return in.toString();
    }

    /**
     * Rounds of: connect, write everything, shut down the write side, read to the end. The
     * answers must be exactly {@code expected} after the greeting (in that order, or for
     * out-of-band in-band answers in order and the rest in any order), then the server closes.
     */
    void run(Dialect dialect, Transport transport, String input, List<String> expected, boolean anyOrder)
            throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.dialect(dialect).listen("tcp:127.0.0.1:0"))) {
            Endpoint endpoint = s.server.endpoints().get(transport == Transport.UNIX ? 0 : 1);
            for (int round = 0; round < ROUNDS; round++) {
                List<String> lines = converse(endpoint, input);
                check(expected, lines, dialect + " " + transport + " round " + round + ": ", anyOrder);
            }
        }
    }

    /** The greeting, then exactly {@code expected} (with {@code anyOrder}: in-band answers in order, the rest anywhere). */
    static void check(List<String> expected, List<String> lines, String where, boolean anyOrder) {
        assertEquals(expected.size() + 1, lines.size(), where + lines);
        List<String> answers = lines.subList(1, lines.size());
        if (anyOrder) {
            List<String> inband = answers.stream().filter(l -> l.contains("ib-") || l.equals("{\"return\": {}}")).toList();
            assertEquals(expected.stream().filter(l -> l.contains("ib-") || l.equals("{\"return\": {}}")).toList(),
                    inband, where + "in-band answers in order");
            assertEquals(expected.stream().sorted().toList(), answers.stream().sorted().toList(), where);
        } else {
            assertEquals(expected, answers, where);
        }
    }

    /** Writes {@code input}, half-closes, and returns every line the server wrote until it closed. */
    static List<String> converse(Endpoint endpoint, String input) throws IOException {
        try (SocketChannel ch = SocketChannel.open(endpoint.address())) {
            ByteBuffer out = ByteBuffer.wrap(input.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.shutdownOutput();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            while (ch.read(buf) >= 0) {
                all.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            List<String> lines = new ArrayList<>(Arrays.asList(all.toString(StandardCharsets.US_ASCII).split("\r\n", -1)));
            assertEquals("", lines.remove(lines.size() - 1), "the output ends with CR LF");
            return lines;
        }
    }
}
