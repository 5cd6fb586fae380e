package io.jqmp.stress;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Bad (and borderline) inputs with the answers the QMP reference prescribes for them, in order.
 * An expected answer is an error {@code desc}, or {@link #RETURN} for a success. An input that
 * ends in a lexical error ends with a newline too: the lexer skips bytes after a lexical error
 * until a structural or control byte, so the next input would otherwise lose its first bytes.
 * Immutable; any thread.
 */
final class BadInputs {
    /** Stands for "a success answer" in {@link Case#expected()}. */
    static final String RETURN = "<return>";

    /** One input and the answers it must get. */
    record Case(String name, byte[] input, List<String> expected) {
    }

    private BadInputs() {
    }

    static List<Case> cases() {
        String echo = "{\"execute\": \"" + StressServer.ECHO + "\", ";
        List<Case> c = new ArrayList<>();
        c.add(text("missing value", "{\"execute\": }", "JSON parse error, expecting value"));
        c.add(text("missing colon", "{\"execute\" \"x\"}", "JSON parse error, missing : in object pair"));
        c.add(text("list without comma", "[1 2]", "JSON parse error, expected separator in list"));
        c.add(text("number as key", "{1: 2}", "JSON parse error, key is not a string in object"));
        c.add(text("percent", "%\n", "JSON parse error, stray '%'"));
        c.add(text("upper-case keyword", "True\n", "JSON parse error, stray 'T'"));
        c.add(text("invalid keyword", "[nul]", "JSON parse error, invalid keyword 'nul'"));
        c.add(text("control byte", "\u0001\n", "JSON parse error, stray '\u0001'"));
        c.add(text("stray bracket", "]", "JSON parse error, expecting value"));
        c.add(text("scalar", "42\n", "QMP input must be a JSON object"));
        c.add(text("duplicate key", echo + "\"arguments\": {\"seq\": 1}, \"id\": 1, \"id\": 2}", "JSON parse error, duplicate key"));
        c.add(text("number out of range", echo + "\"arguments\": {\"seq\": 1e400}}", "JSON parse error, number out of range"));
        c.add(text("unknown command", "{\"execute\": \"no-such-command\", \"id\": 5}",
                "The command no-such-command has not been found"));
        c.add(text("wrong argument type", echo + "\"arguments\": {\"seq\": \"x\"}}",
                "Invalid parameter type for 'seq', expected: integer"));
        c.add(text("unknown argument", echo + "\"arguments\": {\"seq\": 1, \"x\": 2}}", "Parameter 'x' is unexpected"));
        c.add(text("missing argument", "{\"execute\": \"" + StressServer.ECHO + "\"}", "Parameter 'seq' is missing"));
        c.add(text("unknown member", echo + "\"arguments\": {\"seq\": 1}, \"bogus\": 1}", "QMP input member 'bogus' is unexpected"));
        c.add(text("in-band command sent out-of-band", "{\"exec-oob\": \"" + StressServer.ECHO + "\", \"arguments\": {\"seq\": 1}}",
                "The command " + StressServer.ECHO + " does not support OOB"));
        c.add(text("truncated, then a control byte", echo + "\"arguments\": {\"seq\": 1\u0001\n",
                "JSON parse error, stray '\u0001'"));
        c.add(bytes("truncated, then 0xFF", concat(ascii(echo), new byte[] {(byte) 0xFF, '\n'}), "JSON parse error, stray '\uFFFD'"));
        c.add(text("1025 levels of nesting", "[".repeat(1025), "JSON nesting depth limit exceeded"));
        c.add(text("1024 levels of nesting (the limit)", echo + "\"arguments\": {\"seq\": 7}, \"id\": "
                + "[".repeat(1023) + "]".repeat(1023) + "}", RETURN));
        c.add(text("valid request after the bad ones", echo + "\"arguments\": {\"seq\": 8}}", RETURN));
        return c;
    }

    private static Case text(String name, String input, String... expected) {
        return new Case(name, input.getBytes(StandardCharsets.UTF_8), List.of(expected));
    }

    private static Case bytes(String name, byte[] input, String... expected) {
        return new Case(name, input, List.of(expected));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
