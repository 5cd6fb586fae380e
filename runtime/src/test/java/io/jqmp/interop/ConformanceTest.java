package io.jqmp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The differential conformance suite: every conversation of {@code conformance.tsv} is replayed
 * against a real QEMU 7.2 and against a jqmp server, and the answers are compared byte for byte,
 * masking only versions (greeting and query-version) and event timestamps. Then the
 * out-of-band overtaking order is compared (QEMU blocked by a blkdebug FIFO, jqmp by x-oob-test).
 * Skipped when QEMU is not installed. A summary is written to
 * {@code target/conformance-results.tsv}.
 */
class ConformanceTest {
    static final String CORPUS = "/io/jqmp/interop/conformance.tsv";
    static final long ANSWER_MILLIS = 15_000; // generous: QEMU reads one byte per main-loop pass, slow on a loaded machine
    static final String SENTINEL = "\n{\"execute\": \"query-version\", \"id\": \"sentinel\"}";

    @TempDir
    static Path dir;
    static Qemu qemu;
    static QmpServer jqmp;
    static final List<String> results = new ArrayList<>();

    /** One scripted conversation. */
    record Case(String name, String phase, int answers, byte[] input, boolean knownDifference) {
    }

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Qemu.available(), Qemu.BINARY + " is not on the PATH: differential conformance suite skipped");
        qemu = new Qemu(dir);
        Path schema = dir.resolve("yank.json");
        // query-yank as QEMU 7.2 answers it: an allow-oob command both servers have, for the OOB order test.
        Files.writeString(schema, """
                { 'struct': 'YankChardev', 'data': { 'type': 'str', 'id': 'str' } }
                { 'command': 'query-yank', 'returns': [ 'YankChardev' ], 'allow-oob': true }
                """);
        jqmp = QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("jqmp.sock")))
                .schemaFile(schema)
                .handler("query-yank", ctx -> List.of(Map.of("type", "chardev", "id", "compat_monitor0")))
                .xOobTest(true)
                .checkAnswers(true)
                .build()
                .start();
    }

    @AfterAll
    static void stop() throws IOException {
        if (jqmp != null) {
            jqmp.close();
        }
        if (qemu != null) {
            qemu.close();
        }
        if (!results.isEmpty()) {
            Path out = Path.of("target", "conformance-results.tsv");
            Files.createDirectories(out.getParent());
            Files.write(out, results);
        }
    }

    @TestFactory
    Stream<DynamicTest> corpus() throws IOException {
        return load().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> replay(c)));
    }

    void replay(Case c) throws Exception {
        List<String> fromQemu = converse(qemu.socket, c);
        List<String> fromJqmp = converse(dir.resolve("jqmp.sock"), c);
        int header = c.phase().equals("pre") ? 1 : 2;
        int qemuAnswers = fromQemu.size() - header - 1;
        assertEquals(c.answers(), qemuAnswers, "the corpus says how many answers QEMU gives to " + c.name()
                + ", but QEMU gave:\n  " + String.join("\n  ", fromQemu));
        boolean same = fromQemu.equals(fromJqmp);
        results.add(c.name() + "\t" + c.phase() + "\t" + (same ? "same" : c.knownDifference() ? "known difference"
                : "DIFFERENT") + "\t" + String.join(" ", fromQemu.subList(header, fromQemu.size() - 1)).replace("\r", ""));
        if (same) {
            return;
        }
        String report = "case " + c.name() + " (" + c.phase() + ")\nQEMU:\n  " + String.join("\n  ", fromQemu)
                + "\njqmp:\n  " + String.join("\n  ", fromJqmp);
        System.out.println((c.knownDifference() ? "KNOWN DIFFERENCE " : "DIFFERENCE ") + report);
        assumeTrue(!c.knownDifference(), "known difference, " + report);
        fail(report);
    }

    /** The transcript of one case: greeting, negotiation answer, answers; masked. */
    static List<String> converse(Path socket, Case c) throws Exception {
        List<String> out = new ArrayList<>();
        try (RawConversation conv = new RawConversation(socket)) {
            out.add(mask(conv.next(10_000)));
            if (!c.phase().equals("pre")) {
                conv.send(c.phase().equals("oob")
                        ? "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}"
                        : "{\"execute\": \"qmp_capabilities\"}");
                out.add(mask(conv.next(ANSWER_MILLIS)));
            }
            conv.send(c.input());
            // A sentinel request after the input: everything up to its answer is the case's answers,
            // so surplus answers are seen too, and its own answer shows that the parser recovered.
            conv.send(SENTINEL);
            while (true) {
                String line = conv.next(ANSWER_MILLIS);
                out.add(mask(line));
                if (line.contains("\"id\": \"sentinel\"") || line.equals(RawConversation.NO_ANSWER)
                        || line.equals(RawConversation.CLOSED) || out.size() > c.answers() + 10) {
                    break;
                }
            }
        }
        return out;
    }

    static String mask(String line) {
        return line.replaceAll("\\{\"qemu\": \\{[^{}]*\\}, \"package\": \"(?:[^\"\\\\]|\\\\.)*\"\\}", "VERSION")
                .replaceAll("\\{\"seconds\": \\d+, \"microseconds\": \\d+\\}", "TIMESTAMP");
    }

    // ---------------------------------------------------------------------------------------------
    // Out-of-band overtaking (reference 7.4, QEMU's qmp-test test_qmp_oob)

    @Test
    void outOfBandOvertakesTheBlockedMainLoopInTheSameOrder() throws Exception {
        List<String> fromQemu = new ArrayList<>();
        try (RawConversation conv = negotiated(qemu.socket)) {
            for (int round = 1; round <= 2; round++) {
                Path fifo = QemuClientInteropTest.mkfifo(dir, "oob-" + round + ".fifo");
                conv.send("{\"execute\": \"blockdev-add\", \"id\": \"ib-blocks-" + round + "\", \"arguments\": "
                        + "{\"driver\": \"blkdebug\", \"node-name\": \"b" + round + "\", \"config\": \"" + fifo
                        + "\", \"image\": {\"driver\": \"null-co\", \"read-zeroes\": true}}}");
                sendRound(conv, round);
                fromQemu.add(conv.next(ANSWER_MILLIS));
                QemuClientInteropTest.unblock(fifo);
                fromQemu.add(conv.next(ANSWER_MILLIS));
                fromQemu.add(conv.next(ANSWER_MILLIS));
            }
        }
        List<String> fromJqmp = new ArrayList<>();
        try (RawConversation conv = negotiated(dir.resolve("jqmp.sock"))) {
            for (int round = 1; round <= 2; round++) {
                conv.send("{\"execute\": \"x-oob-test\", \"arguments\": {\"lock\": true}, \"id\": \"ib-blocks-"
                        + round + "\"}");
                sendRound(conv, round);
                fromJqmp.add(conv.next(ANSWER_MILLIS));
                conv.send("{\"exec-oob\": \"x-oob-test\", \"arguments\": {\"lock\": false}, \"id\": \"unblock\"}");
                // The unblocking command's own answer races with the blocked one; it is not compared.
                for (int i = 0; i < 3; i++) {
                    String line = conv.next(ANSWER_MILLIS);
                    if (!line.equals("{\"return\": {}, \"id\": \"unblock\"}\r")) {
                        fromJqmp.add(line);
                    }
                }
            }
        }
        List<String> expected = List.of(
                "{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}], \"id\": \"oob-1\"}\r",
                "{\"return\": {}, \"id\": \"ib-blocks-1\"}\r",
                "{\"return\": VERSION, \"id\": \"ib-quick-1\"}\r",
                "{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}], \"id\": \"oob-2\"}\r",
                "{\"return\": {}, \"id\": \"ib-blocks-2\"}\r",
                "{\"id\": \"err-2\", \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input lacks member 'execute'\"}}\r");
        List<String> q = fromQemu.stream().map(ConformanceTest::mask).toList();
        List<String> j = fromJqmp.stream().map(ConformanceTest::mask).toList();
        results.add("oob-overtaking (2 rounds)\toob\t" + (q.equals(j) ? "same" : "DIFFERENT") + "\t"
                + q.toString().replace("\r", ""));
        assertEquals(expected, q, "QEMU");
        assertEquals(q, j, "jqmp answers in QEMU's order");
    }

    private static void sendRound(RawConversation conv, int round) throws IOException {
        if (round == 1) {
            conv.send("{\"execute\": \"query-version\", \"id\": \"ib-quick-1\"}");
        } else {
            // A malformed in-band request does not jump the queue either.
            conv.send("{\"id\": \"err-2\"}");
        }
        conv.send("{\"exec-oob\": \"query-yank\", \"id\": \"oob-" + round + "\"}");
    }

    private static RawConversation negotiated(Path socket) throws Exception {
        RawConversation conv = new RawConversation(socket);
        assertTrue(conv.next(10_000).startsWith("{\"QMP\": "));
        conv.send("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
        assertEquals("{\"return\": {}}\r", conv.next(ANSWER_MILLIS));
        return conv;
    }

    // ---------------------------------------------------------------------------------------------
    // The corpus

    static List<Case> load() throws IOException {
        String text;
        try (InputStream in = ConformanceTest.class.getResourceAsStream(CORPUS)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<Case> cases = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length < 4 || f.length > 5 || !List.of("pre", "oob", "plain").contains(f[1])) {
                throw new IllegalArgumentException(CORPUS + ":" + lineNo + ": expected name, phase, answers, input");
            }
            cases.add(new Case(f[0], f[1], Integer.parseInt(f[2]), unescape(f[3]),
                    f.length == 5 && f[4].equals("known-difference")));
        }
        return cases;
    }

    /** The corpus escapes: \\ \t \n \r \xNN and \R<count>:<char>. */
    static byte[] unescape(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] != '\\') {
                out.write(raw[i]);
                continue;
            }
            char c = (char) raw[++i];
            switch (c) {
                case '\\' -> out.write('\\');
                case 't' -> out.write('\t');
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case 'x' -> {
                    out.write(Integer.parseInt(new String(raw, i + 1, 2, StandardCharsets.US_ASCII), 16));
                    i += 2;
                }
                case 'R' -> {
                    int colon = i + 1;
                    while (raw[colon] != ':') {
                        colon++;
                    }
                    int count = Integer.parseInt(new String(raw, i + 1, colon - i - 1, StandardCharsets.US_ASCII));
                    for (int k = 0; k < count; k++) {
                        out.write(raw[colon + 1]);
                    }
                    i = colon + 1;
                }
                default -> throw new IllegalArgumentException("unknown escape \\" + c + " in " + s);
            }
        }
        return out.toByteArray();
    }
}
