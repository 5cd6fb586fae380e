package io.jqmp.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The differential conformance corpus ({@code conformance.tsv}) and the way a case is replayed
 * on a raw socket, shared by every suite that compares a server with QEMU: the jqmp server's
 * ({@link ConformanceTest}) and the proxy's (in the cli module). Stateless; any thread.
 */
public final class ConformanceCorpus {
    static final String CORPUS = "/io/jqmp/interop/conformance.tsv";
    /** Generous: QEMU reads one byte per main-loop pass, slow on a loaded machine. */
    static final long ANSWER_MILLIS = 15_000;
    static final String SENTINEL = "\n{\"execute\": \"query-version\", \"id\": \"sentinel\"}";

    /** The message of a suite skipped because QEMU is not installed. */
    public static final String NO_QEMU = Qemu.BINARY + " is not on the PATH (Debian package qemu-system-x86):"
            + " differential conformance suite skipped";

    /**
     * One scripted conversation.
     *
     * @param name            the case's name
     * @param phase           {@code pre}, {@code oob} or {@code plain}: where in the session the input is sent
     * @param answers         how many messages QEMU answers the input with
     * @param input           the bytes sent
     * @param knownDifference whether jqmp's server is known to answer differently
     */
    public record Case(String name, String phase, int answers, byte[] input, boolean knownDifference) {
        /** How many lines of a transcript come before the answers (greeting, negotiation answer). */
        public int header() {
            return phase.equals("pre") ? 1 : 2;
        }
    }

    /** The out-of-band overtaking transcript QEMU gives ({@link #oobOvertaking}), versions masked. */
    public static final List<String> QEMU_OOB_ORDER = List.of(
            "{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}], \"id\": \"oob-1\"}\r",
            "{\"return\": {}, \"id\": \"ib-blocks-1\"}\r",
            "{\"return\": VERSION, \"id\": \"ib-quick-1\"}\r",
            "{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}], \"id\": \"oob-2\"}\r",
            "{\"return\": {}, \"id\": \"ib-blocks-2\"}\r",
            "{\"id\": \"err-2\", \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input lacks member 'execute'\"}}\r");

    private ConformanceCorpus() {
    }

    /** Every case of the corpus, in file order. */
    public static List<Case> load() throws IOException {
        String text;
        try (InputStream in = ConformanceCorpus.class.getResourceAsStream(CORPUS)) {
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

    /** The transcript of one case on a new connection to {@code socket}: greeting, negotiation answer, answers; masked. */
    public static List<String> converse(Path socket, Case c) throws Exception {
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

    /** Masks versions (greeting, query-version) and event timestamps. */
    public static String mask(String line) {
        return line.replaceAll("\\{\"qemu\": \\{[^{}]*\\}, \"package\": \"(?:[^\"\\\\]|\\\\.)*\"\\}", "VERSION")
                .replaceAll("\\{\"seconds\": \\d+, \"microseconds\": \\d+\\}", "TIMESTAMP");
    }

    /**
     * Out-of-band overtaking as QEMU's qmp-test checks it (reference 7.4), on a QEMU monitor or
     * anything in front of one: two rounds of an in-band request that blocks QEMU's main loop
     * (blockdev-add of blkdebug on a FIFO in {@code dir}), an in-band request behind it and an
     * {@code exec-oob query-yank} that overtakes both; the answers in arrival order, masked.
     */
    public static List<String> oobOvertaking(Path socket, Path dir) throws Exception {
        List<String> seen = new ArrayList<>();
        try (RawConversation conv = negotiated(socket)) {
            for (int round = 1; round <= 2; round++) {
                Path fifo = QemuClientInteropTest.mkfifo(dir, "oob-" + round + ".fifo");
                conv.send("{\"execute\": \"blockdev-add\", \"id\": \"ib-blocks-" + round + "\", \"arguments\": "
                        + "{\"driver\": \"blkdebug\", \"node-name\": \"b" + round + "\", \"config\": \"" + fifo
                        + "\", \"image\": {\"driver\": \"null-co\", \"read-zeroes\": true}}}");
                sendRound(conv, round);
                seen.add(conv.next(ANSWER_MILLIS));
                QemuClientInteropTest.unblock(fifo);
                seen.add(conv.next(ANSWER_MILLIS));
                seen.add(conv.next(ANSWER_MILLIS));
            }
        }
        return seen.stream().map(ConformanceCorpus::mask).toList();
    }

    /** The requests queued behind the blocking one in each round of the overtaking test. */
    static void sendRound(RawConversation conv, int round) throws IOException {
        if (round == 1) {
            conv.send("{\"execute\": \"query-version\", \"id\": \"ib-quick-1\"}");
        } else {
            // A malformed in-band request does not jump the queue either.
            conv.send("{\"id\": \"err-2\"}");
        }
        conv.send("{\"exec-oob\": \"query-yank\", \"id\": \"oob-" + round + "\"}");
    }

    static RawConversation negotiated(Path socket) throws Exception {
        RawConversation conv = new RawConversation(socket);
        assertTrue(conv.next(10_000).startsWith("{\"QMP\": "));
        conv.send("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
        assertEquals("{\"return\": {}}\r", conv.next(ANSWER_MILLIS));
        return conv;
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
