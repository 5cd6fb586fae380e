package io.jqmp.interop;

import static io.jqmp.interop.ConformanceCorpus.ANSWER_MILLIS;
import static io.jqmp.interop.ConformanceCorpus.NO_QEMU;
import static io.jqmp.interop.ConformanceCorpus.QEMU_OOB_ORDER;
import static io.jqmp.interop.ConformanceCorpus.converse;
import static io.jqmp.interop.ConformanceCorpus.load;
import static io.jqmp.interop.ConformanceCorpus.negotiated;
import static io.jqmp.interop.ConformanceCorpus.oobOvertaking;
import static io.jqmp.interop.ConformanceCorpus.sendRound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.IOException;
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
 * When QEMU is not installed every case is still listed, each skipped with the reason (so the
 * suite never reports zero tests silently). A summary is written to
 * {@code target/conformance-results.tsv}.
 */
class ConformanceTest {
    @TempDir
    static Path dir;
    static Qemu qemu;
    static QmpServer jqmp;
    static final List<String> results = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        if (!Qemu.available()) {
            return; // each test says so: the corpus is still listed, case by case
        }
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
        return load().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            assumeTrue(qemu != null, NO_QEMU);
            replay(c);
        }));
    }

    void replay(ConformanceCorpus.Case c) throws Exception {
        List<String> fromQemu = converse(qemu.socket, c);
        List<String> fromJqmp = converse(dir.resolve("jqmp.sock"), c);
        int header = c.header();
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

    // ---------------------------------------------------------------------------------------------
    // Out-of-band overtaking (reference 7.4, QEMU's qmp-test test_qmp_oob)

    @Test
    void outOfBandOvertakesTheBlockedMainLoopInTheSameOrder() throws Exception {
        assumeTrue(qemu != null, NO_QEMU);
        List<String> q = oobOvertaking(qemu.socket, dir);
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
        List<String> j = fromJqmp.stream().map(ConformanceCorpus::mask).toList();
        results.add("oob-overtaking (2 rounds)\toob\t" + (q.equals(j) ? "same" : "DIFFERENT") + "\t"
                + q.toString().replace("\r", ""));
        assertEquals(QEMU_OOB_ORDER, q, "QEMU");
        assertEquals(q, j, "jqmp answers in QEMU's order");
    }
}
