package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code jqmp proxy} option errors: each exits with status 2 and a message that says what to fix. */
@Timeout(60)
class ProxyOptionsTest {
    @TempDir
    Path dir;

    /** Runs {@code jqmp proxy ARGS}, expects status 2; returns what it printed on stderr. */
    private static String usageError(String... args) {
        List<String> argv = new ArrayList<>(List.of("proxy"));
        argv.addAll(List.of(args));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(2, Main.run(argv, new PrintStream(out), new PrintStream(err)), String.join(" ", argv));
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing on stdout for " + argv);
        return err.toString(StandardCharsets.UTF_8);
    }

    private static void assertUsage(String expected, String... args) {
        String err = usageError(args);
        assertEquals("jqmp proxy: " + expected + "\nrun 'jqmp help proxy' for the options\n", err);
    }

    private String upstream() {
        return "unix:" + dir.resolve("qemu.sock");
    }

    @Test
    void theUpstreamIsRequiredAndChecked() {
        assertUsage("--to ENDPOINT is required (the upstream QMP server, e.g. unix:/run/vm1/qmp.sock)");
        assertUsage("--to ENDPOINT is required (the upstream QMP server, e.g. unix:/run/vm1/qmp.sock)",
                "--qmp", "unix:" + dir.resolve("p.sock"));
        assertUsage("'udp:1.2.3.4:5': expected unix:PATH, tcp:HOST:PORT or tls:HOST:PORT", "--to", "udp:1.2.3.4:5");
        assertUsage("'tcp:localhost': a tcp endpoint needs HOST:PORT, e.g. tcp:127.0.0.1:4444", "--to", "tcp:localhost");
        assertUsage("'tcp:localhost:x': the port must be a number 0-65535", "--to", "tcp:localhost:x");
        assertUsage("--to needs a value", "--to");
    }

    @Test
    void listenersAreChecked() {
        assertUsage("'unix:': a unix endpoint needs a path, e.g. unix:/tmp/qmp.sock", "--to", upstream(), "--qmp", "unix:");
    }

    @Test
    void patternsThatCanMatchNothingAreRefused() {
        assertUsage("a command pattern must not be empty", "--to", upstream(), "--allow", "");
        assertUsage("the command pattern 'query-[ab]' can match no command: a pattern is letters, digits, '-', '_'"
                + " and '.' with the wildcards * (any run of characters) and ? (one)", "--to", upstream(),
                "--deny", "query-[ab]");
        assertUsage("the command pattern 'query status' can match no command: a pattern is letters, digits, '-', '_'"
                + " and '.' with the wildcards * (any run of characters) and ? (one)", "--to", upstream(),
                "--allow", "query status");
    }

    @Test
    void reconnectionOptionsAreChecked() {
        assertUsage("--max-backoff needs a whole number, got '5s'", "--to", upstream(), "--reconnect",
                "--max-backoff", "5s");
        assertUsage("--max-backoff takes a positive number of milliseconds, got 0", "--to", upstream(), "--reconnect",
                "--max-backoff", "0");
        assertUsage("--max-backoff takes a positive number of milliseconds, got -100", "--to", upstream(),
                "--max-backoff", "-100");
        assertUsage("--keep-clients needs --reconnect", "--to", upstream(), "--keep-clients");
    }

    @Test
    void theLimitOfClientsIsChecked() {
        assertUsage("--max-clients needs a whole number, got 'many'", "--to", upstream(), "--max-clients", "many");
        assertUsage("--max-clients takes a number from 1 to 1048576, got 0", "--to", upstream(), "--max-clients", "0");
        assertUsage("--max-clients takes a number from 1 to 1048576, got 2000000", "--to", upstream(),
                "--max-clients", "2000000");
    }

    @Test
    void tlsOptionsNeedTheirEndpoints() {
        assertUsage("--tls-creds is for --qmp tls:HOST:PORT listeners, and there is none (for a tls: upstream use"
                + " --to-tls-creds)", "--to", upstream(), "--tls-creds", dir.toString());
        assertUsage("--to-tls-creds is for a tls:HOST:PORT upstream, not " + upstream(), "--to", upstream(),
                "--to-tls-creds", dir.toString());
        assertUsage("--tls-verify-peer takes on or off, got 'yes'", "--to", upstream(), "--qmp", "tls:127.0.0.1:0",
                "--tls-creds", dir.toString(), "--tls-verify-peer", "yes");
    }

    @Test
    void strayArgumentsAreRefused() {
        assertUsage("unexpected argument 'extra'", "--to", upstream(), "extra");
        assertUsage("unknown option --frobnicate", "--to", upstream(), "--frobnicate");
        assertUsage("--read-only takes no value", "--to", upstream(), "--read-only=yes");
    }

    @Test
    void anUnreachableUpstreamOrRecordingSaysWhatToCheck() {
        String err = usageError("--to", upstream(), "--qmp", "unix:" + dir.resolve("p.sock"));
        assertTrue(err.startsWith("jqmp proxy: "), err);
        assertTrue(err.endsWith("check that QEMU (-qmp " + upstream() + ",server=on,wait=off) is running and that"
                + " nothing else holds its monitor\n"), err);
        err = usageError("--to", upstream(), "--record", dir.resolve("no/such/dir/rec.jsonl").toString());
        assertTrue(err.startsWith("jqmp proxy: cannot write the recording " + dir.resolve("no/such/dir/rec.jsonl")),
                err);
    }
}
